"""Codes of distinct keys over columns, without overflow: what the engine computes once per
distinct deployment (or image setting) and broadcasts to the rows; and the chunks of rows that
broadcast runs over.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

_TABLE_LIMIT = 1 << 22  # distinct-key ranges up to this are factorised with a lookup table
# Keys are combined while their range stays below this; beyond it the key is re-factorised
# (its range becomes the number of distinct keys, at most the number of rows) before the next
# part is combined, so a key never overflows int64 (issue 14: 8,193 rows with distinct parts).
_KEY_LIMIT = 1 << 62
# Rows per chunk of the per-row arithmetic (:func:`row_chunks`): a chunk's columns (256 KiB
# each) stay in the CPU cache while a formula's dozen steps run over them.
ROWS_PER_CHUNK = 1 << 15


def row_chunks(n_rows: int) -> Iterator[slice]:
    """Consecutive slices of at most :data:`ROWS_PER_CHUNK` rows covering ``0..n_rows``.

    A formula over many columns (per-deployment values gathered for each row, intermediate
    results) run chunk by chunk reads and writes main memory once per input and output: over
    whole columns of a million rows every step would stream its operands from memory.
    """
    return (slice(start, start + ROWS_PER_CHUNK) for start in range(0, n_rows, ROWS_PER_CHUNK))


@dataclass
class Scaled:
    """One per-deployment ``factor`` and the columns it scales: ``out = point x factor[codes]``
    (``point / factor[codes]`` where ``divide``) for each ``(point, out, divide)`` of ``uses``."""

    factor: np.ndarray
    uses: list[tuple[np.ndarray, np.ndarray, bool]] = field(default_factory=list)


def broadcast(jobs: Sequence[Scaled], codes: np.ndarray) -> None:
    """Write every use of ``jobs`` (``codes``: the deployment of each row), chunk by chunk
    (:func:`row_chunks`): one gather per factor and chunk, which stays in the CPU cache while
    the columns that use it are written straight into their outputs."""
    buffer = np.empty(min(len(codes), ROWS_PER_CHUNK))
    for rows in row_chunks(len(codes)):
        chunk = codes[rows]
        gathered = buffer[: len(chunk)]
        for job in jobs:
            # mode="clip": with ``out``, the default "raise" copies through a buffer; the codes
            # are valid by construction.
            np.take(job.factor, chunk, out=gathered, mode="clip")
            for point, out, divide in job.uses:
                (np.divide if divide else np.multiply)(point[rows], gathered, out=out[rows])


def _factorize_ints(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of non-negative int keys and the first row of each distinct key."""
    n = len(key)
    if n == 0:
        return key, key
    size = int(key.max()) + 1
    if size > _TABLE_LIMIT:
        _, first, codes = np.unique(key, return_index=True, return_inverse=True)
        return codes.reshape(-1), first
    first_row = np.full(size, n, dtype=np.int64)
    first_row[key[::-1]] = np.arange(n - 1, -1, -1)  # repeated indices: the last write wins
    present = np.flatnonzero(first_row < n)
    remap = np.empty(size, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return remap[key], first_row[present]


def value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of float values (NaN included) and how many distinct values there are."""
    if not np.isfinite(values).any():
        return np.zeros(len(values), dtype=np.int64), 1
    _, codes = np.unique(np.nan_to_num(values, nan=-1.0), return_inverse=True)
    return codes.reshape(-1), int(codes.max()) + 1


def combine_codes(parts: Sequence[tuple[np.ndarray, int]]) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct combinations of several code columns, and the first row of each.

    ``parts``: (codes, count) pairs, codes in ``0..count-1``. The combined key
    ``key * count + codes`` is exact in int64 while the product of the counts stays under
    2^62; past that the key is factorised first, which brings its range down to the number of
    distinct combinations so far (at most the number of rows), then combined with the next part.
    """
    key, size = parts[0]  # size: the range of key, as a Python int (exact)
    for codes, count in parts[1:]:
        if count == 1:  # one value (codes all 0): the key is unchanged
            continue
        if size * count > _KEY_LIMIT:
            key, first = _factorize_ints(key)
            size = len(first)
        key = key * count  # a new array: the caller's codes are left as they are
        key += codes
        size *= count
    return _factorize_ints(key)


def int_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative integral floats as codes (their integer part) and their range."""
    codes = values.astype(np.int64)
    return codes, int(codes.max(initial=0)) + 1
