"""The local server of ``make run``: the Cloud Function's own Flask app on gunicorn, bounded.

    python -m ai_impact.serve [--host 127.0.0.1] [--port 8080]     (from function/)

Cloud Functions runs ``functions-framework``, which starts gunicorn behind Cloud Run's front end;
that front end buffers each HTTP/1 request (up to 32 MiB) before the container sees it, so a
slow client never holds a thread there. Run locally with nothing in front, the same launcher
lets eight clients trickling a body one byte every 2 s take all of its threads (4 per core, 8
on two cores) and answers a header over 8 KiB with gunicorn's HTML 431. This module serves the
same app (``functions_framework.create_app`` over ``main.py``) on gunicorn's threaded worker
with:

- a read deadline: the request line, headers and body must arrive within
  ``$AI_IMPACT_READ_TIMEOUT_S`` (default :data:`READ_TIMEOUT_S`) of the worker taking the
  connection, else 408 ``request_timeout`` and the connection is closed. The body is read whole
  (at most ``MAX_BODY_BYTES`` + 1 bytes) before the app runs, as Cloud Run's front end does;
- ``$THREADS`` threads (default :data:`THREADS`): a connection holds one only while its request
  is read or answered (idle keep-alive connections wait in the worker's poller, and are closed
  after :data:`KEEPALIVE_S` s), so a handful of slow clients leave the others their threads;
- header fields up to :data:`MAX_HEADER_FIELD_BYTES` (a 10 KB bearer reaches the REST API and
  gets its JSON 401), request lines up to gunicorn's maximum (8,190 bytes, else 414);
- the errors gunicorn answers before the app runs (431, 414, 408, 400 for a malformed request)
  are JSON in the REST ``Error`` shape ``{code, message, details}``, not HTML.
"""

from __future__ import annotations

import argparse
import contextlib
import http
import io
import os
import time
import traceback
from collections.abc import Callable
from typing import Any

import gunicorn.app.base
import orjson
from gunicorn import util
from gunicorn.http import errors as parse_errors
from gunicorn.http.body import Body
from gunicorn.workers.gthread import ThreadWorker

from ai_impact.errors import row_error
from ai_impact.logs import log

ENV_READ_TIMEOUT = "AI_IMPACT_READ_TIMEOUT_S"
READ_TIMEOUT_S = 15.0
THREADS = 32
KEEPALIVE_S = 5
MAX_HEADER_FIELD_BYTES = 32 * 1024
MAX_HEADER_FIELDS = 100
MAX_REQUEST_LINE_BYTES = 8190  # gunicorn's largest


class RequestTimeoutError(Exception):
    """The request did not arrive within the read deadline (not an OSError: gunicorn's worker
    answers it through ``handle_error``)."""


def read_timeout_s() -> float:
    value = os.environ.get(ENV_READ_TIMEOUT, "").strip()
    seconds = float(value) if value else READ_TIMEOUT_S
    if not seconds > 0:
        raise ValueError(f"{ENV_READ_TIMEOUT} must be a number of seconds above 0, not {value!r}")
    return seconds


class DeadlineSocket:
    """A connection's socket whose ``recv`` raises :class:`RequestTimeoutError` once ``deadline``
    (``time.monotonic()`` seconds) has passed; every other attribute is the socket's."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self.deadline: float | None = None

    def recv(self, size: int) -> bytes:
        if self.deadline is None:
            return bytes(self._sock.recv(size))
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeoutError("the request did not arrive in time")
        self._sock.settimeout(remaining)
        try:
            return bytes(self._sock.recv(size))
        except TimeoutError:
            raise RequestTimeoutError("the request did not arrive in time") from None
        finally:
            self._sock.settimeout(None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


# Errors raised before the app runs -> (status, code); the first match wins.
REFUSALS: list[tuple[type[Exception] | tuple[type[Exception], ...], int, str]] = [
    (RequestTimeoutError, 408, "request_timeout"),
    (
        (parse_errors.InvalidResponseHeader, parse_errors.InvalidResponseHeaderName),
        500,
        "internal_error",
    ),
    (parse_errors.LimitRequestHeaders, 431, "request_header_fields_too_large"),
    (parse_errors.LimitRequestLine, 414, "uri_too_long"),
    (parse_errors.UnsupportedTransferCoding, 501, "not_implemented"),
    (parse_errors.ExpectationFailed, 417, "expectation_failed"),
    (parse_errors.ForbiddenProxyRequest, 403, "forbidden"),
    (parse_errors.ParseException, 400, "invalid_request"),
]
MESSAGES = {
    408: "the request did not arrive within {timeout:g} s",
    431: "a request header is longer than {field:,} bytes, or there are more than {fields} headers",
    414: "the request line is longer than {line:,} bytes",
}


def refusal(exc: BaseException) -> tuple[int, str, str]:
    """Status, error code and message of a request the server refuses before the app runs."""
    for kinds, status, code in REFUSALS:
        if isinstance(exc, kinds):
            template = MESSAGES.get(status)
            message = (
                template.format(
                    timeout=read_timeout_s(),
                    field=MAX_HEADER_FIELD_BYTES,
                    fields=MAX_HEADER_FIELDS,
                    line=MAX_REQUEST_LINE_BYTES,
                )
                if template
                else f"{http.HTTPStatus(status).phrase.lower()}: {exc}"
            )
            return status, code, message
    return 500, "internal_error", f"internal error: {type(exc).__name__}"


def error_response(status: int, code: str, message: str) -> bytes:
    """A whole HTTP/1.1 response carrying the REST ``Error`` object; the connection closes."""
    body = orjson.dumps(row_error(code, message))
    head = (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class Worker(ThreadWorker):
    """gunicorn's threaded worker with a read deadline per request, the body read before the
    app runs, and JSON instead of gunicorn's HTML error pages."""

    def handle(self, conn: Any) -> Any:
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket(conn.sock)
        conn.sock.deadline = time.monotonic() + read_timeout_s()
        try:
            return super().handle(conn)
        finally:
            conn.sock.deadline = None  # the poller and the graceful close read without it

    def handle_request(self, req: Any, conn: Any) -> bool:
        # Imported here, not with this module: main.py's import of ai_impact.http must be the
        # first, inside create_app, for its error handlers to land on the app it creates.
        from ai_impact.http import MAX_BODY_BYTES

        length = next((v for k, v in req.headers if k == "CONTENT-LENGTH"), "")
        # A larger declared body is refused by the app (413) without being read.
        if req.body is not None and not (length.isdigit() and int(length) > MAX_BODY_BYTES):
            req.body = Body(io.BytesIO(req.body.read(MAX_BODY_BYTES + 1)))
        conn.sock.deadline = None  # the app's own time is not bounded here
        return bool(super().handle_request(req, conn))

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, code, message = refusal(exc)
        fields: dict[str, Any] = {"status": status, "error": repr(exc)[:300]}
        if addr:
            fields["client"] = str(addr[0])
        if status >= 500:
            log("ERROR", "request failed in the server", trace=traceback.format_exc(), **fields)
        else:
            log("WARNING", "request refused by the server", **fields)
        with contextlib.suppress(OSError):  # the client may be gone
            util.write_nonblock(client, error_response(status, code, message))


class Server(gunicorn.app.base.BaseApplication):
    """gunicorn with :class:`Worker` and this module's bounds, serving ``app``."""

    def __init__(self, app: Callable, host: str, port: int) -> None:
        self.app = app
        self.options = {
            "bind": f"{host}:{port}",
            "workers": int(os.environ.get("WORKERS", 1)),
            "threads": int(os.environ.get("THREADS", THREADS)),
            "worker_class": f"{__name__}.Worker",
            "keepalive": KEEPALIVE_S,
            "timeout": 0,  # no worker heartbeat kill: a long batch is not a hung worker
            "limit_request_line": MAX_REQUEST_LINE_BYTES,
            "limit_request_fields": MAX_HEADER_FIELDS,
            "limit_request_field_size": MAX_HEADER_FIELD_BYTES,
            "loglevel": os.environ.get("GUNICORN_LOG_LEVEL", "error"),
        }
        read_timeout_s()  # a bad setting stops the server here, not at the first request
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable:
        return self.app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    parser.add_argument("--source", default="main.py", help="the entry point file")
    args = parser.parse_args(argv)
    from functions_framework import create_app

    Server(create_app("ai_impact", args.source), args.host, args.port).run()


if __name__ == "__main__":
    main()
