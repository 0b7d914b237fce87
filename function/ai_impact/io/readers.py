"""Log files -> chunks of records, read as a stream (memory bounded by the chunk size).

Formats, told by the file name (``.csv``, ``.jsonl``/``.ndjson``/``.json``, ``.parquet``/``.pq``,
each optionally ``.gz`` except Parquet) or, for ``-`` (standard input), by the first bytes.
JSON may be lines, one array of records, or one saved API page ``{"data": [records], ...}``.
A line that cannot be read (invalid JSON, a broken CSV line) becomes a record that is not an
object, with its reason in ``Chunk.unreadable``: the row is answered with an error, the others
are unaffected. A missing or unreadable file raises ``InputError`` with one clear line.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
DEFAULT_CHUNK_ROWS = 50_000


class InputError(ValueError):
    """A file that cannot be read at all: missing, unknown format, broken container."""


@dataclass
class Chunk:
    """Consecutive records of one input file.

    ``records``: dicts (or, for unreadable lines, the raw text: not an object); ``batch``: the
    Arrow record batch when the input is Parquet (records are then built only if asked);
    ``unreadable``: {index in chunk: reason}; ``done``: fraction of the input read so far;
    ``lines``: for JSON lines input, each record's text as read (the output keeps it as it is).
    """

    columns: list[str]
    records: list | None = None
    batch: Any = None  # pyarrow.RecordBatch for Parquet input
    unreadable: dict[int, str] = field(default_factory=dict)
    done: float | None = None
    lines: list[bytes] | None = None

    def __len__(self) -> int:
        return self.batch.num_rows if self.batch is not None else len(self.records or [])

    def as_records(self) -> list:
        """The records as dicts; the rows of ``unreadable`` as their text (not objects)."""
        if self.records is None:
            self.records = self.batch.to_pylist()
            for row, reason in self.unreadable.items():
                self.records[row] = reason
        return self.records

    def not_objects(self) -> Any:
        """Per row, whether its record is not an object (numpy bools); None when all are."""
        import numpy as np

        if self.batch is not None:
            if not self.unreadable:
                return None
            mask = np.zeros(len(self), dtype=bool)
            mask[list(self.unreadable)] = True
            return mask
        records = self.records or []
        if set(map(type, records)) <= {dict}:
            return None
        return np.fromiter(
            (type(r) is not dict and not isinstance(r, Mapping) for r in records),
            dtype=bool,
            count=len(records),
        )


def input_format(path: str) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from the file name; ``-`` is sniffed later."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputError(
            f"{path}: unknown input format {''.join(p.suffixes) or '(no extension)'!r}; "
            "expected .csv, .jsonl, .json, .parquet (CSV and JSON optionally .gz)"
        )
    return fmt


def _sniff(head: bytes) -> str:
    if head[:4] == b"PAR1":
        return "parquet"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        return "jsonl"
    return "csv"


def read_chunks(path: str, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[Chunk]:
    """Chunks of at most ``chunk_rows`` records of one input (a path, or ``-`` for stdin)."""
    if path == "-":
        yield from _read_stdin(chunk_rows)
        return
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a folder; name the files in it (e.g. {path}/*.jsonl)")
    fmt = input_format(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{path}: not readable (permission denied)")
    if fmt == "parquet":
        yield from _parquet_chunks(p, chunk_rows)
        return
    size = p.stat().st_size or 1
    raw = open(p, "rb")  # noqa: SIM115 - closed in finally, read lazily by the generator
    try:
        stream: IO[bytes] | gzip.GzipFile = raw
        if p.suffix.lower() == ".gz":
            stream = gzip.GzipFile(fileobj=raw)
        yield from _stream_chunks(stream, fmt, chunk_rows, lambda: raw.tell() / size, str(path))
    except (gzip.BadGzipFile, EOFError, OSError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from exc
    finally:
        raw.close()


def _read_stdin(chunk_rows: int) -> Iterator[Chunk]:
    stream = sys.stdin.buffer
    head = stream.peek(4) if hasattr(stream, "peek") else b""
    if not head:
        buffered = io.BufferedReader(stream)  # type: ignore[type-var]
        stream, head = buffered, buffered.peek(4)
    if head[:2] == b"\x1f\x8b":
        stream = io.BufferedReader(gzip.GzipFile(fileobj=stream))
        head = stream.peek(4)
    fmt = _sniff(head[:64])
    if fmt == "parquet":  # Parquet needs to seek: spool standard input to a temporary file
        with tempfile.NamedTemporaryFile(suffix=".parquet") as tmp:
            shutil.copyfileobj(stream, tmp)
            tmp.flush()
            yield from _parquet_chunks(Path(tmp.name), chunk_rows)
        return
    yield from _stream_chunks(stream, fmt, chunk_rows, lambda: None, "stdin")


def _stream_chunks(
    stream: Any, fmt: str, chunk_rows: int, done: Callable[[], float | None], name: str
) -> Iterator[Chunk]:
    if fmt == "csv":
        yield from _csv_chunks(stream, chunk_rows, done, name)
    else:
        yield from _json_chunks(stream, chunk_rows, done, name)


# The start of an API page: an object whose first member is a "data" array.
_PAGE = re.compile(rb'\{\s*"data"\s*:\s*\[')


def _json_chunks(
    stream: Any, chunk_rows: int, done: Callable[[], float | None], name: str
) -> Iterator[Chunk]:
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
    head = buffered.peek(64).lstrip()
    page = _PAGE.match(head) is not None
    if page:  # maybe one saved API page, {"data": [records], "meta": {...}} (Langfuse's)
        data = buffered.read()
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:  # JSON lines whose first record starts with "data"
            document = None
        if not (isinstance(document, dict) and isinstance(document.get("data"), list)):
            buffered = io.BufferedReader(io.BytesIO(data))
            page = False
    if head[:1] == b"[" or page:  # one JSON array (e.g. an export of the Langfuse UI)
        try:
            array = document["data"] if page else orjson.loads(buffered.read())
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{name}: not valid JSON ({exc})") from exc
        keys = _columns(array)
        for start in range(0, len(array), chunk_rows):
            part = array[start : start + chunk_rows]
            yield Chunk(keys, part, done=min(1.0, (start + len(part)) / max(len(array), 1)))
        return
    columns: list[str] | None = None
    records: list[Any] = []
    texts: list[bytes] = []  # the line of each record
    text: frozenset[str] = frozenset()  # columns Arrow must read as text (arrow_lines)
    unreadable: dict[int, str] = {}
    number = 0  # lines read
    while True:
        lines = list(itertools.islice(buffered, chunk_rows - len(records)))
        if not lines:
            break
        batch = None
        if not records:
            batch, text = arrow_lines(lines, text)
        if batch is not None:  # flat objects Arrow reads as orjson would: columns at once
            number += len(lines)
            columns = columns or batch.schema.names
            yield Chunk(batch.schema.names, batch=batch, done=done(), lines=lines)
            continue
        try:  # no blank nor broken line (the common case): one pass of orjson
            parsed = list(map(orjson.loads, lines))
            records.extend(parsed)
            texts.extend(lines)
        except orjson.JSONDecodeError:  # a blank or broken line: line by line
            for offset, line in enumerate(lines, number + 1):
                if not line.strip():
                    continue
                try:
                    records.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    unreadable[len(records)] = f"line {offset} is not valid JSON ({exc})"
                    records.append(line.decode("utf-8", "replace").rstrip("\n"))
                texts.append(line)
        number += len(lines)
        if len(records) >= chunk_rows:
            columns = columns or _columns(records)
            yield Chunk(columns, records, unreadable=unreadable, done=done(), lines=texts)
            records, texts, unreadable = [], [], {}
    if records or columns is None:
        yield Chunk(
            columns or _columns(records), records, unreadable=unreadable, done=done(), lines=texts
        )


def arrow_lines(
    lines: list[bytes], text: frozenset[str] = frozenset()
) -> tuple[Any, frozenset[str]]:
    """JSON lines as one Arrow record batch, when Arrow's JSON reader reads them as orjson
    reads each line: an object per line (no blank line, no key twice) of flat values whose
    type holds down each column: text, whole numbers, floats none of which is whole (``5``
    and ``5.0`` are one float to Arrow and two texts in an output), booleans, nulls. None for
    anything else (nested values, a broken line, ...): the lines are then read by orjson.

    Text Arrow would read as a time stays text: ``text`` names the columns known to hold such
    text (from earlier chunks: read as text at once); returned with those found here."""
    import pyarrow as pa
    import pyarrow.json as pj

    data = pa.py_buffer(b"".join(lines))
    options = pj.ReadOptions(block_size=1 << 20)

    def read(schema: Any) -> Any:
        parse = pj.ParseOptions(explicit_schema=schema) if schema is not None else None
        return pj.read_json(pa.BufferReader(data), read_options=options, parse_options=parse)

    try:
        table = read(pa.schema([(c, pa.string()) for c in sorted(text)]) if text else None)
        times = frozenset(f.name for f in table.schema if pa.types.is_temporal(f.type))
        if times:  # read again, those columns as text
            text |= times
            fields = [pa.field(f.name, pa.string()) if f.name in times else f for f in table.schema]
            table = read(pa.schema(fields))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, text
    if table.num_rows != len(lines) or not table.num_columns:  # a blank line (Arrow skips it)
        return None, text
    for column in table.schema:
        kind = column.type
        if pa.types.is_floating(kind):
            values = table.column(column.name).to_numpy()
            if np.any(values == np.trunc(values)):
                return None, text
        elif not (
            pa.types.is_string(kind)
            or pa.types.is_int64(kind)
            or pa.types.is_boolean(kind)
            or pa.types.is_null(kind)
        ):
            return None, text
    return table.combine_chunks().to_batches()[0], text


def _columns(records: list) -> list[str]:
    """Keys of the records, in order of first appearance."""
    seen: dict[str, None] = {}
    for r in records:
        if isinstance(r, dict):
            seen.update(dict.fromkeys(r))
    return list(seen)


def _csv_chunks(
    stream: Any, chunk_rows: int, done: Callable[[], float | None], name: str
) -> Iterator[Chunk]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    csv.field_size_limit(64 * 1024 * 1024)
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        yield Chunk([], [])
        return
    except csv.Error as exc:
        raise InputError(f"{name}: cannot read the CSV header ({exc})") from exc
    if len(header) == 1 and "\t" in header[0]:
        raise InputError(f"{name}: tab-separated header; convert to CSV (comma-separated)")
    width = len(header)
    rows: list[list[str] | None] = []
    unreadable: dict[int, str] = {}
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            unreadable[len(rows)] = f"line {reader.line_num} is not valid CSV ({exc})"
            rows.append(None)
            continue
        if not values:
            continue
        if len(values) != width:
            unreadable[len(rows)] = (
                f"line {reader.line_num} has {len(values)} fields, the header {width}"
            )
            rows.append(None)
        else:
            rows.append(values)
        if len(rows) >= chunk_rows:
            yield _csv_chunk(header, rows, unreadable, done())
            rows, unreadable = [], {}
    yield _csv_chunk(header, rows, unreadable, done())


def _csv_chunk(
    header: list[str], rows: list[list[str] | None], unreadable: dict[int, str], done: float | None
) -> Chunk:
    """CSV rows (None: unreadable) as an Arrow batch of text columns, column by column: an
    empty cell is null ("not given", as an absent JSON key), an unreadable row all null. A
    header naming a column twice (the last value wins, as in a dict) gives dict records."""
    width = len(header)
    empty = [""] * width
    if len(set(header)) != width or not rows:
        records: list = [
            {k: (v if v != "" else None) for k, v in zip(header, r, strict=True)}
            if r is not None
            else unreadable[i]
            for i, r in enumerate(rows)
        ]
        return Chunk(header, records, unreadable=unreadable, done=done)
    import pyarrow as pa
    import pyarrow.compute as pc

    if unreadable:
        rows = [r if r is not None else empty for r in rows]
    arrays = []
    for column in zip(*rows, strict=True):
        text = pa.array(column, pa.string())
        arrays.append(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text))
    batch = pa.RecordBatch.from_arrays(arrays, names=header)
    return Chunk(header, batch=batch, unreadable=unreadable, done=done)


def _parquet_chunks(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    pq = _pyarrow_parquet()
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError subclasses
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc
    total = parquet.metadata.num_rows or 1
    columns = parquet.schema_arrow.names
    read = 0
    empty = True
    # A reader per run of row groups: one reader over a whole file holds on to more memory at
    # each row group (pyarrow 25: +30 MB every few of 1M rows), so a 10M-row file would not
    # stream in the memory of a 1M-row one.
    batches = (
        batch
        for groups in _row_group_runs(parquet.metadata, chunk_rows)
        for batch in parquet.iter_batches(batch_size=chunk_rows, row_groups=groups)
    )
    for batch in _read_ahead(batches):
        read += batch.num_rows
        empty = False
        yield Chunk(columns, batch=batch, done=min(1.0, read / total))
    if empty:
        yield Chunk(columns, [])


def _read_ahead(items: Iterator[Any]) -> Iterator[Any]:
    """``items``, the next one read in a thread while the caller works on this one (Parquet
    decoding lets go of the GIL): one item ahead, no more."""
    from concurrent.futures import ThreadPoolExecutor

    end = object()
    with ThreadPoolExecutor(1, thread_name_prefix="ai-impact-reader") as pool:
        ahead = pool.submit(next, items, end)
        try:
            while (item := ahead.result()) is not end:
                ahead = pool.submit(next, items, end)
                yield item
        finally:  # stopped early (an error downstream): let the read in flight finish first
            ahead.cancel() or ahead.exception()


def _row_group_runs(metadata: Any, chunk_rows: int) -> Iterator[list[int]]:
    """Consecutive row groups, in runs of at least ``chunk_rows`` rows (but the last) or one
    row group: small row groups are read together, in chunks of ``chunk_rows``."""
    run: list[int] = []
    rows = 0
    for group in range(metadata.num_row_groups):
        run.append(group)
        rows += metadata.row_group(group).num_rows
        if rows >= chunk_rows:
            yield run
            run, rows = [], 0
    if run:
        yield run


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency of the CLI extra
        raise InputError("Parquet needs pyarrow: pip install 'ai-impact[cli]'") from exc
    return pq
