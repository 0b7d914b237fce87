"""Routing of the REST API: path and method -> endpoint, then the checks every request goes
through, in this order (after :mod:`ai_impact.http`'s 413 for a body over 32 MiB, which comes
first): 404/405 (route), 401 (token; 429 instead once the client address has
spent its limit of requests without a valid token), 429 (rate of the token), 406 (Accept), 415
(Content-Type of bodies), 400 (body), then the endpoint's own 403/404/409.
"""

from __future__ import annotations

import sqlite3
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson
from flask import Request
from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, RequestRedirect, Rule

from ai_impact.catalog.grid import check_emissions_basis
from ai_impact.catalog.names import MODEL_MATCH
from ai_impact.rest import entries, openapi
from ai_impact.rest.auth import authenticate
from ai_impact.rest.entries import Caller
from ai_impact.rest.errors import STORE_UNAVAILABLE, ApiError, bad_request, forbidden
from ai_impact.rest.impact import impact
from ai_impact.rest.ratelimit import client_address, proxy_hops
from ai_impact.rest.resources import RESOURCES, Resource
from ai_impact.rest.routes import ROUTES
from ai_impact.rest.schemas import query_flag
from ai_impact.rest.service import Service, service

# The URL map of the REST routes (routes.py); a rule's endpoint is its index in ROUTES.
RULES = Map(
    [
        Rule(route.rule, methods=[route.method.upper()], endpoint=i)
        for i, route in enumerate(ROUTES)
        if route.endpoint is not None
    ],
    strict_slashes=False,
)
JSON_TYPES = ("application/json",)


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    log: dict = field(default_factory=dict)


def _body(request: Request) -> object:
    if request.mimetype not in JSON_TYPES and not request.mimetype.endswith("+json"):
        raise ApiError(415, "unsupported_media_type", "the request body must be application/json")
    try:
        data = request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = request.max_content_length or 0
        message = f"request body is larger than {limit:,} bytes"
        raise ApiError(413, "payload_too_large", message) from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"request body is not valid JSON: {exc}") from None


def _reload(caller: Caller, request: Request, svc: Service) -> tuple[int, object, dict]:
    if not caller.is_admin:
        raise forbidden("reloading the catalog needs an admin token")
    return 200, svc.reload(), {}


def _impact(caller: Caller, request: Request, svc: Service) -> tuple[int, object, dict]:
    debug = bool(query_flag(request.args, "debug"))
    extensions = bool(query_flag(request.args, "extensions"))
    try:
        basis = check_emissions_basis(request.args.get("emissions_basis"))
    except ValueError as exc:
        raise bad_request(str(exc), "emissions_basis") from None
    model_match = (request.args.get("model_match") or "fallback").strip().lower()
    if model_match not in MODEL_MATCH:
        raise bad_request(
            f"query parameter model_match must be one of {MODEL_MATCH}", "model_match"
        )
    ranges = bool(query_flag(request.args, "ranges"))
    return 200, impact(caller, _body(request), debug, extensions, basis, model_match, ranges), {}


def _list(caller: Caller, request: Request, svc: Service, resource: Resource) -> tuple:
    payload, headers = entries.list_entries(caller, resource, request.args)
    return 200, payload, headers


def _get(
    caller: Caller, request: Request, svc: Service, resource: Resource, entry_id: str
) -> tuple:
    return 200, entries.get_entry(caller, resource, entry_id, request.args), {}


def _create(caller: Caller, request: Request, svc: Service, resource: Resource) -> tuple:
    return 201, entries.create_entry(caller, resource, _body(request)), {}


def _update(
    caller: Caller, request: Request, svc: Service, resource: Resource, entry_id: str
) -> tuple:
    return 200, entries.update_entry(caller, resource, entry_id, _body(request)), {}


def _delete(
    caller: Caller, request: Request, svc: Service, resource: Resource, entry_id: str
) -> tuple:
    entries.delete_entry(caller, resource, entry_id)
    return 204, None, {}


def _add_alias(caller: Caller, request: Request, svc: Service, entry_id: str) -> tuple:
    entries.add_alias(caller, entry_id, _body(request))
    return 204, None, {}


def _remove_alias(
    caller: Caller, request: Request, svc: Service, entry_id: str, alias: str
) -> tuple:
    entries.remove_alias(caller, entry_id, alias)
    return 204, None, {}


ENDPOINTS: dict[str, Callable[..., tuple[int, object, dict]]] = {
    "impact": _impact,
    "reload": _reload,
    "list": _list,
    "get": _get,
    "create": _create,
    "update": _update,
    "delete": _delete,
    "add_alias": _add_alias,
    "remove_alias": _remove_alias,
}


def _error(exc: ApiError) -> Reply:
    return Reply(exc.status, orjson.dumps(exc.body()), exc.headers, {"error": exc.code})


def _address(request: Request) -> str:
    """The client address of the per-address limit (ratelimit.client_address)."""
    forwarded = request.headers.get("X-Forwarded-For")
    return client_address(request.remote_addr, forwarded, proxy_hops())


def handle(request: Request) -> Reply | None:
    """Answer a REST request, or None when the path is none of the REST API's."""
    adapter = RULES.bind("localhost")
    try:
        index, matched = adapter.match(request.path, method=request.method)
    except (NotFound, RequestRedirect):  # a redirect: only of paths no route has
        return None
    except MethodNotAllowed as exc:
        reply = _error(ApiError(405, "method_not_allowed", f"{request.method} is not allowed here"))
        reply.headers["Allow"] = ", ".join(exc.valid_methods or [])
        return reply
    route = ROUTES[index]
    args: dict[str, object] = dict(matched)
    if route.endpoint == "openapi":
        return Reply(200, orjson.dumps(openapi.document()))
    if route.kind is not None:
        args["resource"] = RESOURCES[route.kind]
    log: dict = {}
    try:
        svc = service()
        try:
            token = authenticate(svc.store, request.headers.get("Authorization"))
        except ApiError:
            svc.limiter.check_address(_address(request))  # 429 once the address's bucket is empty
            raise
        log = {"token_id": token.id, "customer_id": token.customer_id}
        svc.limiter.check(token)
        if request.accept_mimetypes and not request.accept_mimetypes.best_match(JSON_TYPES):
            raise ApiError(406, "not_acceptable", "this API answers application/json only")
        caller = Caller(token, svc.store, svc.catalogs)
        status, payload, headers = ENDPOINTS[str(route.endpoint)](caller, request, svc, **args)
    except ApiError as exc:
        reply = _error(exc)
        reply.log |= log
        return reply
    except (OSError, sqlite3.Error) as exc:
        error = ApiError(503, "store_unavailable", STORE_UNAVAILABLE)
        reply = _error(error)
        reply.log |= log | {"severity": "ERROR", "detail": f"{type(exc).__name__}: {exc}"}
        return reply
    except Exception as exc:  # a bug: answered as JSON, logged with its traceback
        error = ApiError(500, "internal_error", f"internal error: {type(exc).__name__}")
        reply = _error(error)
        reply.log |= log | {"severity": "ERROR", "trace": traceback.format_exc()}
        return reply
    if isinstance(payload, dict) and "rows" in payload and "has_errors" in payload:
        log["rows"] = len(payload["rows"])
        log["row_errors"] = sum(1 for r in payload["rows"] if "error" in r)
    body = b"" if payload is None else orjson.dumps(payload)
    return Reply(status, body, headers, log)
