"""Files in, impacts out: read a chunk, map it to request rows, estimate, write, total, repeat.

Memory is that of one chunk (``chunk_rows`` records) plus the summary's small tables, whatever
the size of the input.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import IO, Any

import numpy as np

import ai_impact
from ai_impact.engine.columns import BLOCKS, METRICS
from ai_impact.io.columnar import estimate_columns, python_values, to_arrow
from ai_impact.io.presets import (
    NOT_ESTIMATED,
    PRESETS,
    Mapper,
    MappingError,
    Path,
    detect,
    rows_of,
)
from ai_impact.io.readers import DEFAULT_CHUNK_ROWS, Chunk, read_chunks
from ai_impact.io.summary import Summary
from ai_impact.io.writers import Writer, impact_columns, not_none


@dataclass
class Progress:
    """``rows  rows/s  ETA`` on one refreshed line of a terminal; silent otherwise."""

    stream: IO[str] | None
    started: float = 0.0
    last: float = 0.0

    @classmethod
    def auto(cls, enabled: bool | None = None) -> Progress:
        tty = sys.stderr.isatty() if enabled is None else enabled
        return cls(sys.stderr if tty else None, time.perf_counter())

    def update(self, rows: int, done: float | None, file_index: int, files: int) -> None:
        if self.stream is None:
            return
        now = time.perf_counter()
        if now - self.last < 0.2:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = rows / elapsed
        eta = ""
        if done:
            fraction = (file_index + done) / files
            remaining = elapsed * (1 - fraction) / max(fraction, 1e-9)
            eta = f"  ETA {int(remaining // 60)}:{int(remaining % 60):02d}"
        self.stream.write(f"\r{rows:>12,} rows  {rate:>10,.0f} rows/s{eta}   ")
        self.stream.flush()

    def close(self) -> None:
        if self.stream is not None:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def mapper_for(
    chunk: Chunk, preset: str | None, overrides: Mapping[str, Path] | None, name: str
) -> Mapper:
    """The mapper for an input, from ``--from`` or detected from its first chunk's columns."""
    sample = (
        chunk.as_records()[:20] if chunk.batch is None else chunk.batch.slice(0, 20).to_pylist()
    )
    if preset is None:  # detected; --map alone adds to the detected format, or stands alone
        preset = detect(chunk.columns, sample)
        if preset is None and not overrides:
            raise MappingError(
                f"{name}: cannot tell the log format from its columns "
                f"({', '.join(chunk.columns[:20]) or 'none'}); pass --from "
                f"{'|'.join(PRESETS)} or --map COLUMN=FIELD"
            )
    mapper = Mapper(PRESETS[preset] if preset else None, overrides)
    if len(chunk):
        try:
            mapper.check(chunk.columns, sample)
        except MappingError as exc:
            raise MappingError(f"{name}: {exc}") from None
    return mapper


def _explode(mapper: Mapper, chunk: Chunk) -> Chunk:
    """Chunks whose records each hold several rows (OTLP lines) -> one record per row."""
    if mapper.flatten is None or chunk.batch is not None:
        return chunk
    records: list[Any] = []
    unreadable: dict[int, str] = {}
    for i, record in enumerate(chunk.records or []):
        if i in chunk.unreadable:
            unreadable[len(records)] = chunk.unreadable[i]
            records.append(record)
        else:
            records.extend(mapper.flatten(record))
    if len(records) == len(chunk.records or []) and records == chunk.records:
        return chunk
    columns = list(dict.fromkeys(k for r in records if isinstance(r, dict) for k in r))
    return Chunk(columns, records, unreadable=unreadable, done=chunk.done)


def _arrow_or_list(values: Any) -> Any:
    found = to_arrow(values)
    return values if found is None else found


def _estimate_chunk(
    chunk: Chunk,
    mapper: Mapper,
    request: Mapping[str, Any],
    estimate: Callable[..., list[dict]],
    columnar: bool,
    ranges: bool,
) -> dict[str, Any]:
    """The impact columns of a chunk: by ``estimate_columns``, or by ``estimate`` on rows
    (``columnar`` off, or should the columnar path ever raise: a bug must not cost the run)."""
    n = len(chunk)
    if columnar:
        try:
            impacts = estimate_columns(request, n, not_objects=chunk.not_objects(), ranges=ranges)
        except Exception as exc:
            warnings.warn(
                f"the columnar path failed on a chunk ({type(exc).__name__}: {exc}); "
                "estimating its rows one by one",
                RuntimeWarning,
                stacklevel=2,
            )
        else:
            if chunk.unreadable:
                messages = impacts["error_message"]
                for row, reason in chunk.unreadable.items():
                    messages[row] = reason
            return impacts
    if columnar:  # the request as the row path reads it (Python values, timestamps as text)
        request = mapper.columns(chunk.records, chunk.batch)
    records = chunk.as_records() if chunk.batch is None or chunk.unreadable else None
    rows = rows_of(request, n, records)
    return impact_columns(_guarded(estimate, rows), chunk.unreadable, ranges)


def not_estimated(reasons: Any, impacts: dict[str, Any]) -> None:
    """Rows a preset marks as no inference (``presets.NOT_ESTIMATED``: a cache hit, a span or
    observation that is not a model call) get zero impacts, no error, and their reason in the
    ``not_estimated`` column, in place."""
    if reasons is None:
        return
    marked = np.array(python_values(reasons), dtype=object)
    rows = not_none(marked)
    if not rows.any():
        return
    for values in impacts.values():
        values[rows] = 0.0 if values.dtype != object else None
    impacts[NOT_ESTIMATED][rows] = marked[rows]


def _guarded(estimate: Callable[..., list[dict]], rows: list) -> list[dict]:
    """``estimate(rows)``; should it ever raise (its contract is to answer bad rows with an
    error), the chunk is estimated row by row and a row that still raises gets an error reply,
    so that one row never costs the others their answers nor the run its output."""
    try:
        return estimate(rows)
    except Exception:
        replies = []
        for row in rows:
            try:
                replies.extend(estimate([row]))
            except Exception as exc:
                replies.append(_failed_reply(f"the row could not be estimated ({exc})"))
        return replies


def _failed_reply(message: str) -> dict:
    zeros = dict.fromkeys(METRICS, 0.0)
    reply: dict = {block: dict(zeros) for block in BLOCKS}
    reply["error"] = {
        "code": "invalid_field",
        "message": message,
        "details": {"reason": "invalid_field", "field": "row"},
    }
    return reply


def run(
    inputs: Sequence[str],
    output: str | None = None,
    preset: str | None = None,
    overrides: Mapping[str, Path] | None = None,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    estimate: Callable[..., list[dict]] | None = None,
    on_chunk: Callable[[Mapping[str, Sequence[Any]], dict[str, Any]], None] | None = None,
    ranges: bool = False,
    before_commit: Callable[[Summary], None] | None = None,
) -> Summary:
    """Estimate every row of ``inputs`` into ``output`` (None: totals only); return the totals.

    Chunks go through ``columnar.estimate_columns`` (the same numbers as ``ai_impact.estimate``
    without a dict per row); ``estimate``, when given, is called on request rows instead (and
    on the rows of a chunk the columnar path fails on, should it ever fail). ``ranges`` adds
    the ranges and confidence tier columns. ``before_commit(summary)`` runs once every row is
    written, before the output takes its name (the report): should it raise, no output either.

    Raises ``InputError`` / ``MappingError`` / ``ValueError`` with one clear line for a file or
    mapping that cannot work; the output is then not created (nor a previous one touched).
    """
    columnar = estimate is None
    if estimate is None:
        estimate = ai_impact.estimate
    if ranges:  # the ranges and confidence columns (writers.impact_columns)
        if "ranges" not in inspect.signature(estimate).parameters:
            raise ValueError("ranges: this version's estimate() does not give ranges yet")
        estimate = functools.partial(estimate, ranges=True)
    summary = Summary()
    progress = progress or Progress(None)
    writer = Writer(output, ranges=ranges) if output else None
    # One chunk is written (in a thread: Parquet's encoder and the file system let go of the
    # GIL) while the next one is estimated; at most one write is in flight.
    pool = ThreadPoolExecutor(1, thread_name_prefix="ai-impact-writer")
    pending: Future | None = None
    try:
        for index, name in enumerate(inputs):
            mapper: Mapper | None = None
            for raw in read_chunks(name, chunk_rows):
                if mapper is None:
                    mapper = mapper_for(raw, preset, overrides, name)
                chunk = _explode(mapper, raw)
                request = mapper.columns(chunk.records, chunk.batch, arrow=columnar)
                if columnar:  # text columns in Arrow once (estimate and summary read them)
                    request = {k: _arrow_or_list(v) for k, v in request.items()}
                impacts = _estimate_chunk(chunk, mapper, request, estimate, columnar, ranges)
                not_estimated(request.get(NOT_ESTIMATED), impacts)
                if writer is not None:
                    if pending is not None:
                        pending.result()
                    pending = pool.submit(writer.write, chunk, impacts)
                summary.add(request, impacts)
                if on_chunk is not None:
                    on_chunk(request, impacts)
                progress.update(summary.rows, chunk.done, index, len(inputs))
        if pending is not None:
            pending.result()
        if before_commit is not None:
            before_commit(summary)
    except BaseException:
        if pending is not None:
            wait([pending])
        if writer is not None:
            writer.abort()
        raise
    finally:
        pool.shutdown()
        progress.close()
    if writer is not None:
        writer.commit()
    return summary
