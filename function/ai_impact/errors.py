"""Per-row errors kept as data: a row's failure never stops the other rows.

Codes used (``error.code``):

- ``invalid_field``: a value of the wrong type, outside the accepted range or pattern.
- ``missing_field``: nothing names the model of the row.
- ``unknown_model``, ``unknown_node``, ``unknown_gpu``, ``unknown_datacenter``: an identifier
  the catalog does not hold.
- ``unsupported_task``: a task this version does not estimate yet.

:class:`RowErrors` is the engine's (``engine/errors.py``): every layer records its errors in one,
and the pipeline merges them in layer order.
"""

from __future__ import annotations

from typing import Any

from ai_impact.engine.errors import RowErrors

__all__ = ["RowErrors", "clip", "error_dict", "row_error"]

# Input echoed in a message (a name, a model id, an unknown key) is cut to this many bytes of
# UTF-8, and a whole message to MAX_MESSAGE_BYTES: a 50 MB model_id never makes a 50 MB reply.
MAX_ECHO_BYTES = 200
MAX_MESSAGE_BYTES = 600


def clip(text: str, max_bytes: int = MAX_ECHO_BYTES) -> str:
    """``text`` cut to at most ``max_bytes`` bytes of UTF-8 (whole characters; "..." marks a
    cut)."""
    if len(text) * 4 <= max_bytes:
        return text
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", "ignore") + "..."


def row_error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The Scope3 ``Error`` object, ``{code, message, details{reason, field?}}``: every error
    this service answers (row errors on every door, REST request errors) is built here. An
    error about no one field has no ``field`` key: the spec types it a string, not null."""
    details = {"reason": code} if field is None else {"reason": code, "field": clip(field)}
    return {"code": code, "message": clip(message, MAX_MESSAGE_BYTES), "details": details}


def error_dict(errors: RowErrors, row: int) -> dict[str, Any] | None:
    """The Scope3 ``Error`` object of one row, or None."""
    code = errors.code[row]
    if code is None:
        return None
    return row_error(code, errors.message[row], errors.field[row])
