"""Distinct values of a column, so that lookups run once per distinct value, not once per row."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

import numpy as np

K = TypeVar("K", bound=Hashable)


def factorize(values: Sequence[K]) -> tuple[np.ndarray, list[K]]:
    """Codes and distinct values of ``values``, in order of first appearance.

    ``uniques[codes[i]] == values[i]`` for every i. A request batch holds few distinct models,
    nodes and zones, so callers resolve ``uniques`` in Python and broadcast the answers to the
    rows with ``np.take(answers, codes)``.
    """
    index: dict[K, int] = {}
    codes = np.fromiter(
        (index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values)
    )
    return codes, list(index)
