"""The service's OpenAPI 3.0 document, built from the declarations the code runs on: the row
fields (:mod:`ai_impact.fields`) and the catalog resources (:mod:`ai_impact.rest.resources`).

Served at ``GET /openapi.json``; ``docs/openapi.json`` is this document, written by
``ai-impact openapi docs/openapi.json`` (a test checks they are equal).
"""

from __future__ import annotations

from functools import cache

from ai_impact.bigquery import SCOPE3_ARGS
from ai_impact.fields import (
    DATATYPE_BYTES,
    IMAGE_LIST_FIELDS,
    MAX_IMAGES,
    NUMBER_FIELDS,
    STRING_FIELDS,
    TASKS,
)
from ai_impact.rest.entries import FILTERS, MAX_PAGE
from ai_impact.rest.impact import MAX_ROWS
from ai_impact.rest.resources import GPU, MODEL, NODE, RESOURCES, Field, Resource
from ai_impact.rest.validate import ALIAS_PATTERN, MAX_TEXT

VERSION = "1.0.0"
_REF = "#/components/schemas/"
_IMAGE = r"^(\d{1,4})x(\d{1,4})$"
_CODE = "^[A-Z]{2}$"
_ROW_STRINGS = {
    "country": {"pattern": _CODE, "minLength": 2, "maxLength": 2},
    "region": {"pattern": _CODE, "minLength": 2, "maxLength": 2},
    "task": {"enum": list(TASKS)},
    "model_datatype": {"enum": list(DATATYPE_BYTES)},
    "utc_datetime": {"format": "date-time"},
}
_EXTENSION_ROW_FIELDS = (
    "batch_size",
    "gpu_id",
    "gpu_count",
    "model_total_params_billions",
    "model_active_params_billions",
    "model_datatype",
    "input_cached_tokens",
    "output_reasoning_tokens",
)


def ref(name: str) -> dict:
    return {"$ref": _REF + name}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(ref("Error"), description)


# --- schemas ---------------------------------------------------------------------------------


def _field_schema(f: Field, request: bool, keep_pattern: bool = False) -> dict:
    """A field's schema. Requests carry every constraint; responses only those that catalog
    values and ``?extensions=true`` values always meet (types, bounds, ``keep_pattern``)."""
    s: dict = {"type": f.type}
    if f.type == "array":
        s["items"] = {"type": "string", "pattern": ALIAS_PATTERN} if request else {"type": "string"}
        if f.max_items is not None:
            s["maxItems"] = f.max_items
    if f.minimum is not None:
        s["minimum"] = f.minimum
        if f.exclusive_minimum:
            s["exclusiveMinimum"] = True
    if f.maximum is not None:
        s["maximum"] = f.maximum
    if f.type == "string" and (request or keep_pattern):
        if f.pattern:
            s["pattern"] = f.pattern
        s["maxLength"] = f.max_length or MAX_TEXT
        if f.min_length:
            s["minLength"] = f.min_length
    if f.enum and request:
        s["enum"] = list(f.enum)
    if f.description or f.extension:
        s["description"] = ("Extension (this project). " if f.extension else "") + f.description
    return s


def _object(resource: Resource) -> dict:
    required = {
        MODEL.kind: ["id", "aliases", "customer_id", "created_at", "updated_at", "created_by"],
        NODE.kind: ["id", "gpu_id", "gpu_count", "cpu_count", "created_at", "updated_at"],
        GPU.kind: [f.name for f in GPU.fields if f.required]
        + ["customer_id", "created_at", "updated_at", "created_by"],
    }[resource.kind]
    properties = {
        f.name: _field_schema(f, request=False, keep_pattern=resource is NODE and f.name == "id")
        for f in resource.fields
    }
    properties["customer_id"] = {
        "type": "integer",
        "description": "Owner (0: the global catalog). Disclosed to admin tokens only: other "
        "callers get 0 on models and GPUs (the SDK requires the key) and no key on nodes.",
    }
    properties["created_at"] = {"type": "string", "format": "date-time"}
    properties["updated_at"] = {"type": "string", "format": "date-time"}
    properties["created_by"] = {"type": "string"}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
        "description": "Extension fields appear only with ?extensions=true.",
    }


def _write_request(resource: Resource, create: bool) -> dict:
    fields = [f for f in resource.fields if create or f.updatable]
    properties = {}
    for f in fields:
        schema = _field_schema(f, request=True)
        if not f.required:
            schema["nullable"] = True
        properties[f.name] = schema
    out = {"type": "object", "additionalProperties": False, "properties": properties}
    required = [f.name for f in fields if f.required and create]
    if required:
        out["required"] = required
    return out


def _impact_row() -> dict:
    properties: dict = {}
    for spec in NUMBER_FIELDS:
        s = {"type": "integer" if spec.integer else "number", "minimum": spec.minimum}
        if spec.exclusive_minimum:
            s["exclusiveMinimum"] = True
        s["maximum"] = spec.maximum
        properties[spec.name] = s
    for name in STRING_FIELDS:
        properties[name] = {"type": "string", **_ROW_STRINGS.get(name, {})}
    for name in IMAGE_LIST_FIELDS:
        properties[name] = {
            "type": "array",
            "maxItems": MAX_IMAGES,
            "items": {"type": "string", "pattern": _IMAGE},
        }
    for name in _EXTENSION_ROW_FIELDS:
        properties[name]["description"] = "Extension (this project), see README."
    return {"type": "object", "additionalProperties": False, "properties": properties}


def _metrics() -> dict:
    names = (
        "usage_energy_wh",
        "usage_emissions_gco2e",
        "usage_water_ml",
        "embodied_emissions_gco2e",
        "embodied_water_ml",
    )
    return {
        "type": "object",
        "additionalProperties": False,
        "required": list(names),
        "properties": {n: {"type": "number"} for n in names},
    }


def _schemas() -> dict:
    nullable_text = {"type": "string", "nullable": True}
    schemas = {
        "Error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"reason": nullable_text, "field": nullable_text},
                },
            },
        },
        "StatusResponse": {
            "type": "object",
            "additionalProperties": False,
            "required": ["ready"],
            "properties": {"ready": {"type": "boolean"}, "reason": {"type": "string"}},
        },
        "ImpactRow": _impact_row(),
        "ImpactRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["rows"],
            "properties": {
                "rows": {"type": "array", "maxItems": MAX_ROWS, "items": ref("ImpactRow")}
            },
        },
        "ImpactMetrics": _metrics(),
        "GridMix": {
            "type": "object",
            "additionalProperties": False,
            "required": ["country", "gco2e_per_kwh"],
            "properties": {
                "country": {"type": "string", "pattern": _CODE},
                "region": {"type": "string"},
                "gco2e_per_kwh": {"type": "number", "minimum": 0, "maximum": 2000},
            },
        },
        "PredictionStep": {
            "type": "object",
            "additionalProperties": False,
            "required": ["description", "duration_ms", "inferences"],
            "properties": {
                "description": {"type": "string"},
                "duration_ms": {"type": "number"},
                "inferences": {"type": "integer"},
            },
        },
        "DebugInfo": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "model": ref("Model"),
                "hardware_node": ref("Node"),
                "grid_mix": ref("GridMix"),
                "steps": {"type": "array", "maxItems": 100, "items": ref("PredictionStep")},
                "energy_breakdown": {
                    "type": "object",
                    "description": "Extension, with ?extensions=true: gpu_wh, it_wh, facility_wh.",
                },
                "assumptions": {
                    "type": "object",
                    "description": "Extension, with ?extensions=true: what the estimate assumed.",
                },
                "water_breakdown": {
                    "type": "object",
                    "description": "Extension, with ?extensions=true: onsite_ml, offsite_ml.",
                },
                "grid_details": {
                    "type": "object",
                    "description": "Extension, with ?extensions=true: the grid's year, basis, "
                    "source and the emissions basis.",
                },
            },
        },
        "ModeledRow": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "inference_impact",
                "training_impact",
                "fine_tuning_impact",
                "total_impact",
            ],
            "properties": {
                "inference_impact": ref("ImpactMetrics"),
                "training_impact": ref("ImpactMetrics"),
                "fine_tuning_impact": ref("ImpactMetrics"),
                "total_impact": ref("ImpactMetrics"),
                "debug": ref("DebugInfo"),
                "error": ref("Error"),
            },
        },
        "ImpactResponse": {
            "type": "object",
            "additionalProperties": False,
            "required": ["rows", "total_energy_wh", "total_gco2e", "total_mlh2o", "has_errors"],
            "properties": {
                "rows": {"type": "array", "maxItems": MAX_ROWS, "items": ref("ModeledRow")},
                "total_energy_wh": {
                    "type": "number",
                    "description": "Sum of rows' total_impact.usage_energy_wh (usage only).",
                },
                "total_gco2e": {
                    "type": "number",
                    "description": "Sum of rows' total_impact.usage_emissions_gco2e.",
                },
                "total_mlh2o": {
                    "type": "number",
                    "description": "Sum of rows' total_impact.usage_water_ml.",
                },
                "has_errors": {"type": "boolean"},
            },
        },
        "ImpactBigQueryRequest": {
            "type": "object",
            "required": ["requestId", "caller", "sessionUser", "calls"],
            "properties": {
                "requestId": {"type": "string"},
                "caller": {"type": "string"},
                "sessionUser": {"type": "string"},
                "userDefinedContext": {"type": "object"},
                "calls": {
                    "type": "array",
                    "description": "Any number of calls (BigQuery sizes the batches).",
                    "items": {
                        "type": "array",
                        "description": "signature scope3: " + ", ".join(SCOPE3_ARGS),
                    },
                },
            },
        },
        "ImpactBigQueryResponse": {
            "type": "object",
            "required": ["replies"],
            "properties": {"replies": {"type": "array"}},
        },
        "ImpactBigQueryError": {
            "type": "object",
            "required": ["errorMessage"],
            "properties": {"errorMessage": {"type": "string"}},
        },
    }
    for resource in RESOURCES.values():
        name = resource.schema
        schemas[name] = _object(resource)
        schemas[name + "CreateRequest"] = _write_request(resource, create=True)
        schemas[name + "UpdateRequest"] = _write_request(resource, create=False)
        schemas[name + "Response"] = {
            "type": "object",
            "additionalProperties": False,
            "required": [resource.list_key],
            "properties": {
                resource.list_key: {"type": "array", "maxItems": MAX_PAGE, "items": ref(name)}
            },
        }
    return schemas


# --- paths -----------------------------------------------------------------------------------

_AUTH = {
    "401": _error("Missing, malformed or unknown token"),
    "406": _error("The Accept header excludes application/json"),
    "429": _error("Rate limit of the token exceeded (Retry-After header)"),
}
_TOTAL_HEADER = {
    "headers": {
        "X-Total-Count": {
            "description": "Entries matching the filters, all pages",
            "schema": {"type": "integer"},
        }
    }
}
_BODY = {
    "400": _error("Invalid request body or parameter"),
    "415": _error("The body is not application/json"),
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "in": "query",
        "name": name,
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_param(name: str) -> dict:
    return {"in": "path", "name": name, "required": True, "schema": {"type": "string"}}


def _operation(
    operation_id: str,
    summary: str,
    ok: tuple[str, dict],
    errors: dict,
    body: str | None = None,
    parameters: list | None = None,
) -> dict:
    out: dict = {
        "operationId": operation_id,
        "summary": summary,
        "responses": {ok[0]: ok[1], **_AUTH, **errors, "default": _error("Unexpected error")},
    }
    if body:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    if parameters:
        out["parameters"] = parameters
    return out


def _catalog_paths(resource: Resource) -> dict:
    name, title, kind = resource.schema, resource.title, resource.kind
    plural = "GPUs" if resource is GPU else resource.list_key.capitalize()
    extensions = _query("extensions", {"type": "boolean"}, "Add the extension fields.")
    list_params = [
        _query("limit", {"type": "integer", "minimum": 0, "maximum": MAX_PAGE}, "Page size."),
        _query("offset", {"type": "integer", "minimum": 0, "maximum": 10**9}, "Skip this many."),
        extensions,
        *(
            _query(param, {"type": "string"}, f"Only entries whose {field} is this.")
            for param, field in FILTERS[kind].items()
        ),
    ]
    if resource is NODE:
        list_params.append(
            _query("custom", {"type": "boolean"}, "true: custom nodes only; false: global only.")
        )
    not_found = _error(f"{title} not found (or another customer's)")
    forbidden = _error(f"Cannot modify global {title}s without admin privileges")
    item_path = f"/{kind}/{{{kind}Id}}"
    return {
        f"/{kind}": {
            "get": _operation(
                f"list{plural}",
                f"List {plural.lower()} (global and the caller's), sorted by id",
                ("200", _json(ref(name + "Response"), "One page") | _TOTAL_HEADER),
                {"400": _BODY["400"]},
                parameters=list_params,
            ),
            "post": _operation(
                f"create{name}",
                f"Create a custom {title} of the caller's customer",
                ("201", _json(ref(name), f"{title} created")),
                {**_BODY, "409": _error(f"{title} id or alias already exists")},
                body=name + "CreateRequest",
            ),
        },
        item_path: {
            "parameters": [_path_param(f"{kind}Id")],
            "get": _operation(
                f"get{name}",
                f"Get a {title} (global or the caller's)",
                ("200", _json(ref(name), f"{title} found")),
                {"400": _BODY["400"], "404": not_found},
                parameters=[extensions],
            ),
            "put": _operation(
                f"update{name}",
                f"Update a {title} (global ones: admins only)",
                ("200", _json(ref(name), f"{title} updated")),
                {**_BODY, "403": forbidden, "404": not_found, "409": _error("Name conflict")},
                body=name + "UpdateRequest",
            ),
            "delete": _operation(
                f"delete{name}",
                f"Delete a {title} (global ones: admins only)",
                ("204", {"description": f"{title} deleted"}),
                {"403": forbidden, "404": not_found, "409": _error("Still used by another entry")},
            ),
        },
    }


def _paths() -> dict:
    paths = {
        "/status": {
            "get": {
                "operationId": "status",
                "summary": "Readiness (no token needed)",
                "security": [],
                "responses": {"200": _json(ref("StatusResponse"), "Ready or not, and why")},
            }
        },
        "/reload": {
            "get": _operation(
                "reload",
                "Re-read the bundled catalog (admins)",
                ("200", _json(ref("StatusResponse"), "Reloaded (or kept, with the reason)")),
                {"403": _error("Not an admin token")},
            )
        },
        "/v1/impact": {
            "post": _operation(
                "getImpact",
                "Impacts of each row, over the caller's catalog",
                ("200", _json(ref("ImpactResponse"), "One ModeledRow per row, same order")),
                _BODY,
                body="ImpactRequest",
                parameters=[
                    _query("debug", {"type": "boolean"}, "Add debug to each row."),
                    _query(
                        "extensions",
                        {"type": "boolean"},
                        "With debug: add energy_breakdown and assumptions.",
                    ),
                    _query(
                        "emissions_basis",
                        {"type": "string", "enum": ["location", "market"]},
                        "location (default) or market-based emission factors.",
                    ),
                ],
            )
        },
        "/model/{modelId}/alias": {
            "parameters": [_path_param("modelId")],
            "put": _operation(
                "addModelAlias",
                "Add an alias to a model",
                ("204", {"description": "Alias added"}),
                {
                    **_BODY,
                    "403": _error("Global model, not an admin token"),
                    "404": _error("Model not found"),
                    "409": _error("Alias already exists"),
                },
                body="AliasRequest",
            ),
        },
        "/model/{modelId}/alias/{alias}": {
            "parameters": [_path_param("modelId"), _path_param("alias")],
            "delete": _operation(
                "removeModelAlias",
                "Remove an alias from a model",
                ("204", {"description": "Alias removed"}),
                {"403": _error("Global model, not an admin token"), "404": _error("Not found")},
            ),
        },
        "/": {
            "post": {
                "operationId": "calculateImpactBigQuery",
                "summary": "BigQuery remote function (authenticated by Cloud IAM, not tokens)",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ref("ImpactBigQueryRequest")}},
                },
                "responses": {
                    "200": _json(ref("ImpactBigQueryResponse"), "One reply per call"),
                    "400": _json(ref("ImpactBigQueryError"), "Invalid request"),
                },
            }
        },
    }
    for resource in RESOURCES.values():
        paths |= _catalog_paths(resource)
    return paths


@cache
def document() -> dict:
    schemas = _schemas()
    schemas["AliasRequest"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["alias"],
        "properties": {"alias": {"type": "string", "pattern": ALIAS_PATTERN}},
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "ai-impact: Scope3-compatible AI impact API",
            "version": VERSION,
            "description": "Energy, emissions and water of AI requests. See docs/api.md.",
        },
        "security": [{"bearerAuth": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }
