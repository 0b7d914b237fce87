"""The REST API's bodies as pydantic v2 models, built from the field tables.

- Request bodies (``ImpactRequest``, ``<Kind>CreateRequest``, ``<Kind>UpdateRequest``,
  ``AliasRequest``) validate what clients send (:func:`parse`): strict types (a boolean is no
  number, a string no number), the bounds, patterns and enums of the field declarations, no
  unknown key. Rows of ``/v1/impact`` are not validated here: they go to
  :func:`ai_impact.estimate`, whose parser (the same field table) gives each bad row its own
  error, as on the BigQuery door; ``ImpactRow`` documents them.
- Response bodies are built as dicts on the hot path; their models document them and only the
  tests validate answers against them.

The OpenAPI document (:mod:`ai_impact.rest.openapi`) is these models' JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    create_model,
)
from pydantic import Field as Constraint
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from ai_impact.bigquery import MAX_CALLS, SCOPE3_ARGS
from ai_impact.fields import CODE_PATTERN, ROW_FIELDS, Field, flag
from ai_impact.rest.errors import bad_request
from ai_impact.rest.resources import (
    ALIAS_PATTERN,
    DATACENTER,
    GPU,
    MODEL,
    NODE,
    RESOURCES,
    Resource,
)

# Free-text fields of catalog objects are capped so that a catalog row stays a row.
MAX_TEXT = 1000
MAX_ROWS = 1000
MAX_PAGE = 100
MAX_STEPS = 100
REF = "#/components/schemas/"

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, protected_namespaces=())
_DOCUMENTS = ConfigDict(extra="forbid", protected_namespaces=())
M = TypeVar("M", bound=BaseModel)


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not repeat an entry")
    return values


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _description(f: Field) -> str | None:
    text = f.description
    if f.unit and f.numeric:
        text = f"{text} Unit: {f.unit}.".strip()
    if f.extension:
        text = f"Extension (this project). {text}".strip()
    return text or None


def annotation(
    f: Field, *, request: bool, max_text: int | None = None, keep_pattern: bool = False
) -> Any:
    """The type of field ``f``. Requests carry every constraint; responses those that catalog
    values (and ``?extensions=true`` values) always meet: types, bounds, ``keep_pattern``."""
    info: dict[str, Any] = {"description": _description(f)}
    extra: list[Any] = []
    if f.numeric:
        base: Any = int if f.integer else float
        if f.minimum is not None:
            info["gt" if f.exclusive_minimum else "ge"] = f.minimum
        if f.maximum is not None:
            info["le"] = f.maximum
    elif f.type == "array":
        pattern = f.item_pattern if request else None
        base = list[Annotated[str, StringConstraints(pattern=pattern)]]
        info["max_length"] = f.max_items
        if f.unique_items:
            extra.append(AfterValidator(_distinct))
            info["json_schema_extra"] = {"uniqueItems": True}
    elif f.enum is not None and request:
        base = Literal[f.enum]
        if all(v == v.lower() for v in f.enum):  # as a row's task and model_datatype: FP8 = fp8
            extra.append(BeforeValidator(_lower))
    else:
        base = str
        if request or keep_pattern:
            info |= {"pattern": f.pattern, "max_length": f.max_length or max_text}
            info["min_length"] = f.min_length
        if f.format:
            info["json_schema_extra"] = {"format": f.format}
    info = {k: v for k, v in info.items() if v is not None}
    return Annotated[base, Constraint(**info), *extra]


def _optional(kind: Any, nullable: bool) -> tuple[Any, None]:
    """An optional field: absent, or (``nullable``) null to unset it. The default None is
    never validated: an explicit null is refused unless ``nullable``."""
    return (kind | None if nullable else kind, None)


# --- the request row and /v1/impact ----------------------------------------------------------

ImpactRow = create_model(  # type: ignore[call-overload]
    "ImpactRow",
    __config__=_DOCUMENTS,
    __doc__="One request to estimate (docs/api.md, 'Row fields'). Unknown keys are listed in "
    "debug (ignored_fields), or a row error when they are a typo of a field.",
    **{f.name: _optional(annotation(f, request=True), False) for f in ROW_FIELDS},
)

_ROWS_SCHEMA = {"type": "array", "maxItems": MAX_ROWS, "items": {"$ref": REF + "ImpactRow"}}


class ImpactRequest(BaseModel):
    """``{"rows": [...]}``: each row is checked on its own (a bad row gets its own error)."""

    model_config = _STRICT
    rows: Annotated[list[Any], Constraint(max_length=MAX_ROWS), WithJsonSchema(_ROWS_SCHEMA)]


class ImpactMetrics(BaseModel):
    model_config = _DOCUMENTS
    usage_energy_wh: float
    usage_emissions_gco2e: float
    usage_water_ml: float
    embodied_emissions_gco2e: float
    embodied_water_ml: float


class ErrorDetails(BaseModel):
    """``field`` is absent when the error is about no one field (the spec's string is never
    null)."""

    model_config = _DOCUMENTS
    reason: str | SkipJsonSchema[None] = None
    field: str | SkipJsonSchema[None] = None


class Error(BaseModel):
    """Every error: a row's ``error``, and the body of every 4xx/5xx of the REST API."""

    model_config = _DOCUMENTS
    code: str | SkipJsonSchema[None] = None
    message: str
    details: ErrorDetails | SkipJsonSchema[None] = None


class GridMix(BaseModel):
    model_config = _DOCUMENTS
    country: Annotated[str, Constraint(pattern=CODE_PATTERN)]
    region: str | SkipJsonSchema[None] = None
    gco2e_per_kwh: Annotated[float, Constraint(ge=0, le=2000)]


class Confidence(BaseModel):
    """Extension, with ?extensions=true (docs/methodology.md section 15.3)."""

    model_config = _DOCUMENTS
    tier: Literal["calibrated", "extrapolated", "assumed"]
    reasons: list[str]
    method: str


class PredictionStep(BaseModel):
    model_config = _DOCUMENTS
    description: str
    duration_ms: float
    inferences: int


class StatusResponse(BaseModel):
    model_config = _DOCUMENTS
    ready: bool
    reason: str | SkipJsonSchema[None] = None


class AliasRequest(BaseModel):
    model_config = _STRICT
    alias: Annotated[str, StringConstraints(pattern=ALIAS_PATTERN)]


# --- catalog objects -------------------------------------------------------------------------

# Keys every answer has (the hosted API's required lists, as the SDK reads them).
_METADATA = ("customer_id", "created_at", "updated_at", "created_by")
OBJECT_REQUIRED: dict[str, tuple[str, ...]] = {
    MODEL.kind: ("id", "aliases", *_METADATA),
    NODE.kind: ("id", "gpu_id", "gpu_count", "cpu_count", "created_at", "updated_at"),
    GPU.kind: (*(f.name for f in GPU.fields if f.required), *_METADATA),
    DATACENTER.kind: ("id", "name", "country", "created_at", "updated_at"),
}
_TIMESTAMP = Annotated[str, Constraint(json_schema_extra={"format": "date-time"})]
_CUSTOMER = Annotated[
    int,
    Constraint(
        description="Owner (0: the global catalog). Disclosed to admin tokens only: other "
        "callers get 0 on models and GPUs (the SDK requires the key) and no key on nodes."
    ),
]


def _object_model(resource: Resource) -> type[BaseModel]:
    required = OBJECT_REQUIRED[resource.kind]
    fields: dict[str, Any] = {}
    for f in resource.fields:
        kind = annotation(f, request=False, keep_pattern=resource is NODE and f.name == "id")
        fields[f.name] = (kind, ...) if f.name in required else _optional(kind, False)
    for name, kind in (
        ("customer_id", _CUSTOMER),
        ("created_at", _TIMESTAMP),
        ("updated_at", _TIMESTAMP),
        ("created_by", str),
    ):
        fields[name] = (kind, ...) if name in required else _optional(kind, False)
    return create_model(
        resource.schema,
        __config__=_DOCUMENTS,
        __doc__="Extension fields appear only with ?extensions=true.",
        **fields,
    )


def _write_model(resource: Resource, create: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for f in resource.fields:
        if not (create or f.updatable):
            continue
        kind = annotation(f, request=True, max_text=MAX_TEXT)
        fields[f.name] = (kind, ...) if f.required and create else _optional(kind, not f.required)
    suffix = "CreateRequest" if create else "UpdateRequest"
    return create_model(resource.schema + suffix, __config__=_STRICT, **fields)


def _list_model(resource: Resource, item: type[BaseModel]) -> type[BaseModel]:
    rows = Annotated[list[item], Constraint(max_length=MAX_PAGE)]  # type: ignore[valid-type]
    fields: dict[str, Any] = {resource.list_key: (rows, ...)}
    return create_model(resource.schema + "Response", __config__=_DOCUMENTS, **fields)


OBJECTS: dict[str, type[BaseModel]] = {k: _object_model(r) for k, r in RESOURCES.items()}
CREATE: dict[str, type[BaseModel]] = {k: _write_model(r, True) for k, r in RESOURCES.items()}
UPDATE: dict[str, type[BaseModel]] = {k: _write_model(r, False) for k, r in RESOURCES.items()}
LISTS: dict[str, type[BaseModel]] = {k: _list_model(r, OBJECTS[k]) for k, r in RESOURCES.items()}


# --- debug and responses ---------------------------------------------------------------------

DebugInfo = create_model(
    "DebugInfo",
    __config__=_DOCUMENTS,
    model=_optional(OBJECTS[MODEL.kind], False),
    hardware_node=_optional(OBJECTS[NODE.kind], False),
    grid_mix=_optional(GridMix, False),
    steps=_optional(Annotated[list[PredictionStep], Constraint(max_length=MAX_STEPS)], False),
    energy_breakdown=_optional(
        Annotated[
            dict[str, Any],
            Constraint(description="Extension, with ?extensions=true: gpu_wh, it_wh, facility_wh."),
        ],
        False,
    ),
    assumptions=_optional(
        Annotated[
            dict[str, Any],
            Constraint(description="Extension, with ?extensions=true: what the estimate assumed."),
        ],
        False,
    ),
    water_breakdown=_optional(
        Annotated[
            dict[str, Any],
            Constraint(description="Extension, with ?extensions=true: onsite_ml, offsite_ml."),
        ],
        False,
    ),
    grid_details=_optional(
        Annotated[
            dict[str, Any],
            Constraint(description="Extension, with ?extensions=true: the grid's year, basis, "
                       "source and the emissions basis."),
        ],
        False,
    ),
    confidence=_optional(Confidence, False),
    ignored_fields=_optional(
        Annotated[
            list[str],
            Constraint(description="Extension, with ?extensions=true: keys of the row that are "
                       "no field (and no typo of one), ignored."),
        ],
        False,
    ),
)  # fmt: skip


class ModeledRow(BaseModel):
    model_config = _DOCUMENTS
    inference_impact: ImpactMetrics
    training_impact: ImpactMetrics
    fine_tuning_impact: ImpactMetrics
    total_impact: ImpactMetrics
    debug: DebugInfo | SkipJsonSchema[None] = None
    error: Error | SkipJsonSchema[None] = None
    confidence: Confidence | SkipJsonSchema[None] = None
    ranges: (
        Annotated[
            dict[str, dict[str, Annotated[list[float], Constraint(min_length=2, max_length=2)]]],
            Constraint(
                description="Extension, with ?extensions=true&ranges=true: [low, high] of every "
                "metric of the four blocks and of energy_breakdown (gpu_wh, it_wh, facility_wh), "
                "the 10-90% interval (docs/methodology.md section 15)."
            ),
        ]
        | SkipJsonSchema[None]
    ) = None


class ImpactResponse(BaseModel):
    model_config = _DOCUMENTS
    rows: Annotated[list[ModeledRow], Constraint(max_length=MAX_ROWS)]
    total_energy_wh: Annotated[
        float, Constraint(description="Sum of rows' total_impact.usage_energy_wh (usage only).")
    ]
    total_gco2e: Annotated[
        float, Constraint(description="Sum of rows' total_impact.usage_emissions_gco2e.")
    ]
    total_mlh2o: Annotated[
        float, Constraint(description="Sum of rows' total_impact.usage_water_ml.")
    ]
    has_errors: bool


_CALL = "signature row: [row]; signature scope3: " + ", ".join(SCOPE3_ARGS)


class ImpactBigQueryRequest(BaseModel):
    """The BigQuery remote-function request (ai_impact.bigquery)."""

    requestId: str  # noqa: N815 (the protocol's names)
    caller: str
    sessionUser: str  # noqa: N815
    userDefinedContext: dict[str, Any] | SkipJsonSchema[None] = None  # noqa: N815
    calls: Annotated[
        list[Annotated[list[Any], Constraint(description=_CALL)]],
        Constraint(description=f"At most {MAX_CALLS:,} calls (the SQL functions send 5,000)."),
    ]


class ImpactBigQueryResponse(BaseModel):
    replies: list[Any]


class ImpactBigQueryError(BaseModel):
    errorMessage: Annotated[str, Constraint(description="At most 1,000 bytes.")]  # noqa: N815


# Every model of the document, by schema name.
MODELS: tuple[type[BaseModel], ...] = (
    Error,
    StatusResponse,
    ImpactRow,
    ImpactRequest,
    ImpactMetrics,
    GridMix,
    PredictionStep,
    DebugInfo,
    ModeledRow,
    ImpactResponse,
    ImpactBigQueryRequest,
    ImpactBigQueryResponse,
    ImpactBigQueryError,
    AliasRequest,
    *OBJECTS.values(),
    *CREATE.values(),
    *UPDATE.values(),
    *LISTS.values(),
)


# --- validation ------------------------------------------------------------------------------


def parse(model: type[M], body: object) -> M:
    """``body`` (parsed JSON) as ``model``, or a 400 naming the first field at fault."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        location = [str(part) for part in error["loc"] if isinstance(part, str)]
        field = location[0] if location else None
        where = ".".join(location) or "request body"
        raise bad_request(f"{where}: {error['msg']}", field) from None


def write_fields(resource: Resource, body: object, *, create: bool) -> dict:
    """The fields of a create (``create``) or update body; ``None`` values mean "unset"."""
    model = (CREATE if create else UPDATE)[resource.kind]
    return parse(model, body).model_dump(exclude_unset=True)


def query_flag(args: Mapping[str, str], name: str) -> bool | None:
    """A boolean query parameter, read as every door reads switches (:func:`fields.flag`)."""
    try:
        return flag(args.get(name))
    except ValueError:
        raise bad_request(f"query parameter {name} must be true or false", name) from None


def query_count(args: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    value = args.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", value) or int(value) > maximum:
        raise bad_request(f"query parameter {name} must be an integer from 0 to {maximum}", name)
    return int(value)
