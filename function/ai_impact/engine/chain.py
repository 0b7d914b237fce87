"""The impact chain: usage and resolved columns -> the four impact blocks of every row.

GPU energy of the replica share (``engine.text``) -> + host and idle capacity = IT energy ->
x PUE = facility energy -> x grid intensity = usage emissions; water = WUE x IT energy +
off-site water intensity x facility energy; embodied = busy share of GPU + server manufacturing;
training and fine-tuning = model totals / (use-life days x requests per day). docs/methodology.md
gives every formula, coefficient and source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact.catalog import Catalog, Table
from ai_impact.engine import infrastructure as infra
from ai_impact.engine import text
from ai_impact.parse import Usage
from ai_impact.resolve import Resolved

# Concurrent requests per replica when the log does not say: EcoLogits' assumption (B = 64), in
# the middle of the batch sizes ML.ENERGY measured for served chat (8..1024).
DEFAULT_BATCH_SIZE = 64.0

# Tasks estimated by the text-generation model (prompt in, tokens out).
TEXT_TASKS = frozenset(
    {"text-generation", "chat", "summarization", "translation", "question-answering"}
)

METRICS = (
    "usage_energy_wh",
    "usage_emissions_gco2e",
    "usage_water_ml",
    "embodied_emissions_gco2e",
    "embodied_water_ml",
)
BLOCKS = ("inference_impact", "training_impact", "fine_tuning_impact", "total_impact")
TRAINING_COLUMNS = (
    "training_usage_energy_kwh",
    "training_usage_emissions_kgco2e",
    "training_usage_water_l",
    "training_embodied_emissions_kgco2e",
    "training_embodied_water_l",
)


@dataclass
class Impacts:
    """Per-row results: ``blocks[block][metric]`` arrays plus the quantities shown in debug."""

    blocks: dict[str, dict[str, np.ndarray]]
    gpu_wh: np.ndarray
    it_wh: np.ndarray
    facility_wh: np.ndarray
    busy_time_s: np.ndarray
    gpu_count: np.ndarray
    batch_size: np.ndarray


def _take(table: Table, name: str, rows: np.ndarray) -> np.ndarray:
    """Column ``name`` at ``rows``; NaN where a row is -1 (unresolved)."""
    column = np.asarray(table[name], dtype=np.float64)
    if not len(column):
        return np.full(len(rows), np.nan)
    values = column[np.maximum(rows, 0)]
    return np.where(rows >= 0, values, np.nan)


def _given(value: np.ndarray, default: np.ndarray | float) -> np.ndarray:
    return np.where(np.isfinite(value), value, default)


def compute(usage: Usage, resolved: Resolved, catalog: Catalog) -> Impacts:
    """All impacts of a batch. Rows with an error (``usage.errors``) get zeros everywhere."""
    errors = usage.errors
    task = resolved.task
    unsupported = ~np.isin(task, list(TEXT_TASKS)) & ~errors.any
    if unsupported.any():
        for name in sorted(set(task[unsupported].tolist())):
            errors.add(
                unsupported & (task == name),
                "unsupported_task",
                "task",
                f"task {name!r} is not estimated by this version (text tasks only)",
            )
    ok = ~errors.any

    gpus, nodes = catalog.gpus, catalog.nodes
    g, nd = resolved.gpu_row, resolved.node_row
    gpu_memory_gb = _take(gpus, "memory_gb", g)
    gpu_tdp_w = _take(gpus, "tdp_w", g)
    gpu_bandwidth_tbps = _take(gpus, "memory_bandwidth_tbps", g)
    gpu_tflops = _take(gpus, "bf16_dense_tflops", g)
    total_b, active_b = resolved.total_params_billions, resolved.active_params_billions
    bytes_per_param = resolved.bytes_per_param

    gpu_count = _given(
        usage.number("gpu_count"),
        infra.replica_gpu_count(total_b, bytes_per_param, gpu_memory_gb),
    )
    batch_size = _given(usage.number("batch_size"), DEFAULT_BATCH_SIZE)
    input_tokens = _given(usage.number("input_tokens"), 0.0)
    output_tokens = _given(usage.number("output_tokens"), 0.0)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        args = (
            active_b,
            total_b,
            bytes_per_param,
            gpu_count,
            batch_size,
            gpu_tdp_w,
            gpu_bandwidth_tbps,
            gpu_tflops,
            gpu_memory_gb,
        )
        gpu_j = text.gpu_energy_j(input_tokens, output_tokens, *args)
        busy_s = text.busy_time_s(input_tokens, output_tokens, *args)

        node_gpu_count = _take(nodes, "gpu_count", nd)
        host_w = _take(nodes, "idle_power_w_ex_gpu", nd)
        utilization = _take(nodes, "average_utilization_rate", nd)
        life_years = _take(nodes, "use_life_years", nd)
        host_j = infra.host_energy_j(host_w, gpu_count, node_gpu_count, busy_s, batch_size)
        idle_j = infra.idle_capacity_energy_j(
            utilization,
            _take(gpus, "idle_power_w", g),
            gpu_count,
            host_w,
            node_gpu_count,
            busy_s,
            batch_size,
        )
        gpu_wh = gpu_j / 3600.0
        it_wh = (gpu_j + host_j + idle_j) / 3600.0
        facility_wh = it_wh * resolved.pue
        share = infra.embodied_share(busy_s, batch_size, life_years, utilization)
        embodied_kg = infra.replica_embodied(
            share,
            gpu_count,
            _take(gpus, "embodied_emissions_kgco2e", g),
            node_gpu_count,
            _take(nodes, "embodied_emissions_kgco2e_ex_gpu", nd),
        )
        embodied_l = infra.replica_embodied(
            share,
            gpu_count,
            _take(gpus, "embodied_water_l", g),
            node_gpu_count,
            _take(nodes, "embodied_water_l_ex_gpu", nd),
        )
        inference = {
            "usage_energy_wh": facility_wh,
            "usage_emissions_gco2e": infra.usage_emissions_gco2e(
                facility_wh, resolved.gco2e_per_kwh
            ),
            "usage_water_ml": infra.usage_water_ml(
                it_wh, facility_wh, resolved.wue_l_per_kwh, resolved.water_offsite_l_per_kwh
            ),
            "embodied_emissions_gco2e": embodied_kg * 1000.0,
            "embodied_water_ml": embodied_l * 1000.0,
        }
        own = _amortised(catalog, resolved.model_row)
        base = _amortised(catalog, resolved.base_model_row)
        is_fine_tune = resolved.base_model_row >= 0
        training = {m: np.where(is_fine_tune, base[m], own[m]) for m in METRICS}
        fine_tuning = {m: np.where(is_fine_tune, own[m], 0.0) for m in METRICS}

    blocks = {
        "inference_impact": inference,
        "training_impact": training,
        "fine_tuning_impact": fine_tuning,
    }
    for block in blocks.values():
        for m in METRICS:
            block[m] = np.where(ok, block[m], 0.0)
            bad = ok & ~np.isfinite(block[m])
            errors.add(bad, "invalid_field", "row", "the estimate is not finite for this row")
    ok = ~errors.any
    for block in blocks.values():
        for m in METRICS:
            block[m] = np.where(ok, block[m], 0.0)
    blocks["total_impact"] = {
        m: blocks["inference_impact"][m]
        + blocks["training_impact"][m]
        + blocks["fine_tuning_impact"][m]
        for m in METRICS
    }
    zero = np.where(ok, 1.0, 0.0)
    return Impacts(
        blocks,
        gpu_wh * zero,
        it_wh * zero,
        facility_wh * zero,
        busy_s * zero,
        gpu_count,
        batch_size,
    )


def _amortised(catalog: Catalog, model_row: np.ndarray) -> dict[str, np.ndarray]:
    """Per-request share of a model's training totals, in the units of the impact blocks."""
    models = catalog.models
    life = _take(models, "estimated_use_life_days", model_row)
    per_day = _take(models, "estimated_requests_per_day", model_row)
    to_block_units = 1000.0  # kWh -> Wh, kg -> g, L -> mL
    return {
        metric: infra.amortised_per_request(_take(models, column, model_row), life, per_day)
        * to_block_units
        for metric, column in zip(METRICS, TRAINING_COLUMNS, strict=True)
    }
