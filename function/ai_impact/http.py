"""HTTP routing for the Cloud Function: BigQuery at ``POST /``, status at ``GET /status``, the
REST API (:mod:`ai_impact.rest`) at its paths.

Knows Flask requests and responses, nothing of physics. Every answer is JSON; no exception
escapes as an uncaught 500 (BigQuery would retry it up to 20 times).

Bounds: a body of more than :data:`MAX_BODY_BYTES` (Cloud Run's request limit) is answered 413
on REST and 400 ``errorMessage`` on the BigQuery door (BigQuery retries neither); a URL of
more than :data:`MAX_URL_BYTES` is answered 414.
"""

from __future__ import annotations

import os
import sqlite3
import time
import traceback
from typing import TYPE_CHECKING

import flask
import functions_framework
import orjson
from flask import Request, Response
from werkzeug.exceptions import RequestEntityTooLarge

from ai_impact import bigquery
from ai_impact import catalog as _catalog
from ai_impact.errors import clip, row_error
from ai_impact.logs import log
from ai_impact.rest.errors import STORE_UNAVAILABLE
from ai_impact.rest.service import estimator_for_project
from ai_impact.rest.service import service as rest_service

if TYPE_CHECKING:
    from ai_impact.rest.app import Reply

JSON = "application/json"
# Which doors this instance serves: "bigquery" (POST /), "rest" (the REST paths) or "all" (the
# default, as `make run` serves). Terraform deploys one function per door, each with its own
# ingress and invokers, so that opening the REST API never opens the BigQuery door.
ENV_DOORS = "AI_IMPACT_DOORS"
_DOORS = {"all": frozenset({"bigquery", "rest"}), "bigquery": frozenset({"bigquery"})}
_DOORS["rest"] = frozenset({"rest"})


def serves(door: str) -> bool:
    """Whether ``door`` ("bigquery" or "rest") is open here (AI_IMPACT_DOORS)."""
    value = os.environ.get(ENV_DOORS, "all").strip() or "all"
    if value not in _DOORS:
        raise ValueError(f"{ENV_DOORS} must be all, bigquery or rest, not {value!r}")
    return door in _DOORS[value]


# The header functions-framework's own 500 handler sets, for the platform to log a crash.
CRASH_HEADER = "X-Google-Status"
# A store that is configured but cannot be opened or read (StoreUnavailableError is an OSError).
STORE_ERRORS = (OSError, sqlite3.Error)
# Cloud Run refuses larger requests (32 MiB, HTTP/1); locally the same limit holds.
MAX_BODY_BYTES = 32 * 1024 * 1024
# Longer request lines are refused with 414 (the REST API's longest URL is a few hundred bytes).
MAX_URL_BYTES = 8 * 1024


def _respond(status: int, body: bytes) -> Response:
    return Response(body, status=status, mimetype=JSON)


def _refused_body(request: Request, response: Response) -> Response:
    """After refusing an oversized body: the framework's after-request hook reads the whole
    body (``read_request``), so mark it read (empty) instead of buffering it, and close the
    connection rather than read what the client still sends."""
    request._cached_data = b""  # werkzeug's body cache, which get_data() returns when set
    response.headers["Connection"] = "close"
    return response


def _too_large(request: Request, path: str) -> Response:
    """A body over :data:`MAX_BODY_BYTES`: 400 ``errorMessage`` on the BigQuery door, else the
    REST 413. It comes before every other answer (route, token, media type), as deployed, where
    Cloud Run's front end refuses such a request before the function sees it."""
    message = f"request body is larger than {MAX_BODY_BYTES:,} bytes (32 MiB)"
    if path == "/" and request.method == "POST" and serves("bigquery"):
        return _refused_body(request, _respond(400, bigquery.error_body(message)))
    body = orjson.dumps(row_error("payload_too_large", message))
    return _refused_body(request, _respond(413, body))


def status() -> tuple[int, bytes]:
    """``{"ready": true}`` once the catalog is loaded and the store can be read, else
    ``{"ready": false, "reason"}`` (still 200: the reason is for the operator)."""
    try:
        _catalog.default()
    except Exception as exc:  # a broken catalog makes the service not ready, not a 500
        return 200, orjson.dumps({"ready": False, "reason": f"catalog failed to load: {exc}"})
    try:
        rest_service().store.generation()
    except STORE_ERRORS as exc:  # the detail names server paths: the log keeps it
        log("ERROR", "store unavailable", error=f"{type(exc).__name__}: {exc}")
        return 200, orjson.dumps(
            {"ready": False, "reason": f"store unavailable: {STORE_UNAVAILABLE}"}
        )
    return 200, orjson.dumps({"ready": True})


def check_catalog() -> None:
    """Load the bundled catalog at start: one that does not validate stops the server with
    the file, line and field of the problem, rather than serving ``ready: false``, a BigQuery
    400 (never retried) and REST 500s."""
    try:
        _catalog.default()
    except _catalog.CatalogError as exc:
        log("CRITICAL", "the catalog does not validate", error=str(exc))
        raise SystemExit(f"ai-impact: the catalog does not validate: {exc}") from None


def _not_found(path: str, method: str) -> Response:
    message = f"no route for {clip(method)} {clip(path)}"
    return _respond(404, orjson.dumps(row_error("not_found", message)))


@functions_framework.errorhandler(404)
def unrouted(error: Exception) -> Response:
    """Paths the framework's own route does not take (a newline in the path) also get JSON."""
    return _respond(404, orjson.dumps(row_error("not_found", "no route for this path")))


@functions_framework.errorhandler(500)
def crashed(error: Exception) -> Response:
    """What fails outside :func:`route` is JSON too, never the framework's plain-text
    traceback: its after-request hook reads the whole body, which raises for a body over the
    limit that no answer read (a chunked one, whose size no header declares)."""
    original = getattr(error, "original_exception", None) or error
    if isinstance(original, RequestEntityTooLarge):
        return _too_large(flask.request, flask.request.path.rstrip("/") or "/")
    trace = "".join(traceback.format_exception(original))
    log("ERROR", "unhandled error outside the routing", error=repr(original), trace=trace)
    response = _respond(500, orjson.dumps(row_error("internal_error", "internal error")))
    response.headers[CRASH_HEADER] = "crash"  # as the framework's own handler marks a crash
    return response


def _rest_handle(request: Request) -> Reply | None:
    """The REST API's answer (None: not one of its paths). Its routes and request schemas
    are imported at the first REST request, not at start: the BigQuery door never needs them
    (a cold start of the deployed BigQuery function skips ~0.3 s of pydantic schemas)."""
    from ai_impact.rest import app

    return app.handle(request)


def route(request: Request) -> Response:
    """Dispatch one request; an unexpected failure becomes a logged 400 JSON answer."""
    started = time.perf_counter()
    path = request.path.rstrip("/") or "/"
    request.max_content_length = MAX_BODY_BYTES
    try:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _too_large(request, path)
        if len(request.full_path) > MAX_URL_BYTES:
            message = f"the URL is longer than {MAX_URL_BYTES:,} bytes"
            return _respond(414, orjson.dumps(row_error("uri_too_long", message)))
        raw_path = str(request.environ.get("PATH_INFO", ""))  # request.path drops leading /s
        if "//" in raw_path:
            # No route has an empty segment: a REST 404, never the BigQuery door or the URL
            # map's internal redirect (which would surface as an unhandled error).
            return _not_found(raw_path, request.method)
        if path == "/" and request.method == "POST" and serves("bigquery"):
            try:
                body = request.get_data(cache=False)
            except RequestEntityTooLarge:
                return _too_large(request, path)
            try:
                outcome = bigquery.handle(body, estimator_for_project)
            except STORE_ERRORS as exc:
                # Never the bundled catalog alone: a customer's custom model would become an
                # unknown_model that BigQuery does not retry. 503 is retried.
                log("ERROR", "store unavailable", error=f"{type(exc).__name__}: {exc}", status=503)
                message = f"{STORE_UNAVAILABLE} (retry later)"
                return _respond(503, bigquery.error_body(message))
            log(
                "INFO" if outcome.status == 200 else "WARNING",
                "bigquery batch",
                requestId=outcome.request_id,
                caller_project=outcome.caller_project,
                rows=outcome.rows,
                row_errors=outcome.row_errors,
                status=outcome.status,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
            )
            return _respond(outcome.status, outcome.body)
        if path in ("/status", "/"):
            if request.method in ("GET", "HEAD"):  # werkzeug sends no body for HEAD
                return _respond(*status())
            allowed = "GET, HEAD, POST" if path == "/" and serves("bigquery") else "GET, HEAD"
            message = f"{clip(request.method)} is not allowed here"
            response = _respond(405, orjson.dumps(row_error("method_not_allowed", message)))
            response.headers["Allow"] = allowed
            return response
        reply = _rest_handle(request) if serves("rest") else None
        if reply is not None:
            log(
                reply.log.pop("severity", "INFO" if reply.status < 500 else "ERROR"),
                "rest request",
                method=request.method,
                path=clip(path),
                status=reply.status,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
                **reply.log,
            )
            response = Response(
                reply.body, status=reply.status, headers=reply.headers, mimetype=JSON
            )
            return _refused_body(request, response) if reply.status == 413 else response
        return _not_found(path, request.method)
    except Exception as exc:
        # A bug, not a transient fault: 400 so that BigQuery does not retry it 20 times; the
        # log line carries the traceback for the operator.
        log(
            "ERROR",
            "unhandled error",
            path=clip(path),
            error=repr(exc),
            trace=traceback.format_exc(),
        )
        body = bigquery.error_body(f"internal error: {type(exc).__name__}: {clip(str(exc))}")
        return _respond(400, body)
