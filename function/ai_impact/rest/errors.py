"""Request-level failures of the REST API, answered as the hosted API's ``Error`` object."""

from __future__ import annotations

from ai_impact.errors import row_error

# What clients are told when the store cannot be opened or read: the detail names server
# paths ("[Errno 17] File exists: '/tmp/...'"), so it goes to the server log only.
STORE_UNAVAILABLE = "the store cannot be used: it cannot be opened or read (see the server log)"


class ApiError(Exception):
    """Ends the request with ``status`` and ``{code, message, details{reason, field}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}

    def body(self) -> dict:
        return row_error(self.code, self.message, self.field)


def bad_request(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request", message, field)


def not_found(kind: str, entry_id: str) -> ApiError:
    return ApiError(404, "not_found", f"{kind} {entry_id!r} not found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def conflict(message: str, field: str | None = None) -> ApiError:
    return ApiError(409, "conflict", message, field)
