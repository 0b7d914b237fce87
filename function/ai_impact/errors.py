"""Per-row errors kept as data: a row's failure never stops the other rows.

Codes used (``error.code``):

- ``invalid_field``: a value of the wrong type, outside the accepted range or pattern.
- ``missing_field``: nothing names the model of the row.
- ``unknown_model``, ``unknown_node``, ``unknown_gpu``: an identifier the catalog does not hold.
- ``unsupported_task``: a task this version does not estimate yet.

:class:`RowErrors` is the engine's (``engine/errors.py``): every layer records its errors in one,
and the pipeline merges them in layer order.
"""

from __future__ import annotations

from typing import Any

from ai_impact.engine.errors import RowErrors

__all__ = ["RowErrors", "error_dict"]


def error_dict(errors: RowErrors, row: int) -> dict[str, Any] | None:
    """The Scope3 ``Error`` object of one row, or None."""
    code = errors.code[row]
    if code is None:
        return None
    return {
        "code": code,
        "message": errors.message[row],
        "details": {"reason": code, "field": errors.field[row]},
    }
