"""Impact columns -> Scope3 ``ModeledRow`` objects, one per input row, in input order.

Every row carries the four blocks (zeros where they do not apply, and on error rows), each with
exactly the five metrics; ``total_impact`` is their sum. ``error`` is present (None when fine).
``debug`` is added on request, with the Scope3 keys (``model``, ``hardware_node``, ``grid_mix``,
``steps``) and this project's ``energy_breakdown`` and ``assumptions``.
"""

from __future__ import annotations

import numpy as np

from ai_impact.catalog import Catalog
from ai_impact.engine.chain import BLOCKS, METRICS, Impacts
from ai_impact.errors import RowErrors
from ai_impact.resolve import Resolved

# Global catalog entries belong to no customer (customer_id 0) and carry the catalog's date.
CATALOG_CUSTOMER_ID = 0
CATALOG_DATE = "2026-11-27T00:00:00Z"
CATALOG_AUTHOR = "ai-impact reference catalog"
# GridMix.country is required by the API; world averages use ISO 3166's user-assigned "ZZ".
UNKNOWN_COUNTRY = "ZZ"

_MODEL_FIELDS = (
    "name",
    "family",
    "hugging_face_path",
    "total_params_billions",
    "number_of_experts",
    "params_per_expert_billions",
    "datatype",
    "task",
    "training_usage_energy_kwh",
    "training_usage_emissions_kgco2e",
    "training_usage_water_l",
    "training_embodied_emissions_kgco2e",
    "training_embodied_water_l",
    "estimated_use_life_days",
    "estimated_requests_per_day",
    "fine_tuned_from_model_id",
)
_NODE_FIELDS = (
    "cloud_id",
    "cloud_instance_id",
    "idle_power_w_ex_gpu",
    "average_utilization_rate",
    "embodied_emissions_kgco2e_ex_gpu",
    "embodied_water_l_ex_gpu",
    "use_life_years",
)
_STAMP = {"created_at": CATALOG_DATE, "updated_at": CATALOG_DATE, "created_by": CATALOG_AUTHOR}


def render(
    impacts: Impacts,
    errors: RowErrors,
    resolved: Resolved | None = None,
    catalog: Catalog | None = None,
    debug: bool = False,
) -> list[dict]:
    """ModeledRow dicts. ``resolved`` and ``catalog`` are needed only with ``debug``."""
    blocks = [_metric_dicts(impacts.blocks[block]) for block in BLOCKS]
    failed = errors.any
    error_dicts = [errors.as_dict(i) if bad else None for i, bad in enumerate(failed.tolist())]
    rows = [
        {
            "inference_impact": inference,
            "training_impact": training,
            "fine_tuning_impact": fine_tuning,
            "total_impact": total,
            "error": error,
        }
        for inference, training, fine_tuning, total, error in zip(*blocks, error_dicts, strict=True)
    ]
    if debug and resolved is not None and catalog is not None:
        for i, row in enumerate(rows):
            row["debug"] = _debug(i, impacts, resolved, catalog)
    return rows


def _metric_dicts(block: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """One dict of the five metrics per row (dict literals: the fastest way to build them)."""
    columns = [block[m].tolist() for m in METRICS]
    return [
        {
            "usage_energy_wh": energy,
            "usage_emissions_gco2e": emissions,
            "usage_water_ml": water,
            "embodied_emissions_gco2e": embodied_emissions,
            "embodied_water_ml": embodied_water,
        }
        for energy, emissions, water, embodied_emissions, embodied_water in zip(
            *columns, strict=True
        )
    ]


def _clean(value: object) -> object:
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _model(i: int, resolved: Resolved, catalog: Catalog) -> dict | None:
    row = int(resolved.model.at("model_row", i))
    total = _clean(resolved.model.at("total_params_billions", i))
    if row < 0 and total is None:
        return None
    if row >= 0:
        table = catalog.models
        out = {"id": table["model_id"][row]}
        aliases = table["aliases"][row]
        out["aliases"] = [a for a in aliases.split("|") if a] if aliases else []
        for name in _MODEL_FIELDS:
            out[name] = _clean(table[name][row])
    else:
        out = {"id": "inline", "aliases": [], "total_params_billions": total}
    out["task"] = resolved.model.at("task", i)
    out["customer_id"] = CATALOG_CUSTOMER_ID
    return out | _STAMP


def _node(i: int, impacts: Impacts, resolved: Resolved, catalog: Catalog) -> dict | None:
    hardware = resolved.hardware
    row = int(hardware.at("node_row", i))
    if row < 0:
        return None
    table = catalog.nodes
    gpu = int(hardware.at("gpu_row", i))
    out = {
        "id": table["node_id"][row],
        "gpu_id": catalog.gpus["gpu_id"][gpu] if gpu >= 0 else table["gpu_id"][row],
        "gpu_count": int(table["gpu_count"][row]),
        "cpu_count": int(table["cpu_count"][row]),
    }
    for name in _NODE_FIELDS:
        out[name] = _clean(table[name][row])
    service = int(hardware.at("service_row", i))
    out["managed_service_id"] = catalog.services["service_id"][service] if service >= 0 else None
    out["customer_id"] = None
    return out | _STAMP


def _debug(i: int, impacts: Impacts, resolved: Resolved, catalog: Catalog) -> dict:
    model, hardware, location = resolved.model, resolved.hardware, resolved.location
    deployment = impacts.deployment[i]
    grid = {
        "country": location.at("country", i) or UNKNOWN_COUNTRY,
        "region": location.at("region", i),
        "gco2e_per_kwh": _clean(location.at("gco2e_per_kwh", i)),
    }
    return {
        "model": _model(i, resolved, catalog),
        "hardware_node": _node(i, impacts, resolved, catalog),
        "grid_mix": grid,
        "steps": [
            {
                "description": step.description,
                "duration_ms": _clean(step.duration_s[i] * 1000.0) or 0.0,
                "inferences": int(step.inferences[i]),
            }
            for step in impacts.steps
            if step.inferences[i] > 0
        ],
        "energy_breakdown": {
            "gpu_wh": _clean(impacts.gpu_wh[i]),
            "it_wh": _clean(impacts.it_wh[i]),
            "facility_wh": _clean(impacts.facility_wh[i]),
        },
        "assumptions": {
            "method": model.at("method", i),
            "model_resolved_by": model.at("model_by", i) or None,
            "hardware_resolved_by": hardware.at("hardware_by", i) or None,
            "location_resolved_by": location.at("location_by", i) or None,
            "total_params_billions": _clean(model.at("total_params_billions", i)),
            "active_params_billions": _clean(model.at("active_params_billions", i)),
            "bytes_per_param": _clean(model.at("bytes_per_param", i)),
            "gpu_count": _clean(impacts.gpu_count[deployment]),
            "batch_size": _clean(impacts.batch_size[deployment]),
            "busy_time_s": _clean(impacts.busy_time_s[i]),
            "pue": _clean(location.at("pue", i)),
            "wue_l_per_kwh": _clean(location.at("wue_l_per_kwh", i)),
            "water_offsite_l_per_kwh": _clean(location.at("water_offsite_l_per_kwh", i)),
            "grid_year": _clean(location.at("grid_year", i)),
        },
    }
