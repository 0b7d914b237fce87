"""Estimates -> output files: the input columns, then the impact columns, one row per input row.

Impact columns (all ``float64``): ``{block}_{metric}`` for the four blocks ``inference``,
``training``, ``fine_tuning``, ``total`` and the five metrics ``usage_energy_wh``,
``usage_emissions_gco2e``, ``usage_water_ml``, ``embodied_emissions_gco2e``,
``embodied_water_ml`` (e.g. ``total_usage_energy_wh``); then ``error_code``, ``error_field``,
``error_message`` (empty when the row was estimated). With ``ranges``, each metric also gets
``{block}_{metric}_low`` and ``_high``, and ``confidence_tier`` is added (replies of
``estimate(..., ranges=True)``).

A file is written to a temporary name beside the target and renamed only when complete, so a
failed run never leaves half a file under the target name.
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import numpy as np
import orjson

from ai_impact.engine.columns import BLOCKS, METRICS
from ai_impact.factorize import factorize
from ai_impact.io.presets import NOT_ESTIMATED
from ai_impact.io.readers import Chunk

BLOCK_PREFIXES = {block: block.removesuffix("_impact") for block in BLOCKS}
ERROR_COLUMNS = ("error_code", "error_field", "error_message")
OUTPUT_FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


def impact_column_names(ranges: bool = False) -> list[str]:
    """Names of the impact columns, in output order."""
    names = [f"{BLOCK_PREFIXES[b]}_{m}" for b in BLOCKS for m in METRICS]
    if ranges:
        names += [f"{n}_{end}" for n in list(names) for end in ("low", "high")]
        names.append("confidence_tier")
    return [*names, NOT_ESTIMATED, *ERROR_COLUMNS]


def impact_columns(
    replies: Sequence[Mapping], unreadable: Mapping[int, str] | None = None, ranges: bool = False
) -> dict[str, Any]:
    """ModeledRow replies -> impact columns (numpy float arrays, object arrays for text).

    ``unreadable``: {row: reason} of rows the reader could not read; their error message is
    that reason (the code stays ``invalid_field`` on the field ``row``, as ``estimate`` answers).
    """
    n = len(replies)
    out: dict[str, Any] = {}
    for block in BLOCKS:
        values = list(map(itemgetter(block), replies))
        prefix = BLOCK_PREFIXES[block]
        for metric in METRICS:
            out[f"{prefix}_{metric}"] = np.fromiter(
                map(itemgetter(metric), values), dtype=np.float64, count=n
            )
    if ranges:  # ranges and confidence, when estimate() was asked for them
        for block in BLOCKS:
            prefix = BLOCK_PREFIXES[block]
            for metric in METRICS:
                pairs = [((r.get("ranges") or {}).get(block) or {}).get(metric) for r in replies]
                for k, end in enumerate(("low", "high")):
                    out[f"{prefix}_{metric}_{end}"] = np.array(
                        [p[k] if p else np.nan for p in pairs], dtype=np.float64
                    )
        out["confidence_tier"] = _objects(
            [(r.get("confidence") or {}).get("tier") for r in replies]
        )
    out[NOT_ESTIMATED] = _objects([None] * n)
    errors = list(map(itemgetter("error"), replies))
    out["error_code"] = _objects([e["code"] if e else None for e in errors])
    out["error_field"] = _objects([e["details"]["field"] if e else None for e in errors])
    messages = [e["message"] if e else None for e in errors]
    for row, reason in (unreadable or {}).items():
        messages[row] = reason
    out["error_message"] = _objects(messages)
    return out


def _objects(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


_NONE = np.array(None, dtype=object)


def not_none(values: np.ndarray) -> np.ndarray:
    """Per value of an object column, whether it is not None (one C pass)."""
    return np.not_equal(values, _NONE)


def _float_cells(values: np.ndarray, null: str) -> Any:
    """Each float as the shortest text that reads back to the same float, then a comma: an
    Arrow ``large_string`` array cut out of one orjson text of the whole column (no Python
    object per value); NaN (no range) and infinities as ``null``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(values)
    text = orjson.dumps(
        np.ascontiguousarray(values, dtype=np.float64), option=orjson.OPT_SERIALIZE_NUMPY
    )
    body = text[1:-1] + b","  # "a,b,...,z," (floats hold no comma)
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord(",")) + 1
    cells = pa.Array.from_buffers(
        pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    )
    if null != "null" and not np.isfinite(values).all():
        cells = pc.replace_substring(cells, "null", null)
    return cells


def _text_cells(values: np.ndarray, encode: Callable[[Any], str], end: str) -> Any:
    """``encode`` of each value of a text column (objects: text or None), then ``end``: once
    per distinct value; an Arrow scalar for the common column of nothing but None (no error
    in the chunk), else a ``large_string`` array."""
    import pyarrow as pa

    given = np.flatnonzero(not_none(values))
    if not len(given):
        return pa.scalar(encode(None) + end, pa.large_string())
    codes, distinct = factorize(values[given].tolist())
    cells = np.full(len(values), encode(None) + end, dtype=object)
    cells[given] = np.array([encode(v) + end for v in distinct], dtype=object)[codes]
    return pa.array(cells, pa.large_string())


def _joined(pieces: list) -> memoryview:
    """The text of the rows: each row's pieces (Arrow arrays of one value per row, or scalars
    shared by all rows) end to end, in one Arrow call; one buffer, rows after one another."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = pc.binary_join_element_wise(*pieces, pa.scalar("", pa.large_string()))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    data = rows.buffers()[2]
    start, stop = offsets[rows.offset], offsets[rows.offset + len(rows)]
    return memoryview(data)[start:stop] if data is not None else memoryview(b"")


def _json_heads(chunk: Chunk) -> Any:
    """Each row's JSON object up to the end of its members, ``{...,`` (``{`` for a row with
    none, or that was no object), as an Arrow array: the line as read when there is one (kept
    as it is), else the record serialised; a Parquet or CSV batch column by column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    records, lines = chunk.records, chunk.lines
    if records is None and lines is None:
        names = chunk.batch.schema.names
        if names and len(set(names)) == len(names):
            return _batch_heads(chunk)
        records = _batch_records(chunk)  # a name twice: a record keeps the last value
    if lines is None:
        option = orjson.OPT_SERIALIZE_NUMPY
        lines = [
            orjson.dumps(r, default=str, option=option) if isinstance(r, dict) else b"{}"
            for r in records or []
        ]
    elif records is not None:  # (records None: JSON lines read by Arrow, every one an object)
        lines = [line if type(r) is dict else b"{}" for r, line in zip(records, lines, strict=True)]
    objects = pa.array(lines, pa.binary()).cast(pa.large_string())
    members = pc.utf8_slice_codeunits(pc.utf8_rtrim_whitespace(objects), 0, -1)  # no "}"
    empty = pc.equal(pc.utf8_trim_whitespace(members), "{")
    comma, nothing = (pa.scalar(t, pa.large_string()) for t in (",", ""))
    return pc.if_else(empty, "{", pc.binary_join_element_wise(members, comma, nothing))


def _batch_records(chunk: Chunk) -> list:
    """The records of a Parquet or CSV batch; its unreadable rows as None (no object)."""
    records = chunk.batch.to_pylist()
    for row in chunk.unreadable:
        records[row] = None
    return records


# Text orjson writes as it is between quotes: no quote, backslash or control character.
_JSON_PLAIN = r'^[^"\\\x00-\x1f]*$'


def _json_values(values: Any) -> Any:
    """A batch column as orjson writes each of its values (``null`` for null), as an Arrow
    ``large_string`` array: text needing no escape, whole numbers and booleans in Arrow;
    floats by one orjson call (``_float_cells``, its commas dropped); anything else value by
    value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    kind = values.type
    if pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type):
        values, kind = values.cast(pa.large_string()), pa.large_string()
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        text = values.cast(pa.large_string())
        if pc.all(pc.match_substring_regex(text, _JSON_PLAIN)).as_py():
            quote = pa.scalar('"', pa.large_string())
            quoted = pc.binary_join_element_wise(quote, text, quote, pa.scalar("", text.type))
            return quoted.fill_null("null")
    elif pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return values.cast(pa.large_string()).fill_null("null")
    elif pa.types.is_floating(kind):
        cells = _float_cells(values.to_numpy(zero_copy_only=False).astype(np.float64), "null")
        return pc.utf8_slice_codeunits(cells, 0, -1)
    option = orjson.OPT_SERIALIZE_NUMPY
    encoded = [orjson.dumps(v, default=str, option=option).decode() for v in values.to_pylist()]
    return pa.array(encoded, pa.large_string())


def _batch_heads(chunk: Chunk) -> Any:
    """``_json_heads`` of a Parquet or CSV batch (of distinct column names), column by column,
    as orjson writes each row's record (``batch.to_pylist()``); unreadable rows ``{``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    batch = chunk.batch
    string = pa.large_string()
    pieces: list = []
    for i, name in enumerate(batch.schema.names):
        key = ("{" if i == 0 else ",") + orjson.dumps(name).decode() + ":"
        pieces += [pa.scalar(key, string), _json_values(batch.column(i))]
    pieces += [pa.scalar(",", string), pa.scalar("", string)]
    heads = pc.binary_join_element_wise(*pieces)
    if chunk.unreadable:
        mask = np.zeros(batch.num_rows, dtype=bool)
        mask[list(chunk.unreadable)] = True
        heads = pc.if_else(pa.array(mask), pa.scalar("{", string), heads)
    return heads


_CSV_SPECIAL = r'[,"\r\n]'  # characters that make the csv module quote a cell


def _input_columns(records: list, columns: list[str]) -> list[Sequence]:
    """The values of each input column (None for absent keys and rows that are no object)."""
    if columns and all(type(r) is dict for r in records):
        try:  # every key in every record (CSV input): one pass, transposed
            rows = list(map(itemgetter(*columns), records))
        except KeyError:
            pass
        else:
            if len(columns) == 1:
                return [rows]
            return list(zip(*rows, strict=True)) if rows else [[] for _ in columns]
    return [[r.get(c) if isinstance(r, dict) else None for r in records] for c in columns]


def _text_column(values: Any) -> Any:
    """``_text`` of each value of an input column (an Arrow array or a list), as an Arrow
    ``large_string`` array: text as it is and whole numbers by Arrow's cast (the same digits),
    in Arrow; anything else value by value."""
    import pyarrow as pa

    given = values if isinstance(values, pa.Array) else None
    array = given
    if given is None:
        kinds = set(map(type, values))
        try:
            if kinds <= {str, type(None)}:
                array = pa.array(values, pa.large_string())
            elif kinds <= {int, type(None)}:  # not bool: a type of its own
                array = pa.array(values, pa.int64())
        except OverflowError:  # an integer beyond 64 bits
            array = None
    if array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_large_string(array.type)
        or pa.types.is_integer(array.type)
        or (pa.types.is_dictionary(array.type) and pa.types.is_string(array.type.value_type))
    ):
        return array.cast(pa.large_string()).fill_null("")
    python = values if given is None else given.to_pylist()
    return pa.array(list(map(_text, python)), pa.large_string())


def _csv_column(values: Any) -> Any:
    """The CSV cells of an input column (``_text_column``), quoted where they must be (found
    in Arrow; most columns have no cell to quote)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = _text_column(values)
    if not pc.any(pc.match_substring_regex(text, _CSV_SPECIAL)).as_py():
        return text
    return pa.array(list(map(_csv_quote, text.to_pylist())), pa.large_string())


def _json_text(value: object) -> str:
    return orjson.dumps(value).decode()


def _csv_cell(value: object) -> str:
    """A CSV cell as the csv module writes it (minimal quoting)."""
    return _csv_quote(_text(value))


def _csv_quote(text: str) -> str:
    """The text quoted, its quotes doubled, when it holds a comma, a quote or a line break."""
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _is_text(kind: Any) -> bool:
    """Whether a column of this Arrow type holds text (or bytes, or dictionaries of them)."""
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def output_format(path: str) -> str:
    """``csv``, ``jsonl`` or ``parquet`` from the output name (``-``: JSON lines to stdout)."""
    if path == "-":
        return "jsonl"
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    gz = bool(suffixes) and suffixes[-1] == ".gz"
    if gz:
        suffixes = suffixes[:-1]
    fmt = OUTPUT_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None or (gz and fmt == "parquet"):
        raise ValueError(
            f"{path}: unknown output format; expected .csv, .jsonl or .parquet (.csv.gz and "
            ".jsonl.gz too)"
        )
    return fmt


def _text(value: object) -> str:
    """A cell of CSV output: empty for null, JSON for lists and objects, RFC 3339 for times."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not np.isfinite(value):
        return ""
    if isinstance(value, bool | int | float):
        return orjson.dumps(value).decode()
    text = orjson.dumps(value, default=str)
    if text[:1] == b'"':  # a date or a time (Parquet): its RFC 3339 text, not a JSON string
        return str(orjson.loads(text))
    return text.decode()


def _file_mode() -> int:
    """The mode a new file gets here (0666 less the umask), as ``open`` would give it."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


class Writer:
    """Writes chunks (input records or an Arrow batch, plus impact columns) to one output.

    ``columns`` of the input are fixed by the first chunk; later chunks are written with the
    same columns (keys they add are not written in CSV and Parquet; JSON lines keep them).
    Call ``commit()`` at the end; ``abort()`` (or an exception in ``with``) removes the temp file.
    """

    def __init__(self, path: str, ranges: bool = False) -> None:
        self.path = path
        self.format = output_format(path)
        self.gz = path.lower().endswith(".gz")
        self.names = impact_column_names(ranges)
        self.columns: list[str] | None = None
        self._parquet: Any = None
        self._schema: Any = None
        self._header = False  # CSV: the header row is written
        if path == "-":
            self._tmp = None
            self._file: IO[bytes] = sys.stdout.buffer
        else:
            target = Path(path)
            if not target.parent.is_dir():
                raise ValueError(f"{path}: the folder {target.parent} does not exist")
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            self._tmp = Path(tmp)
            self._file = os.fdopen(fd, "wb")
        self._stream: IO[bytes] | gzip.GzipFile = (
            gzip.GzipFile(fileobj=self._file, mode="wb") if self.gz else self._file
        )

    def __enter__(self) -> Writer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()

    def write(self, chunk: Chunk, impacts: dict) -> None:
        """One chunk: its records (JSON lines: as read), or its Arrow batch (whose unreadable
        rows, all null, are written as rows that were no object), then its impact columns."""
        if self.columns is None:
            self.columns = [c for c in chunk.columns if c not in impacts]
        if self.format == "parquet":
            batch = chunk.batch
            if batch is not None and chunk.lines is not None:  # JSON lines: text, as records
                batch = self._text_batch(batch)
            self._write_parquet(chunk.records, batch, impacts)
        elif self.format == "csv":
            self._write_csv(chunk.records, impacts, chunk.batch)
        elif len(chunk):
            self._write_jsonl(chunk, impacts)

    def _text_batch(self, batch: Any) -> Any:
        """A batch of JSON lines (``readers.arrow_lines``) as the records it holds are written
        to Parquet: each input column as text, an absent value as empty text."""
        import pyarrow as pa

        assert self.columns is not None
        given = set(batch.schema.names)
        arrays = [
            _text_column(batch.column(c) if c in given else pa.nulls(batch.num_rows))
            for c in self.columns
        ]
        return pa.RecordBatch.from_arrays([a.cast(pa.string()) for a in arrays], names=self.columns)

    def _write_jsonl(self, chunk: Chunk, impacts: dict) -> None:
        """Each row's object (``_json_heads``), its impact members added: the floats by
        ``_float_cells``, the text once per distinct value. Input that holds impact columns
        (an output estimated again) has them replaced, row by row."""
        import pyarrow as pa

        names = self.names
        records = chunk.records
        if records is None and set(chunk.columns) & set(names):
            records = (
                list(map(orjson.loads, chunk.lines))
                if chunk.lines is not None
                else _batch_records(chunk)
            )
        objects = [r for r in records or [] if isinstance(r, dict)]
        if records is not None and set().union(*objects) & set(names):  # ours replace them
            option = orjson.OPT_SERIALIZE_NUMPY
            lists = [impacts[n].tolist() for n in names]
            impact_rows = [dict(zip(names, v, strict=True)) for v in zip(*lists, strict=True)]
            rows = [
                orjson.dumps(
                    {**(r if isinstance(r, dict) else {}), **i}, default=str, option=option
                )
                for r, i in zip(records, impact_rows, strict=True)
            ]
            self._stream.write(b"\n".join(rows) + b"\n")
            return
        pieces: list = [_json_heads(chunk)]
        for name in names:
            pieces.append(pa.scalar(orjson.dumps(name).decode() + ":", pa.large_string()))
            if impacts[name].dtype != object:
                pieces.append(_float_cells(impacts[name], "null"))
            else:
                end = "}\n" if name == names[-1] else ","
                pieces.append(_text_cells(impacts[name], _json_text, end))
        if impacts[names[-1]].dtype != object:
            raise ValueError("the last impact column must be a text one")
        self._stream.write(_joined(pieces))

    def _write_csv(self, records: list | None, impacts: dict, batch: Any = None) -> None:
        """Rows of CSV text, built column by column: the input cells, then the float impact
        columns (``_float_cells``), then the text ones (once per distinct value)."""
        import pyarrow as pa

        assert self.columns is not None
        if not self._header:
            self._stream.write(
                (",".join(map(_csv_cell, self.columns + self.names)) + "\r\n").encode()
            )
            self._header = True
        if records is None:  # an Arrow batch (its unreadable rows are all null: empty cells)
            given = set(batch.schema.names)
            inputs: list[Any] = [
                batch.column(c) if c in given else pa.nulls(batch.num_rows, pa.large_string())
                for c in self.columns
            ]
        else:
            inputs = _input_columns(records, self.columns)
        if not len(impacts[self.names[0]]):
            return
        comma = pa.scalar(",", pa.large_string())
        pieces: list = []
        for values in inputs:
            pieces += [_csv_column(values), comma]
        for name in self.names:
            if impacts[name].dtype != object:
                pieces.append(_float_cells(impacts[name], ""))
            else:
                end = "\r\n" if name == self.names[-1] else ","
                pieces.append(_text_cells(impacts[name], _csv_cell, end))
        if impacts[self.names[-1]].dtype != object:
            raise ValueError("the last impact column must be a text one")
        self._stream.write(_joined(pieces))

    def _write_parquet(self, records: list | None, batch: Any, impacts: dict) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        assert self.columns is not None
        if batch is not None:
            arrays = [batch.column(c) if c in batch.schema.names else None for c in self.columns]
            n = batch.num_rows
        else:
            arrays = [
                pa.array(
                    [_text(r.get(c)) if isinstance(r, dict) else None for r in records or []],
                    pa.string(),
                ).fill_null(None)
                for c in self.columns
            ]
            n = len(records or [])
        arrays = [a if a is not None else pa.nulls(n) for a in arrays]
        for name in self.names:
            values = impacts[name]
            if values.dtype != object:
                arrays.append(pa.array(values, pa.float64()))
            else:  # text or None, converted in Arrow
                arrays.append(pa.array(values, pa.string()))
        table = pa.Table.from_arrays(arrays, names=self.columns + self.names)
        if self._parquet is None:
            self._schema = table.schema
            # Dictionary pages for text (models, providers, error codes: few distinct values);
            # not for numbers and times, nearly all distinct in a log (a dictionary would be
            # built, then dropped). Values are encoded 64k at a time (pyarrow's default, 1k,
            # costs a call per 1k values of each column).
            self._parquet = pq.ParquetWriter(
                self._file,
                self._schema,
                use_dictionary=[f.name for f in table.schema if _is_text(f.type)],
                write_batch_size=64 * 1024,
            )
        elif table.schema != self._schema:
            try:
                table = table.cast(self._schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise ValueError(
                    f"{self.path}: an input's columns differ from the first input's ({exc}); "
                    "write each input to its own output"
                ) from exc
        self._parquet.write_table(table)

    def commit(self) -> None:
        """Finish the file and move it to its name (atomic on one file system)."""
        if self.format == "parquet" and self._parquet is None:  # no rows: columns only
            self.columns = self.columns or []
            self._write_parquet([], None, {n: _objects([]) for n in self.names})
        if self._parquet is not None:
            self._parquet.close()
        if self.format == "csv" and not self._header:
            self.columns = self.columns or []
            self._write_csv([], {n: _objects([]) for n in self.names})
        if self.gz:
            self._stream.close()
        if self._tmp is None:
            self._file.flush()
            return
        self._file.close()
        os.chmod(self._tmp, _file_mode())  # mkstemp made it private (0600)
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        """Drop what was written: the target name is left as it was."""
        if self._tmp is None:
            return
        try:
            self._file.close()
        finally:
            self._tmp.unlink(missing_ok=True)
