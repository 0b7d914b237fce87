"""Impact columns -> Scope3 ``ModeledRow`` objects, one per input row, in input order.

Every row carries the four blocks (zeros where they do not apply, and on error rows), each with
exactly the five metrics; ``total_impact`` is their sum. ``error`` is present (None when fine).
``debug`` is added on request, with the Scope3 keys (``model``, ``hardware_node``, ``grid_mix``,
``steps``) and this project's ``energy_breakdown`` and ``assumptions``.

This module only shapes output: what debug shows was looked up by the resolver
(:class:`~ai_impact.resolve.Resolved`) and computed by the engine (:class:`Impacts`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ai_impact.catalog.defaults import CATALOG_AUTHOR, CATALOG_DATE, GLOBAL_CUSTOMER_ID
from ai_impact.countries import WORLD_CODE
from ai_impact.engine.columns import Block, Impacts
from ai_impact.engine.ranges import Ranges
from ai_impact.errors import RowErrors, error_dict
from ai_impact.resolve import Resolved
from ai_impact.resolve.common import Entry

# GridMix.country is required by the API; world averages use ISO 3166's user-assigned "ZZ".
UNKNOWN_COUNTRY = WORLD_CODE

_MODEL_FIELDS = (
    "name",
    "family",
    "hugging_face_path",
    "total_params_billions",
    "number_of_experts",
    "params_per_expert_billions",
    "kv_layer_fraction",
    "recurrent_state_gb",
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
# Debug's statement of how the training and fine-tuning blocks were estimated (docs/methodology.md
# section 8): the same rule for every model, open or closed.
_TRAINING_RULE = (
    "estimate: training + fine-tuning = fleet training:inference energy ratio x this request's "
    "inference (Patterson et al. 2022; Wu et al. 2022), the same for open and closed models"
)
_STAMP = {"created_at": CATALOG_DATE, "updated_at": CATALOG_DATE, "created_by": CATALOG_AUTHOR}


def render(
    impacts: Impacts,
    errors: RowErrors,
    resolved: Resolved | None = None,
    debug: bool = False,
    confidence: tuple[np.ndarray, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """ModeledRow dicts. ``resolved`` is needed only with ``debug``. With ``impacts.ranges``
    each row gets ``ranges``; ``confidence`` (per row the index of its object, the objects) adds
    ``confidence`` to each row with ranges, and to ``debug``."""
    inferences, trainings, fine_tunings, totals = (_metric_dicts(b) for b in impacts.blocks())
    failed = errors.any
    error_dicts = [error_dict(errors, i) if bad else None for i, bad in enumerate(failed.tolist())]
    rows: list[dict[str, Any]] = [
        {
            "inference_impact": inference,
            "training_impact": training,
            "fine_tuning_impact": fine_tuning,
            "total_impact": total,
            "error": error,
        }
        for inference, training, fine_tuning, total, error in zip(
            inferences, trainings, fine_tunings, totals, error_dicts, strict=True
        )
    ]
    if debug and resolved is not None:
        for i, row in enumerate(rows):
            row["debug"] = _debug(i, impacts, resolved)
    if impacts.ranges is not None:
        for row, ranges in zip(rows, _range_dicts(impacts.ranges, failed), strict=True):
            row["ranges"] = ranges
    if confidence is not None:
        index, objects = confidence
        for row, k, bad in zip(rows, index.tolist(), failed.tolist(), strict=True):
            conf = None if bad else objects[k]
            if impacts.ranges is not None:
                row["confidence"] = conf
            if "debug" in row:
                row["debug"]["confidence"] = conf
    return rows


def _pairs(low: np.ndarray, high: np.ndarray) -> list[list[float]]:
    return [[lo, hi] for lo, hi in zip(low.tolist(), high.tolist(), strict=True)]


def _range_dicts(ranges: Ranges, failed: np.ndarray) -> list[dict[str, Any] | None]:
    """One ``ranges`` object per row (None on error rows), built column by column."""
    names: list[tuple[str, str]] = []
    columns: list[list[list[float]]] = []
    for block, metrics in ranges.blocks.items():
        for metric, (low, high) in metrics.items():
            names.append((block, metric))
            columns.append(_pairs(np.nan_to_num(low), np.nan_to_num(high)))
    for metric, (low, high) in ranges.energy_breakdown.items():
        names.append(("energy_breakdown", metric))
        columns.append(_pairs(np.nan_to_num(low), np.nan_to_num(high)))
    out: list[dict[str, Any] | None] = []
    for i, bad in enumerate(failed.tolist()):
        if bad:
            out.append(None)
            continue
        row: dict[str, dict[str, list[float]]] = {}
        for (block, metric), column in zip(names, columns, strict=True):
            row.setdefault(block, {})[metric] = column[i]
        out.append(row)
    return out


def _metric_dicts(block: Block) -> list[dict[str, float]]:
    """One dict of the five metrics per row (dict literals: the fastest way to build them)."""
    return [
        {
            "usage_energy_wh": energy,
            "usage_emissions_gco2e": emissions,
            "usage_water_ml": water,
            "embodied_emissions_gco2e": embodied_emissions,
            "embodied_water_ml": embodied_water,
        }
        for energy, emissions, water, embodied_emissions, embodied_water in zip(
            block.usage_energy_wh.tolist(),
            block.usage_emissions_gco2e.tolist(),
            block.usage_water_ml.tolist(),
            block.embodied_emissions_gco2e.tolist(),
            block.embodied_water_ml.tolist(),
            strict=True,
        )
    ]


def _clean(value: object) -> object:
    if isinstance(value, float | np.floating):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def _model(
    entry: Entry | None, total_params_billions: object, task: object
) -> dict[str, Any] | None:
    if entry is None and total_params_billions is None:
        return None
    if entry is not None:
        out: dict[str, Any] = {"id": entry["model_id"]}
        aliases = entry["aliases"]
        out["aliases"] = [a for a in aliases.split("|") if a] if aliases else []
        for name in _MODEL_FIELDS:
            out[name] = entry[name]
    else:
        out = {"id": "inline", "aliases": [], "total_params_billions": total_params_billions}
    out["task"] = task
    out["customer_id"] = GLOBAL_CUSTOMER_ID
    return out | _STAMP


def _node(entry: Entry | None, gpu_id: object, service_id: object) -> dict[str, Any] | None:
    if entry is None:
        return None
    out = {
        "id": entry["node_id"],
        "gpu_id": gpu_id,
        "gpu_count": int(entry["gpu_count"]),
        "cpu_count": int(entry["cpu_count"]),
    }
    for name in _NODE_FIELDS:
        out[name] = entry[name]
    out["managed_service_id"] = service_id
    out["customer_id"] = None
    return out | _STAMP


def _debug(i: int, impacts: Impacts, resolved: Resolved) -> dict[str, Any]:
    model, hardware, location = resolved.model, resolved.hardware, resolved.location
    m, h, loc = model.columns.codes[i], hardware.columns.codes[i], location.columns.codes[i]
    deployment = impacts.deployment[i]
    return {
        "model": _model(
            model.entry[m], _clean(model.columns.total_params_billions[m]), model.columns.task[m]
        ),
        "hardware_node": _node(hardware.node[h], hardware.gpu_id[h], hardware.service_id[h]),
        "grid_mix": {
            "country": location.country[loc] or UNKNOWN_COUNTRY,
            "region": location.region[loc],
            "gco2e_per_kwh": _clean(location.columns.gco2e_per_kwh[loc]),
            # This project's additions (the REST door keeps GridMix to the spec's keys).
            "year": int(location.grid_year[loc]),
            "year_rule": location.grid_year_rule[loc],
            "basis": location.grid_basis[loc],
            "source": location.grid_source[loc],
            "emissions_basis": location.emissions_basis[loc],
            "location_gco2e_per_kwh": _clean(location.location_gco2e_per_kwh[loc]),
            "factor_by": location.factor_by[loc],
        },
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
        "water_breakdown": {
            "onsite_ml": _clean(impacts.water_onsite_ml[i]),
            "offsite_ml": _clean(impacts.water_offsite_ml[i]),
        },
        "assumptions": {
            "method": model.columns.method[m],
            "model_resolved_by": model.by[m] or None,
            "hardware_resolved_by": hardware.by[h] or None,
            "location_resolved_by": location.by[loc] or None,
            "total_params_billions": _clean(model.columns.total_params_billions[m]),
            "active_params_billions": _clean(model.columns.active_params_billions[m]),
            "bytes_per_param": _clean(impacts.bytes_per_param[deployment]),
            "serving_profile": hardware.profile[h],
            "training_rule": _TRAINING_RULE,
            "gpu_count": _clean(impacts.gpu_count[deployment]),
            "batch_size": _clean(impacts.batch_size[deployment]),
            "busy_time_s": _clean(impacts.busy_time_s[i]),
            "pue": _clean(location.columns.pue[loc]),
            "wue_l_per_kwh": _clean(location.columns.wue_l_per_kwh[loc]),
            "water_offsite_l_per_kwh": _clean(location.columns.water_offsite_l_per_kwh[loc]),
            "grid_year": _clean(location.grid_year[loc]),
            "pue_wue_by": location.efficiency_by[loc],
            **{name: _clean(tokens[i]) for name, tokens in impacts.tokens.items()},
        },
    }
