"""The columnar path of ``ai-impact estimate`` gives exactly what the row path gives.

``columnar.estimate_columns`` (Arrow arrays or lists in, impact columns out) against
``writers.impact_columns`` of ``ai_impact.estimate``'s replies: on the sample files, on Parquet
with timestamps and nested columns, and on generated rows mixing valid, invalid and oddly typed
values (hypothesis). Equal means equal: every float bit for bit, every error code, field and
message.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_impact
from ai_impact import io as aio
from ai_impact.io import columnar

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "docs" / "samples"


def assert_same(want: dict, got: dict) -> None:
    assert list(got) == list(want)
    for name in want:
        a, b = want[name], got[name]
        if a.dtype == object:
            assert b.dtype == object, name
            assert a.tolist() == b.tolist(), name
        else:
            assert b.dtype == np.float64, name
            assert np.array_equal(a, b, equal_nan=True), (name, a[:5], b[:5])


def row_path(rows: list, ranges: bool = False) -> dict:
    return aio.impact_columns(ai_impact.estimate(rows, ranges=ranges), None, ranges)


def as_columns(rows: list) -> tuple[dict, np.ndarray]:
    keys = list(dict.fromkeys(k for r in rows if isinstance(r, dict) for k in r))
    columns = {k: [r.get(k) if isinstance(r, dict) else None for r in rows] for k in keys}
    return columns, np.array([not isinstance(r, dict) for r in rows], dtype=bool)


def run_both(tmp_path: Path, source: Path, suffix: str, **options) -> tuple[bytes, bytes]:
    """The output file of the columnar pipeline and of the row pipeline."""
    fast, slow = tmp_path / f"fast{suffix}", tmp_path / f"slow{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the columnar path must not fall back to rows
        fast_summary = aio.run([str(source)], str(fast), **options)
    slow_summary = aio.run([str(source)], str(slow), estimate=ai_impact.estimate, **options)
    assert fast_summary.totals() == slow_summary.totals()
    assert fast_summary.errors == slow_summary.errors
    assert fast_summary.not_estimated == slow_summary.not_estimated
    assert fast_summary.groups.keys() == slow_summary.groups.keys()
    for group in fast_summary.groups:
        a, b = fast_summary.groups[group], slow_summary.groups[group]
        assert a.keys() == b.keys(), group
        for key in a:
            assert a[key].tolist() == b[key].tolist(), (group, key)
    return fast.read_bytes(), slow.read_bytes()


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir()))
@pytest.mark.parametrize("ranges", [False, True])
def test_sample_files_give_the_same_output_file_both_ways(tmp_path, sample, ranges):
    fast, slow = run_both(tmp_path, SAMPLES / sample, ".csv", ranges=ranges, chunk_rows=4)
    assert fast == slow
    assert fast.count(b"\n") > 2


def _parquet(tmp_path: Path, sample: str) -> Path:
    """A sample as Parquet (nested JSON becomes struct columns)."""
    path = SAMPLES / sample
    if path.suffix == ".csv":
        table = pacsv.read_csv(path)
    elif path.suffix == ".json":
        table = pa.Table.from_pylist(orjson.loads(path.read_bytes()))
    else:
        records = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
        table = pa.Table.from_pylist(records)
    out = tmp_path / (path.stem + ".parquet")
    pq.write_table(table, out)
    return out


def _values(column: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_floating(column.type):
        return column.to_numpy()
    values = np.empty(len(column), dtype=object)
    values[:] = column.to_pylist()
    return values


@pytest.mark.parametrize(
    "sample",
    [
        "litellm_spend_logs.csv",
        "scope3_rows.csv",
        "langfuse_observations.json",
        "openai_batch_output.jsonl",
        "otel_spans.jsonl",
    ],
)
def test_parquet_samples_give_the_same_output_both_ways(tmp_path, sample):
    source = _parquet(tmp_path, sample)
    for suffix in (".parquet", ".jsonl"):
        fast, slow = run_both(tmp_path, source, suffix, ranges=True, chunk_rows=3)
        if suffix == ".parquet":
            a, b = (pq.read_table(pa.BufferReader(data)) for data in (fast, slow))
            assert a.schema == b.schema
            assert_same(
                {n: _values(a.column(n)) for n in a.schema.names},
                {n: _values(b.column(n)) for n in b.schema.names},
            )
        else:
            assert fast == slow


def test_parquet_timestamps_text_numbers_and_nulls_both_ways(tmp_path):
    """Timestamps (naive and zone-aware, around new year), numbers as text, dictionary
    columns, all-null columns and unknown models, through Mapper and both paths."""
    n = 60
    start = dt.datetime(2024, 12, 31, 23, 0, tzinfo=dt.UTC)
    stamps = [start + dt.timedelta(minutes=7 * i) for i in range(n)]
    table = pa.table(
        {
            "model_id": pa.array(
                ["gpt-4o", "llama_31_8b", "no-such-model", None, " claude-3-5-sonnet-20241022 "]
                * (n // 5)
            ).dictionary_encode(),
            "managed_service_id": ["openai", "together", None, "aws-bedrock"] * (n // 4),
            "country": [None, "fr", "US", "XX", "FRA", ""] * (n // 6),
            "input_tokens": pa.array([str(i * 37) for i in range(n)]),
            "output_tokens": pa.array([i * 11 if i % 7 else None for i in range(n)], pa.int32()),
            "input_cached_tokens": pa.array([float(i) for i in range(n)]),
            "batch_size": pa.nulls(n),
            "utc_datetime": pa.array(stamps, pa.timestamp("us", "Europe/Paris")),
            "request_id": pa.array(range(n)),  # not text: an error on every row, both ways
        }
    )
    source = tmp_path / "mixed.parquet"
    pq.write_table(table, source)
    fast, slow = run_both(tmp_path, source, ".jsonl", chunk_rows=17)
    assert fast == slow
    naive = table.set_column(
        7, "utc_datetime", pa.array([s.replace(tzinfo=None) for s in stamps], pa.timestamp("ms"))
    ).drop_columns(["request_id"])
    pq.write_table(naive, source)
    fast, slow = run_both(tmp_path, source, ".csv", ranges=True)
    assert fast == slow
    assert b"2025" in fast and b"unknown_model" in fast


# --- generated rows ------------------------------------------------------------------------

TEXT = st.sampled_from(["", "  ", " x ", "\u00a0US\u2003", "é", "a" * 300])
VALUES = {
    "model_id": st.one_of(
        st.sampled_from(
            [
                "gpt-4o",
                "llama_31_8b",
                " Llama_31_70B ",
                "claude-3-5-sonnet-20241022",
                "whisper_large_v3_turbo",
                "stable_diffusion_xl",
                "bge_large_en_v15",
                "nope-13b",
                "azure/gpt-4o",
            ]
        ),
        TEXT,
        st.integers(-3, 3),
        st.just(["gpt-4o"]),
    ),
    "model_name": st.sampled_from(["llama-3.1-8b", "Qwen2.5-7B", None]),
    "managed_service_id": st.sampled_from(["openai", "anthropic", "aws-bedrock", "zzz", 5, None]),
    "country": st.one_of(st.sampled_from(["US", "us", " fr ", "USA", "", "ZZ", None]), st.none()),
    "region": st.sampled_from(["NY", "ca", "XXX", None]),
    "task": st.sampled_from(["chat", "CHAT", "text-embedding", "speech-to-text", "nope", None]),
    "model_datatype": st.sampled_from(["fp8", "BF16", "int3", None]),
    "utc_datetime": st.one_of(
        st.sampled_from(
            [
                "2025-03-01T12:00:00Z",
                "2024-12-31 23:59:59 UTC",
                " 2023-05-05 ",
                "2025-13-01",
                "2025-02-30T00:00:00+01:00",
                "2021-06-01T10:00:00.123456789-0500",
                "２０２５-01-01",
                "2025-01-01\n",
                "nope",
                "",
            ]
        ),
        st.integers(0, 2_000_000_000),
        st.none(),
    ),
    "input_tokens": st.one_of(
        st.integers(-5, 200_000_000),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["12", " 7 ", "1_000", "abc", "nan", "1e3", True]),
        st.none(),
    ),
    "output_tokens": st.one_of(st.integers(0, 5000), st.sampled_from([2.5, "40", None, False])),
    "input_cached_tokens": st.one_of(st.integers(0, 50), st.none()),
    "output_reasoning_tokens": st.one_of(st.integers(0, 50), st.none()),
    "model_total_params_billions": st.sampled_from([None, 7, 70.5, -1, "8", 0]),
    "model_active_params_billions": st.sampled_from([None, 3, 200.0]),
    "grid_emissions_factor_gco2e_per_kwh": st.sampled_from([None, 0, 300.5, 3000, "120"]),
    "gpu_count": st.sampled_from([None, 1, 8, 0, 2.5]),
    "batch_size": st.sampled_from([None, 1, 64, 0.5]),
    "input_audio_seconds": st.sampled_from([None, 10.5, -1]),
    "output_images": st.sampled_from([None, ["1024x1024"], "512x512,256x256", ["0x5"], 7, []]),
    "input_steps": st.sampled_from([None, 30, 0]),
    "node_id": st.sampled_from([None, "aws-p5-48xlarge", "aws:p5.48xlarge", "nope"]),
    "gpu_id": st.sampled_from([None, "h100", "a100_40gb", "nope"]),
    "cloud_id": st.sampled_from([None, "aws", "gcp"]),
    "cloud_region": st.sampled_from([None, "us-east-1", "europe-west1", "mars-1"]),
    "datacenter_id": st.sampled_from([None, "no-such-dc"]),
    "request_id": st.one_of(TEXT, st.integers(0, 9), st.none()),
    "integration_source": st.sampled_from(["litellm", None, 3.5]),
}
ROW = st.fixed_dictionaries({}, optional=VALUES)
ROWS = st.lists(st.one_of(ROW, ROW, ROW, st.sampled_from([5, "not an object", None])), max_size=25)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS, ranges=st.booleans())
def test_generated_rows_give_the_same_columns_both_ways(rows, ranges):
    columns, not_objects = as_columns(rows)
    got = columnar.estimate_columns(columns, len(rows), not_objects=not_objects, ranges=ranges)
    assert_same(row_path(rows, ranges), got)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=25))
def test_generated_rows_as_arrow_give_the_same_columns(rows):
    """The same rows as Arrow arrays, where Arrow holds a column's values as they are (it
    would make True 1.0 in a column of floats: such columns stay lists)."""
    columns, _ = as_columns(rows)
    arrays = {}
    for name, values in columns.items():
        arrays[name] = values
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            continue
        back = array.to_pylist()
        if back == values and list(map(type, back)) == list(map(type, values)):
            arrays[name] = array
    assert_same(row_path(rows), columnar.estimate_columns(arrays, len(rows)))


def test_large_batch_with_few_keys_resolves_once_per_key_and_matches():
    rng = np.random.default_rng(3)
    n = 20_000
    models = np.array(["gpt-4o", "llama_31_8b", "nope", "llama_31_70b"], dtype=object)
    rows = [
        {"model_id": m, "input_tokens": int(i), "output_tokens": int(o), "country": c}
        for m, i, o, c in zip(
            models[rng.integers(0, 4, n)].tolist(),
            rng.integers(0, 9000, n).tolist(),
            rng.integers(0, 900, n).tolist(),
            rng.choice(["US", "FR", "DE"], n).tolist(),
            strict=True,
        )
    ]
    columns, _ = as_columns(rows)
    assert_same(row_path(rows, True), columnar.estimate_columns(columns, n, ranges=True))


def test_columns_of_another_length_are_refused():
    with pytest.raises(ValueError, match="output_tokens holds 2 values, not 3"):
        columnar.estimate_columns({"model_id": ["a"] * 3, "output_tokens": [1, 2]}, 3)


def test_options_are_checked_as_estimate_checks_them():
    with pytest.raises(ValueError, match="model_match"):
        columnar.estimate_columns({}, 0, model_match="closest")
    with pytest.raises(ValueError):
        columnar.estimate_columns({}, 0, emissions_basis="lunar")
