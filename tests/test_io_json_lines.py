"""JSON lines read by Arrow (``readers.arrow_lines``) give the same output files, byte for byte,
as the same lines read one by one by orjson, whatever the lines hold."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ai_impact import io as aio
from ai_impact.io import readers
from ai_impact.io.readers import Chunk
from ai_impact.io.writers import _json_heads

MODELS = ["gpt-4o", "llama_31_8b", "claude-3-5-sonnet-20241022", "nope", "2025-01-01", ""]


def flat_row(rng: random.Random, times: bool) -> dict:
    """A Scope3 row of flat values, each field given or not; ``times``: every utc_datetime a
    well-formed time (Arrow reads such a column as timestamps, unless told otherwise)."""
    row: dict = {}
    if rng.random() < 0.95:
        row["model_id"] = rng.choice(MODELS)
    if rng.random() < 0.9:
        row["input_tokens"] = rng.randrange(0, 5000)
    if rng.random() < 0.9:
        row["output_tokens"] = rng.randrange(0, 2000)
    if rng.random() < 0.7:
        row["country"] = rng.choice(["US", "FR", "de", "XX", None])
    if rng.random() < 0.7:
        day = rng.randrange(1, 28)
        row["utc_datetime"] = (
            f"2025-03-{day:02d}T10:00:00Z"
            if times
            else rng.choice([f"2025-03-{day:02d}T10:00:00Z", f"2024-02-{day:02d}", "bad", None])
        )
    if rng.random() < 0.5:
        row["note"] = rng.choice(["a,b", 'say "hi"', "two\nlines", "é 😀", "", "plain"])
    if rng.random() < 0.3:
        row["spend"] = rng.choice([0.25, 1.5e-7, 3.75])
    if rng.random() < 0.2:
        row["cached"] = rng.choice([True, False])
    return row


def odd_line(rng: random.Random) -> bytes:
    """A line Arrow must not read (the chunk then goes through orjson), or reads differently."""
    return rng.choice(
        [
            b'{"model_id": "gpt-4o", "input_tokens": 10.0}',  # a whole float
            b'{"model_id": "gpt-4o", "output_tokens": "12"}',  # a type that changes
            b'{"model_id": "gpt-4o", "model_id": "llama_31_8b", "output_tokens": 3}',
            b'{"model_id": "gpt-4o", "meta": {"team": "a"}, "output_tokens": 3}',
            b'{"model_id": "gpt-4o", "output_tokens": 123456789012345678901234}',
            b"[1, 2]",
            b"{broken",
            b"",
            b"{}",
            b'{"model_id": "gpt-4o", "output_tokens": true}',
        ]
    )


def json_lines(seed: int, n: int, odd: float, times: bool) -> bytes:
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        if rng.random() < odd:
            lines.append(odd_line(rng))
        else:
            text = orjson.dumps(flat_row(rng, times))
            if rng.random() < 0.2:  # spacing as other writers give it
                text = text.replace(b'":', b'" : ').replace(b",", b", ")
            lines.append(text)
    ends = [b"\r\n" if rng.random() < 0.1 else b"\n" for _ in lines]
    return b"".join(line + end for line, end in zip(lines, ends, strict=True))


@pytest.mark.parametrize(
    ("seed", "odd", "times"),
    [(1, 0.0, True), (2, 0.0, False), (3, 0.02, True), (4, 0.1, False), (5, 0.5, False)],
)
def test_arrow_and_orjson_give_the_same_files(tmp_path, monkeypatch, seed, odd, times):
    source = tmp_path / "in.jsonl"
    source.write_bytes(json_lines(seed, 400, odd, times))
    read_by_arrow = []
    arrow_lines = readers.arrow_lines

    def counted(lines, text=frozenset()):
        batch, text = arrow_lines(lines, text)
        read_by_arrow.append(batch is not None)
        return batch, text

    outputs = {}
    for route in ("arrow", "orjson"):
        if route == "arrow":
            monkeypatch.setattr(readers, "arrow_lines", counted)
        else:
            monkeypatch.setattr(readers, "arrow_lines", lambda lines, text: (None, text))
        for suffix in (".jsonl", ".csv", ".parquet"):
            out = tmp_path / f"{route}{suffix}"
            summary = aio.run([str(source)], str(out), chunk_rows=37, ranges=True)
            outputs[route, suffix] = out
            outputs[route, "totals"] = summary.totals()
    for suffix in (".jsonl", ".csv", ".parquet"):
        assert outputs["arrow", suffix].read_bytes() == outputs["orjson", suffix].read_bytes()
    rows = sum(1 for line in source.read_bytes().splitlines() if line.strip())
    assert pq.read_table(outputs["arrow", ".parquet"]).num_rows == rows
    assert outputs["arrow", "totals"] == outputs["orjson", "totals"]
    if odd == 0.0:  # the route under test was taken: every chunk read by Arrow
        assert read_by_arrow and all(read_by_arrow)
    elif odd < 0.05:
        assert any(read_by_arrow) and not all(read_by_arrow)


def test_a_flat_file_is_read_by_arrow_with_times_as_text():
    lines = [b'{"model_id": "gpt-4o", "utc_datetime": "2025-03-01T10:00:00Z", "n": 1}\n'] * 3
    batch, text = readers.arrow_lines(lines)
    assert batch is not None and batch.num_rows == 3 and text == {"utc_datetime"}
    assert batch.column("utc_datetime").to_pylist() == ["2025-03-01T10:00:00Z"] * 3
    again, _ = readers.arrow_lines(lines, text)  # the next chunk: read as text at once
    assert again is not None and again.select(batch.schema.names).equals(batch)
    assert readers.arrow_lines([*lines, b"\n"])[0] is None  # a blank line: orjson, by line
    assert readers.arrow_lines([b'{"x": 1.0}\n'])[0] is None  # 1.0 would be written 1


def test_a_batch_is_written_as_orjson_writes_its_records():
    """Parquet and CSV batches go to JSON lines column by column: each row's object is what
    orjson makes of the row's record, byte for byte, whatever its columns hold."""
    rng = np.random.default_rng(3)
    n = 300

    def pick(values: list, kind=None):
        return pa.array([values[i] for i in rng.integers(0, len(values), n)], kind)

    texts = ["plain", 'say "hi"', "back\\slash", "two\nlines", "\x01\x1f", "é 😀 /", "", None]
    table = pa.table(
        {
            "text": pick(texts),
            "plain": pick(["gpt-4o", "llama", None]),
            "large": pick(["a", "b", None], pa.large_string()),
            "dict": pick(["x", "y\n", None]).dictionary_encode(),
            "int8": pick([-128, 0, 127, None], pa.int8()),
            "uint64": pick([2**64 - 1, 0, None], pa.uint64()),
            "bool": pick([True, False, None]),
            "float": pick([0.1, np.nan, np.inf, -0.0, 1e300, 5e-324, 2.0, None], pa.float64()),
            "float32": pa.array(rng.random(n), pa.float32()),
            "time": pick([dt.datetime(2025, 3, 1, 12, 0, 0, 123456), None], pa.timestamp("us")),
            "utc": pick([dt.datetime(2025, 3, 1)], pa.timestamp("s", tz="UTC")),
            "struct": pick([{"a": 1, "b": "x"}, None]),
            "list": pick([[1, 2], [], None]),
            "nulls": pa.nulls(n),
        }
    )
    batch = table.to_batches()[0]
    unreadable = {5: "line 7 is not valid CSV", 17: "line 19 has 3 fields"}
    got = _json_heads(Chunk(batch.schema.names, batch=batch, unreadable=unreadable)).to_pylist()
    option = orjson.OPT_SERIALIZE_NUMPY
    for i, (head, record) in enumerate(zip(got, batch.to_pylist(), strict=True)):
        text = orjson.dumps(record, default=str, option=option).decode()
        assert head == ("{" if i in unreadable else text[:-1] + ","), i
