"""What the three resolvers share: per-distinct answers -> typed columns, and their errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ai_impact.errors import RowErrors
from ai_impact.factorize import factorize

_NAN = float("nan")
# A catalog row as a dict of Python values (None for blanks), as ``Table.row`` gives it.
Entry = dict[str, Any]


@dataclass(frozen=True)
class Failure:
    """Why a distinct key could not be resolved: the row error of every row that has it."""

    code: str
    field: str
    message: str


A = TypeVar("A")


def per_distinct(
    columns: Sequence[Sequence[Any]], answer: Callable[[tuple[Any, ...]], A]
) -> tuple[np.ndarray, list[A]]:
    """Row codes of the distinct combinations of ``columns`` (one value per row each), and
    ``answer`` of each combination: the lookups run once per distinct key, not once per row."""
    codes, uniques = factorize(list(zip(*columns, strict=True)))
    return codes, [answer(key) for key in uniques]


def floats(values: Iterable[float]) -> np.ndarray:
    """A float64 column of per-distinct values (NaN where unknown)."""
    return np.fromiter(values, dtype=np.float64)


def objects(values: Sequence[object]) -> np.ndarray:
    """A 1-D object column (strings, None) of per-distinct values."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def take(column: np.ndarray | Sequence[Any], rows: np.ndarray) -> np.ndarray:
    """``column[rows]`` of a catalog float column, NaN where ``rows`` is -1 (not resolved)."""
    if not len(column):
        return np.full(len(rows), np.nan)
    out: np.ndarray = np.asarray(column, dtype=np.float64)[np.maximum(rows, 0)]
    out[rows < 0] = np.nan
    return out


def hashable(column: np.ndarray) -> list[float]:
    """Floats for use in dict keys: NaN (never equal to itself) becomes one shared NaN object,
    so that rows without the value share one key."""
    finite = np.isfinite(column)
    if not finite.any():
        return [_NAN] * len(column)
    return [v if ok else _NAN for v, ok in zip(column.tolist(), finite.tolist(), strict=True)]


def row_errors(codes: np.ndarray, failures: Sequence[Failure | None]) -> RowErrors:
    """The errors of the rows whose distinct key failed."""
    errors = RowErrors(len(codes))
    for u, failure in enumerate(failures):
        if failure is not None:
            errors.add(codes == u, failure.code, failure.field, failure.message)
    return errors
