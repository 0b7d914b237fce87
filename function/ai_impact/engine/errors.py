"""Per-row errors kept as data: a row's failure never stops the other rows.

Each layer (parse, resolve, the engine) records the first error of each row in its own
:class:`RowErrors`; the caller merges them in layer order (:meth:`RowErrors.merge`), so the first
problem of a row is the one reported.
"""

from __future__ import annotations

import numpy as np


class RowErrors:
    """The first error of each row: code, field and message, or None where the row is fine.

    The three object columns are made at the first error (or the first read): a batch
    without errors, the common case, never fills millions of ``None``."""

    def __init__(self, n_rows: int) -> None:
        self._has = np.zeros(n_rows, dtype=bool)
        self._columns: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._has)

    def _texts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._columns is None:
            n = len(self._has)  # np.empty of dtype object holds None everywhere
            self._columns = (np.empty(n, object), np.empty(n, object), np.empty(n, object))
        return self._columns

    @property
    def code(self) -> np.ndarray:
        """The error code of each row (object array, None where the row is fine)."""
        return self._texts()[0]

    @property
    def field(self) -> np.ndarray:
        """The field each error names (object array, None where the row is fine)."""
        return self._texts()[1]

    @property
    def message(self) -> np.ndarray:
        """The message of each error (object array, None where the row is fine)."""
        return self._texts()[2]

    @property
    def any(self) -> np.ndarray:
        """Boolean mask of rows that carry an error (read-only view)."""
        view = self._has.view()
        view.flags.writeable = False
        return view

    def add(self, mask: np.ndarray, code: str, field: str, message: str) -> None:
        """Record ``code`` on the rows of ``mask`` that have no error yet (the first one wins)."""
        self.add_rows(np.flatnonzero(mask), code, field, message)

    def add_rows(self, rows: np.ndarray, code: str, field: str, message: str) -> None:
        """Record ``code`` on the rows (indexes) that have no error yet."""
        new = rows[~self._has[rows]]
        if len(new):
            self._has[new] = True
            self.code[new] = code
            self.field[new] = field
            self.message[new] = message

    def add_each(self, rows: np.ndarray, code: str, field: str, messages: list[str]) -> None:
        """Record ``code`` with one message per row index in ``rows`` (where no error yet)."""
        codes, fields, texts = self._texts()
        for row, message in zip(rows.tolist(), messages, strict=True):
            if not self._has[row]:
                self._has[row] = True
                codes[row] = code
                fields[row] = field
                texts[row] = message

    def merge(self, other: RowErrors) -> None:
        """Take ``other``'s errors on the rows that have none yet (``other`` comes later)."""
        new = other._has & ~self._has
        if new.any():
            self._has |= new
            self.code[new] = other.code[new]
            self.field[new] = other.field[new]
            self.message[new] = other.message[new]
