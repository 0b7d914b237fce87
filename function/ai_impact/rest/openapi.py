"""The service's OpenAPI 3.1 document, generated: its schemas are the JSON Schema of the
pydantic models (:mod:`ai_impact.rest.schemas`, built from the field tables), its paths come
from the route list (:mod:`ai_impact.rest.routes`).

Served at ``GET /openapi.json``; ``docs/openapi.json`` is this document, written by
``ai-impact openapi docs/openapi.json`` (a test checks they are equal).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from ai_impact.rest.routes import ROUTES, Route
from ai_impact.rest.schemas import MODELS, REF

VERSION = "1.0.0"
_AUTH = {
    "401": "Missing, malformed or unknown token",
    "406": "The Accept header excludes application/json",
    "429": (
        "Rate limit exceeded: the token's, or without a valid token the client address's"
        " (Retry-After header)"
    ),
}
_URI_TOO_LONG = {"414": "The URL is longer than 8 KiB"}


def _tidy(schema: Any) -> Any:
    """Without pydantic's generated titles and ``default: null`` (absent means absent)."""
    if isinstance(schema, dict):
        return {
            k: _tidy(v)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str)) and not (k == "default" and v is None)
        }
    if isinstance(schema, list):
        return [_tidy(v) for v in schema]
    return schema


def schemas() -> dict[str, Any]:
    _, document = models_json_schema(
        [(model, "validation") for model in MODELS], ref_template=REF + "{model}"
    )
    return {name: _tidy(schema) for name, schema in document["$defs"].items()}


def _json(schema: str, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF + schema}}},
    }


def _operation(route: Route) -> dict:
    status, schema, description = route.ok
    ok = _json(schema, description) if schema else {"description": description}
    if route.total_header:
        ok["headers"] = {
            "X-Total-Count": {
                "description": "Entries matching the filters, all pages",
                "schema": {"type": "integer"},
            }
        }
    errors = {**(_AUTH if route.token else {}), **route.errors, **_URI_TOO_LONG}
    responses = {status: ok} | {
        code: _json(route.error_schema, text) for code, text in sorted(errors.items())
    }
    out: dict = {"operationId": route.operation_id, "summary": route.summary}
    if not route.token:
        out["security"] = []
    if route.body:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": REF + route.body}}},
        }
    if route.query:
        out["parameters"] = [
            {
                "in": "query",
                "name": q.name,
                "required": False,
                "schema": q.schema,
                "description": q.description,
            }
            for q in route.query
        ]
    if route.token:
        responses["default"] = _json("Error", "Unexpected error")
    out["responses"] = responses
    return out


def _paths() -> dict:
    paths: dict[str, dict] = {}
    for route in ROUTES:
        if not route.documented:
            continue
        item = paths.setdefault(route.path, {})
        names = [part[1:-1] for part in route.path.split("/") if part.startswith("{")]
        if names:
            item["parameters"] = [
                {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}
                for name in names
            ]
        item[route.method] = _operation(route)
    return paths


@cache
def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ai-impact: Scope3-compatible AI impact API",
            "version": VERSION,
            "description": "Energy, emissions and water of AI requests. See docs/api.md.",
        },
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas(),
        },
    }
