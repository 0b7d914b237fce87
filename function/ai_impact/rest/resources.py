"""The catalog resources of the REST API (Model, Node, GPU, Datacenter): their fields, and the
mapping between an API object and a row of the catalog tables (``ai_impact/data/*.csv``).

One declaration per field (:class:`ai_impact.fields.Field`, as the request row's) serves the
pydantic models that validate bodies and make the OpenAPI document
(:mod:`ai_impact.rest.schemas`) and the mapping below. Field names, types and bounds
are the hosted API's (``aiapi.yaml``); a field stored in a catalog column also takes that
column's bounds (scaled), so that what the API accepts the catalog accepts too.

Extension fields (``extension=True``) are this project's: accepted on create and update, and
shown only with ``?extensions=true`` because the SDK's response models forbid unknown keys.
Derivations of the catalog columns a Scope3 object lacks (documented in docs/api.md):

- GPU: ``tdp_w`` = ``max_power_w``; ``embodied_water_l`` = ``embodied_water_mlh2o`` / 1000;
  ``memory_gb``, ``memory_bandwidth_tbps`` and ``bf16_dense_tflops`` default to
  ``performance_ratio_to_h200`` x the ``h200`` row's; ``idle_power_w`` to ``max_power_w`` x the
  h200's idle/TDP ratio. Catalog GPUs show ``performance_ratio_to_h200`` = their dense BF16
  TFLOPS / the h200's, and ``ols_intercept`` = ``ols_coefficient_gpu_count`` = 0 (coefficients
  of the hosted API's model, not used by this engine).
- Node: absent ``idle_power_w_ex_gpu``, ``embodied_emissions_kgco2e_ex_gpu`` and
  ``embodied_water_l_ex_gpu`` are the reference node's (``catalog.defaults``) x gpu_count /
  its gpu_count; absent ``use_life_years`` and ``average_utilization_rate`` are the reference
  node's. Catalog node ids (``aws:p5.48xlarge``) are shown as ``aws-p5-48xlarge``, the form the
  API's id pattern allows; both forms name the node. ``managed_service_id`` of a catalog node is
  the first service whose default node it is.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ai_impact.catalog import GPU_GENERATIONS, SCHEMAS, Catalog, defaults
from ai_impact.fields import CODE_PATTERN, DATATYPE_BYTES, TASKS, Field

# The hosted API's DataType enum. fields.DATATYPE_BYTES adds fp4 and the names serving stacks
# use, which its enum lacks: a row's model_datatype and a model's datatype accept them all, and
# a model shows those outside the enum only with ?extensions=true (the SDK's enum forbids them).
_NOT_IN_SPEC = (
    "fp4", "mxfp4", "nvfp4", "awq", "gptq", "fp8_e4m3", "fp8_e5m2", "float16", "fp8_block"
)  # fmt: skip
DATATYPES: tuple[str, ...] = tuple(d for d in DATATYPE_BYTES if d not in _NOT_IN_SPEC)
# Values an SDK client is shown without ?extensions=true, where the field accepts more.
_SHOWN_ENUMS = {"datatype": DATATYPES}
# Ids travel in URL paths: no slash, no space.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
NODE_ID_PATTERN = r"^[a-z0-9-]+$"
# Aliases are joined with '|' in the catalog's aliases column.
ALIAS_PATTERN = r"^[^\s|][^|]{0,255}$"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Resource:
    kind: str  # "model": the path /model, the store's kind
    table: str  # catalog table
    key_column: str  # catalog column of the id
    schema: str  # OpenAPI schema name
    list_key: str  # key of the list response
    fields: tuple[Field, ...]
    complete_row: Callable[[dict, Catalog], None]  # fill derived catalog columns
    complete_object: Callable[[dict, dict, Catalog], None]  # fill derived API fields

    @property
    def title(self) -> str:
        return self.schema if self.schema == "GPU" else self.kind


def _with_column_bounds(table: str, fields: tuple[Field, ...]) -> tuple[Field, ...]:
    """Tighten each field's bounds to its catalog column's (scaled): the API accepts only what
    the catalog accepts."""
    columns = {c.name: c for c in SCHEMAS[table].columns}
    out = []
    for f in fields:
        col = columns.get(f.column or "")
        if col is None or col.kind == "str":
            out.append(f)
            continue
        minimum, maximum, exclusive = f.minimum, f.maximum, f.exclusive_minimum
        if col.minimum is not None:
            low = col.minimum * f.scale
            if minimum is None or low > minimum or (low == minimum and col.above):
                minimum, exclusive = low, col.above or (low == minimum and exclusive)
        if col.maximum is not None:
            high = col.maximum * f.scale
            maximum = high if maximum is None else min(maximum, high)
        out.append(replace(f, minimum=minimum, maximum=maximum, exclusive_minimum=exclusive))
    return tuple(out)


def _text(name: str, column: str | None = None, **kw: Any) -> Field:
    return Field(name, "string", column=column or name, **kw)


def _number(name: str, column: str | None = None, **kw: Any) -> Field:
    return Field(name, "number", column=column or name, **kw)


def _aliases(**kw: Any) -> Field:
    return Field(
        "aliases",
        "array",
        column="aliases",
        max_items=100,
        item_pattern=ALIAS_PATTERN,
        unique_items=True,
        **kw,
    )


def now_year() -> int:
    """The current UTC year (a custom datacenter's default ``year``)."""
    return datetime.datetime.now(datetime.UTC).year


def _extension_texts(*names: str) -> tuple[Field, ...]:
    return tuple(_text(n, extension=True, description="Extension: catalog column.") for n in names)


def slug(node_id: str) -> str:
    """The API form of a catalog node id: ``aws:p5.48xlarge`` -> ``aws-p5-48xlarge``."""
    return _NOT_SLUG.sub("-", node_id.lower()).strip("-")


# --- GPU -------------------------------------------------------------------------------------


def _complete_gpu_row(row: dict, catalog: Catalog) -> None:
    defaults.complete_gpu(row, row.pop("performance_ratio_to_h200"), catalog)


def _complete_gpu_object(obj: dict, row: dict, catalog: Catalog) -> None:
    obj["performance_ratio_to_h200"] = defaults.ratio_to_h200(row, catalog)
    obj["ols_intercept"] = 0.0
    obj["ols_coefficient_gpu_count"] = 0.0


GPU = Resource(
    kind="gpu",
    table="gpus",
    key_column="gpu_id",
    schema="GPU",
    list_key="gpus",
    fields=_with_column_bounds(
        "gpus",
        (
            _text("id", "gpu_id", pattern=ID_PATTERN, required=True, updatable=False),
            _text("name", required=True, min_length=1),
            _number("max_power_w", "tdp_w", required=True),
            _number("embodied_emissions_kgco2e", required=True),
            _number("embodied_water_mlh2o", "embodied_water_l", scale=1000.0, required=True),
            Field(
                "performance_ratio_to_h200",
                "number",
                minimum=0,
                exclusive_minimum=True,
                maximum=10,
                required=True,
                description="Dense BF16 throughput relative to the H200.",
            ),
            Field(
                "ols_intercept",
                "number",
                required=True,
                description="Hosted API coefficient; stored, not used by this engine.",
            ),
            Field(
                "ols_coefficient_gpu_count",
                "number",
                required=True,
                description="Hosted API coefficient; stored, not used by this engine.",
            ),
            _aliases(extension=True),
            _number("memory_gb", extension=True, description="Default: ratio x h200's."),
            _number(
                "memory_bandwidth_tbps", extension=True, description="Default: ratio x h200's."
            ),
            _number("bf16_dense_tflops", extension=True, description="Default: ratio x h200's."),
            _number("idle_power_w", extension=True, description="Default: TDP x h200's idle/TDP."),
            _text(
                "generation",
                enum=GPU_GENERATIONS,
                extension=True,
                description="The chip's architecture; blackwell takes the text model's "
                "datatype factors fitted on B200. Default: none (those fitted on H100).",
            ),
            *_extension_texts("vendor", "notes", "source"),
        ),
    ),
    complete_row=_complete_gpu_row,
    complete_object=_complete_gpu_object,
)


# --- Node ------------------------------------------------------------------------------------


def _complete_node_row(row: dict, catalog: Catalog) -> None:
    row.pop("managed_service_id", None)
    defaults.complete_node(row, catalog)


def _complete_node_object(obj: dict, row: dict, catalog: Catalog) -> None:
    obj["id"] = slug(row["node_id"])
    services = catalog.services
    node = catalog.nodes.find(row["node_id"])
    for i, default_node in enumerate(services["default_node_id"]):
        if catalog.nodes.find(default_node) == node:
            obj["managed_service_id"] = services["service_id"][i]
            break


NODE = Resource(
    kind="node",
    table="nodes",
    key_column="node_id",
    schema="Node",
    list_key="nodes",
    fields=_with_column_bounds(
        "nodes",
        (
            _text(
                "id",
                "node_id",
                pattern=NODE_ID_PATTERN,
                min_length=3,
                max_length=64,
                required=True,
                updatable=False,
            ),
            _text("cloud_id"),
            _text("cloud_instance_id"),
            Field("managed_service_id", "string", description="Stored; a list filter."),
            _text("gpu_id", required=True),
            Field(
                "gpu_count", "integer", column="gpu_count", minimum=0, maximum=10_000, required=True
            ),
            Field(
                "cpu_count", "integer", column="cpu_count", minimum=1, maximum=10_000, required=True
            ),
            _number("idle_power_w_ex_gpu", minimum=0, maximum=10_000),
            _number("average_utilization_rate", minimum=0, maximum=1),
            _number("embodied_emissions_kgco2e_ex_gpu", minimum=0, maximum=100_000),
            _number("embodied_water_l_ex_gpu", minimum=0, maximum=100_000),
            _number("use_life_years", minimum=1, maximum=30),
            *_extension_texts("notes", "source"),
            _text(
                "datacenter_id",
                extension=True,
                description="Extension: the datacenter the node runs in (predefined or "
                "custom); rows using the node get its place, PUE and WUE unless they name "
                "their own datacenter_id.",
            ),
        ),
    ),
    complete_row=_complete_node_row,
    complete_object=_complete_node_object,
)


# --- Model -----------------------------------------------------------------------------------


def _complete_model_row(row: dict, catalog: Catalog) -> None:
    row.pop("benchmark_model_id", None)


def _complete_model_object(obj: dict, row: dict, catalog: Catalog) -> None:
    obj.setdefault("aliases", [])


_TRAINING = (
    "training_usage_energy_kwh",
    "training_usage_emissions_kgco2e",
    "training_usage_water_l",
    "training_embodied_emissions_kgco2e",
    "training_embodied_water_l",
)

MODEL = Resource(
    kind="model",
    table="models",
    key_column="model_id",
    schema="Model",
    list_key="models",
    fields=_with_column_bounds(
        "models",
        (
            _text("id", "model_id", pattern=ID_PATTERN, required=True, updatable=False),
            _aliases(
                updatable=False,
                description="Other names of the model; unique with ids (PUT .../alias to add).",
            ),
            _text("name"),
            _text("family"),
            _text("hugging_face_path"),
            Field("benchmark_model_id", "string", description="Stored; not used by this engine."),
            _number("total_params_billions"),
            Field("number_of_experts", "integer", column="number_of_experts"),
            _number("params_per_expert_billions"),
            _number(
                "kv_layer_fraction",
                extension=True,
                description="Hybrid state-space models: share of layers with a KV cache.",
            ),
            _number(
                "recurrent_state_gb",
                extension=True,
                description="Hybrid state-space models: per-sequence recurrent state (GB).",
            ),
            _text("datatype", enum=tuple(DATATYPE_BYTES)),
            _text("task", enum=TASKS),
            *(_number(name) for name in _TRAINING),
            _number("estimated_use_life_days"),
            _number("estimated_requests_per_day"),
            _text("fine_tuned_from_model_id"),
            _number("active_params_billions", extension=True),
            *(
                _number(f"{kind}_params_{end}_billions", extension=True)
                for kind in ("total", "active")
                for end in ("low", "high")
            ),
            *(
                Field(name, "integer", column=name, extension=True, description=description)
                for name, description in (
                    ("default_steps", "Extension: denoising steps when a row gives none."),
                    ("default_width_px", "Extension: output width when a row gives none, px."),
                    ("default_height_px", "Extension: output height when a row gives none, px."),
                )
            ),
            *_extension_texts(
                "developer",
                "architecture",
                "params_is_estimate",
                "notes",
                "source",
                "generation_method",
            ),
            *_extension_texts("size_method", "size_evidence", "modality"),
        ),
    ),
    complete_row=_complete_model_row,
    complete_object=_complete_model_object,
)

# --- Datacenter (this project's; the hosted API only names one in a row's datacenter_id) -----


def _complete_datacenter_row(row: dict, catalog: Catalog) -> None:
    row.setdefault("operator", "custom")
    row.setdefault("year", now_year())


def _complete_datacenter_object(obj: dict, row: dict, catalog: Catalog) -> None:
    """Nothing derived: a datacenter's API fields are its catalog columns."""


DATACENTER = Resource(
    kind="datacenter",
    table="datacenters",
    key_column="datacenter_id",
    schema="Datacenter",
    list_key="datacenters",
    fields=_with_column_bounds(
        "datacenters",
        (
            _text(
                "id",
                "datacenter_id",
                pattern=ID_PATTERN,
                required=True,
                updatable=False,
                description="Slug or UUID.",
            ),
            _text("name", required=True, min_length=1),
            _text(
                "country",
                required=True,
                pattern=CODE_PATTERN,
                description="ISO 3166-1 alpha-2: the grid of the request's year.",
            ),
            _text("region", pattern=CODE_PATTERN, description="ISO 3166-2 subdivision."),
            _number("pue", description="Power usage effectiveness; absent: the row's next step."),
            _number("wue_l_per_kwh", description="On-site water, L/kWh of IT energy."),
            _text("operator", description="Default: custom."),
            _text("cloud_id"),
            _text("cloud_region"),
            Field(
                "year",
                "integer",
                column="year",
                minimum=1990,
                maximum=2100,
                description="Year of the figures; default: the year of the write.",
            ),
            *_extension_texts("notes", "source"),
            _number(
                "contract_gco2e_per_kwh",
                description="Market basis: the emission factor of the site's power contract, "
                "gCO2e/kWh (wins over cfe_pct).",
            ),
            _number(
                "cfe_pct",
                description="Market basis: the site's carbon-free-energy share, % "
                "(factor = location factor x (1 - cfe_pct/100)).",
            ),
        ),
    ),
    complete_row=_complete_datacenter_row,
    complete_object=_complete_datacenter_object,
)

RESOURCES: dict[str, Resource] = {r.kind: r for r in (MODEL, NODE, GPU, DATACENTER)}


# --- mapping ---------------------------------------------------------------------------------


def to_row(resource: Resource, entry_id: str, fields: dict, catalog: Catalog) -> dict:
    """The catalog row of an API object (``fields`` without ``id``), derived columns filled."""
    row: dict = {resource.key_column: entry_id}
    for f in resource.fields:
        value = fields.get(f.name)
        if f.name == "id" or value is None:
            continue
        if f.column is None:
            row[f.name] = value  # consumed by complete_row, or dropped by the catalog
        elif f.type == "array":
            row[f.column] = "|".join(value)
        elif f.type == "string":
            row[f.column] = value
        else:
            row[f.column] = value / f.scale
    resource.complete_row(row, catalog)
    return row


def from_row(resource: Resource, row: dict, catalog: Catalog) -> dict:
    """The full API object (extension fields included) of a catalog row."""
    obj: dict = {}
    for f in resource.fields:
        value = row.get(f.column) if f.column else None
        if value is None:
            continue
        if f.type == "array":
            obj[f.name] = [v for v in value.split("|") if v]
        elif f.type == "integer":
            obj[f.name] = int(value)
        elif f.type == "number":
            obj[f.name] = value * f.scale
        else:
            obj[f.name] = value
    resource.complete_object(obj, row, catalog)
    return obj


def scope3_fields(resource: Resource, obj: dict, extensions: bool) -> dict:
    """``obj`` as the hosted API shows it: extension fields only if asked, enum fields outside
    the hosted API's enums (e.g. datatype fp4) as absent, non-finite numbers dropped."""
    out = {}
    for f in resource.fields:
        value = obj.get(f.name)
        if value is None or (f.extension and not extensions):
            continue
        if not extensions and f.enum and value not in _SHOWN_ENUMS.get(f.name, f.enum):
            continue
        if isinstance(value, float) and not math.isfinite(value):
            continue
        out[f.name] = value
    return out
