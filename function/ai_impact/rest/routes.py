"""Every route of the service, declared once: the REST router (:mod:`ai_impact.rest.app`)
builds its URL map from this list and the OpenAPI document (:mod:`ai_impact.rest.openapi`) its
paths. ``/status`` and the BigQuery door (``POST /``) are routed by :mod:`ai_impact.http` and
listed here for the document (``endpoint`` None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ai_impact.rest.entries import FILTERS
from ai_impact.rest.resources import GPU, NODE, RESOURCES, Resource
from ai_impact.rest.schemas import MAX_PAGE


@dataclass(frozen=True)
class Query:
    """A query parameter: its JSON Schema and description."""

    name: str
    schema: dict[str, Any]
    description: str


@dataclass(frozen=True)
class Route:
    """One method on one path. ``path`` is the OpenAPI template (``/model/{modelId}``);
    ``endpoint`` names the function of :data:`ai_impact.rest.app.ENDPOINTS`; ``kind`` the
    catalog resource it works on. ``ok`` is (status, response schema or None, description);
    ``errors`` the statuses of this route besides those every route has."""

    method: str
    path: str
    endpoint: str | None
    operation_id: str
    summary: str
    ok: tuple[str, str | None, str]
    errors: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    query: tuple[Query, ...] = ()
    kind: str | None = None
    token: bool = True
    total_header: bool = False
    documented: bool = True
    error_schema: str = "Error"

    @property
    def rule(self) -> str:
        """The werkzeug rule: ``{xId}`` is ``<entry_id>``, ``{alias}`` takes slashes."""
        rule = re.sub(r"\{\w+Id\}", "<entry_id>", self.path)
        return rule.replace("{alias}", "<path:alias>")


_EXTENSIONS = Query("extensions", {"type": "boolean"}, "Add the extension fields.")
_BODY_ERRORS = {
    "400": "Invalid request body or parameter",
    "413": "The body is larger than 32 MiB",
    "415": "The body is not application/json",
}


def _catalog_routes(resource: Resource) -> list[Route]:
    name, title, kind = resource.schema, resource.title, resource.kind
    plural = "GPUs" if resource is GPU else resource.list_key.capitalize()
    list_params = [
        Query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}, "Page size."),
        Query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "Skip this many."),
        _EXTENSIONS,
        *(
            Query(param, {"type": "string"}, f"Only entries whose {f} is this.")
            for param, f in FILTERS[kind].items()
        ),
    ]
    if resource is NODE:
        list_params.append(
            Query("custom", {"type": "boolean"}, "true: custom nodes only; false: global only.")
        )
    not_found = f"{title} not found (or another customer's)"
    forbidden = f"Cannot modify global {title}s without admin privileges"
    item = f"/{kind}/{{{kind}Id}}"
    return [
        Route(
            "get",
            f"/{kind}",
            "list",
            f"list{plural}",
            f"List {plural.lower()} (global and the caller's), sorted by id",
            ("200", name + "Response", "One page"),
            {"400": _BODY_ERRORS["400"]},
            query=tuple(list_params),
            kind=kind,
            total_header=True,
        ),
        Route(
            "post",
            f"/{kind}",
            "create",
            f"create{name}",
            f"Create a custom {title} of the caller's customer",
            ("201", name, f"{title} created"),
            {**_BODY_ERRORS, "409": f"{title} id or alias already exists"},
            body=name + "CreateRequest",
            kind=kind,
        ),
        Route(
            "get",
            item,
            "get",
            f"get{name}",
            f"Get a {title} (global or the caller's)",
            ("200", name, f"{title} found"),
            {"400": _BODY_ERRORS["400"], "404": not_found},
            query=(_EXTENSIONS,),
            kind=kind,
        ),
        Route(
            "put",
            item,
            "update",
            f"update{name}",
            f"Update a {title} (global ones: admins only)",
            ("200", name, f"{title} updated"),
            {**_BODY_ERRORS, "403": forbidden, "404": not_found, "409": "Name conflict"},
            body=name + "UpdateRequest",
            kind=kind,
        ),
        Route(
            "delete",
            item,
            "delete",
            f"delete{name}",
            f"Delete a {title} (global ones: admins only)",
            ("204", None, f"{title} deleted"),
            {"403": forbidden, "404": not_found, "409": "Still used by another entry"},
            kind=kind,
        ),
    ]


ROUTES: tuple[Route, ...] = (
    Route(
        "get",
        "/status",
        None,
        "status",
        "Readiness (no token needed)",
        ("200", "StatusResponse", "Ready or not, and why"),
        token=False,
    ),
    Route(
        "post",
        "/",
        None,
        "calculateImpactBigQuery",
        "BigQuery remote function (authenticated by Cloud IAM, not tokens)",
        ("200", "ImpactBigQueryResponse", "One reply per call"),
        {"400": "Invalid request: malformed, over 32 MiB or over 10,000 calls"},
        body="ImpactBigQueryRequest",
        token=False,
        error_schema="ImpactBigQueryError",
    ),
    Route(
        "get",
        "/reload",
        "reload",
        "reload",
        "Re-read the bundled catalog (admins)",
        ("200", "StatusResponse", "Reloaded (or kept, with the reason)"),
        {"403": "Not an admin token"},
    ),
    Route(
        "get",
        "/openapi.json",
        "openapi",
        "openapi",
        "This document",
        ("200", None, "The OpenAPI document"),
        token=False,
        documented=False,
    ),
    Route(
        "post",
        "/v1/impact",
        "impact",
        "getImpact",
        "Impacts of each row, over the caller's catalog",
        ("200", "ImpactResponse", "One ModeledRow per row, same order"),
        _BODY_ERRORS,
        body="ImpactRequest",
        query=(
            Query("debug", {"type": "boolean"}, "Add debug to each row."),
            Query(
                "extensions",
                {"type": "boolean"},
                "With debug: add energy_breakdown, assumptions and ignored_fields; "
                "confidence on every row.",
            ),
            Query(
                "ranges",
                {"type": "boolean"},
                "With extensions: add ranges ([low, high] of every metric) to every row.",
            ),
            Query(
                "emissions_basis",
                {"type": "string", "enum": ["location", "market"]},
                "location (default) or market-based emission factors.",
            ),
            Query(
                "model_match",
                {"type": "string", "enum": ["fallback", "exact"]},
                "exact: models resolved only by family or by a size in the name get "
                "unknown_model (default fallback).",
            ),
        ),
    ),
    Route(
        "put",
        "/model/{modelId}/alias",
        "add_alias",
        "addModelAlias",
        "Add an alias to a model",
        ("204", None, "Alias added"),
        {
            **_BODY_ERRORS,
            "403": "Global model, not an admin token",
            "404": "Model not found",
            "409": "Alias already exists",
        },
        body="AliasRequest",
    ),
    Route(
        "delete",
        "/model/{modelId}/alias/{alias}",
        "remove_alias",
        "removeModelAlias",
        "Remove an alias from a model",
        ("204", None, "Alias removed"),
        {"403": "Global model, not an admin token", "404": "Not found"},
    ),
    *(route for resource in RESOURCES.values() for route in _catalog_routes(resource)),
)
