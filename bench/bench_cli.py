"""``ai-impact estimate`` end to end (``make bench``): ratios measured in one run, never pass/fail.

1. Parquet -> Parquet, 1M rows (read, map, estimate, write, totals), against pyarrow's own read
   and write of the same file: the floor any Parquet tool pays.
2. JSON lines -> JSON lines, 200k rows, against ``ai_impact.estimate`` on the same rows already
   in memory (the row edge every door shares).
3. CSV -> CSV, 200k rows, against ``ai_impact.estimate`` on the same rows (as text) in memory.
4. Peak memory (VmHWM of a fresh process) of streaming 1M and 10M Parquet rows: flat when equal.

Both sides of each ratio are timed the same way, best of ``REPEATS`` runs in this process (the
catalog is loaded once per process: the Parquet line also shows the first, cold run). The JSON
lines and CSV lines also show the ratio of the first run in the process, which pays the first
touch of the memory its buffers and the output's pages take (1 kB of JSON per row: on these
machines it costs as much again on 200k rows; a larger file pays it once). The machine is shared:
the load average is printed before and after, read the ratios beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "function"))

import ai_impact  # noqa: E402
from ai_impact import io as aio  # noqa: E402

MODELS = ["llama_31_8b", "llama_31_70b", "gpt-4o", "claude-3-5-sonnet-20241022", "llama_31_405b"]
SERVICES = ["openai", "anthropic", "together", "aws-bedrock", None]
COUNTRIES = ["US", "FR", "DE", "IN", None]
REPEATS = 3


def request_table(n: int, seed: int = 5) -> pa.Table:
    """``n`` text requests as Scope3 rows: 5 models, 4 services, 4 countries, 30 days."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    start = np.datetime64("2025-03-01T00:00:00", "s")
    return pa.table(
        {
            "model_id": pa.array(np.array(MODELS, dtype=object)[i % 5]),
            "managed_service_id": pa.array(np.array(SERVICES, dtype=object)[i % 5]),
            "country": pa.array(np.array(COUNTRIES, dtype=object)[(i // 5) % 5]),
            "input_tokens": rng.integers(10, 5000, n),
            "output_tokens": rng.integers(10, 2000, n),
            "utc_datetime": pa.array(start + (i % (86_400 * 30)).astype("timedelta64[s]")),
        }
    )


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _best(fn, repeats: int = REPEATS) -> float:
    """Fastest wall time of ``repeats`` runs, s (the least disturbed by other load)."""
    return min(_timed(fn) for _ in range(repeats))


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def bench_parquet(folder: Path, n: int = 1_000_000) -> None:
    source = folder / "requests.parquet"
    pq.write_table(request_table(n), source)

    def floor() -> None:
        pq.write_table(pq.read_table(source), folder / "copy.parquet")

    floor_s = _best(floor)
    output = str(folder / "out.parquet")
    cold_s = _timed(lambda: aio.run([str(source)], output))  # loads the catalog
    ours_s = _best(lambda: aio.run([str(source)], output))
    print(f"estimate Parquet->Parquet, 1M rows:       {n / ours_s:14,.0f} rows/s")
    print(f"  first run (catalog load included):       {n / cold_s:14,.0f} rows/s")
    print(f"  pyarrow read+write of the same file:     {n / floor_s:14,.0f} rows/s")
    print(f"  ratio to pyarrow read+write:             {floor_s / ours_s:14.3f}")


def bench_jsonl(folder: Path, n: int = 200_000) -> None:
    rows = request_table(n).to_pylist()
    for row in rows:
        row["utc_datetime"] = row["utc_datetime"].isoformat() + "Z"
    source = folder / "requests.jsonl"
    source.write_bytes(b"\n".join(orjson.dumps(r) for r in rows) + b"\n")
    in_memory_s = _best(lambda: ai_impact.estimate(rows), 2)
    output = str(folder / "out.jsonl")
    first_s = _timed(lambda: aio.run([str(source)], output))
    ours_s = _best(lambda: aio.run([str(source)], output), 2)
    print(f"estimate JSONL->JSONL, 200k rows:          {n / ours_s:14,.0f} rows/s")
    print(f"  ratio to estimate() on rows in memory:   {in_memory_s / ours_s:14.3f}")
    print(f"  first run in the process:                {in_memory_s / first_s:14.3f}")


def bench_csv(folder: Path, n: int = 200_000) -> None:
    rows = request_table(n).to_pylist()
    for row in rows:
        row["utc_datetime"] = row["utc_datetime"].isoformat() + "Z"
    source = folder / "requests.csv"
    pacsv.write_csv(request_table(n), source)
    csv_rows = [{k: str(v) for k, v in r.items() if v is not None} for r in rows]
    in_memory_s = _best(lambda: ai_impact.estimate(csv_rows), 2)
    output = str(folder / "out.csv")
    first_s = _timed(lambda: aio.run([str(source)], output))
    ours_s = _best(lambda: aio.run([str(source)], output), 2)
    print(f"estimate CSV->CSV, 200k rows:              {n / ours_s:14,.0f} rows/s")
    print(f"  ratio to estimate() on rows in memory:   {in_memory_s / ours_s:14.3f}")
    print(f"  first run in the process:                {in_memory_s / first_s:14.3f}")


def peak_mb(source: Path, out: Path) -> float:
    code = (
        "import re, sys; sys.path.insert(0, 'function'); from ai_impact import cli; "
        f"assert cli.main(['estimate', {str(source)!r}, '-o', {str(out)!r}, '-q']) == 0; "
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1]))"
    )
    kb = subprocess.check_output([sys.executable, "-c", code], cwd=ROOT, text=True)
    return int(kb) / 1024


def bench_memory(folder: Path, n: int = 1_000_000, times: int = 10) -> None:
    """Peak memory of ``ai-impact estimate`` on n and on n x times rows (Parquet in and out):
    flat when equal."""
    small, large = folder / "small.parquet", folder / "large.parquet"
    table = request_table(n)
    pq.write_table(table, small)
    with pq.ParquetWriter(large, table.schema) as writer:
        for _ in range(times):
            writer.write_table(table)
    one = peak_mb(small, folder / "small_out.parquet")
    many = peak_mb(large, folder / "large_out.parquet")
    large_out = pq.ParquetFile(folder / "large_out.parquet").metadata.num_rows
    assert large_out == n * times, large_out
    print(
        f"peak RSS streaming {n / 1e6:g}M rows / {n * times / 1e6:g}M rows:    {one:8.0f} MB / "
        f"{many:.0f} MB (ratio {many / one:.2f}; flat = 1)"
    )


def bench_cli() -> None:
    print(f"estimate CLI benchmark, {_load()} (2 cores shared: read ratios beside it)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench_parquet(folder)
        bench_jsonl(folder)
        bench_csv(folder)
        bench_memory(folder)
    print(f"  ({_load()} at the end)")


if __name__ == "__main__":
    bench_cli()
