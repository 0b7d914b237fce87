"""The impact chain: usage and resolved columns -> the four impact blocks of every row.

GPU energy of the replica share (``engine.text``) -> + host and idle capacity = IT energy ->
x PUE = facility energy -> x grid intensity = usage emissions; water = WUE x IT energy +
off-site water intensity x facility energy; embodied = busy share of GPU + server manufacturing;
training and fine-tuning = model totals / (use-life days x requests per day). docs/methodology.md
gives every formula, coefficient and source.

Everything that does not depend on a request's token counts is computed once per distinct
*deployment* (model x hardware x location x batch size x GPU count) and broadcast to the rows;
per row remain a handful of multiply-adds (``text.request_*`` and the lines below).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact import tasks
from ai_impact.engine import infrastructure as infra
from ai_impact.engine import text, work
from ai_impact.parse import Usage
from ai_impact.resolve import AMORTISED, Part, Resolved

METRICS = (
    "usage_energy_wh",
    "usage_emissions_gco2e",
    "usage_water_ml",
    "embodied_emissions_gco2e",
    "embodied_water_ml",
)
BLOCKS = ("inference_impact", "training_impact", "fine_tuning_impact", "total_impact")
_TABLE_LIMIT = 1 << 22  # distinct-key ranges up to this are factorised with a lookup table


@dataclass
class Impacts:
    """Per-row results: ``blocks[block][metric]`` arrays, plus what debug shows."""

    blocks: dict[str, dict[str, np.ndarray]]
    gpu_wh: np.ndarray
    it_wh: np.ndarray
    facility_wh: np.ndarray
    busy_time_s: np.ndarray
    deployment: np.ndarray  # row -> deployment
    gpu_count: np.ndarray  # per deployment
    batch_size: np.ndarray  # per deployment
    steps: list[work.Step]  # parts of the work, per row


def _broadcast(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]``, skipping the gather when every value is zero (the common case for
    fine-tuning)."""
    return values[codes] if values.any() else np.zeros(len(codes))


def _given(value: np.ndarray, default: np.ndarray | float) -> np.ndarray:
    return np.where(np.isfinite(value), value, default)


def _factorize_ints(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of non-negative int keys and the first row of each distinct key."""
    n = len(key)
    if n == 0:
        return key, key
    size = int(key.max()) + 1
    if size > _TABLE_LIMIT:
        _, first, codes = np.unique(key, return_index=True, return_inverse=True)
        return codes.reshape(-1), first
    first_row = np.full(size, n, dtype=np.int64)
    first_row[key[::-1]] = np.arange(n - 1, -1, -1)  # repeated indices: the last write wins
    present = np.flatnonzero(first_row < n)
    remap = np.empty(size, dtype=np.int64)
    remap[present] = np.arange(len(present))
    return remap[key], first_row[present]


def _value_codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of float values (NaN included) and how many distinct values there are."""
    if not np.isfinite(values).any():
        return np.zeros(len(values), dtype=np.int64), 1
    _, codes = np.unique(np.nan_to_num(values, nan=-1.0), return_inverse=True)
    return codes.reshape(-1), int(codes.max()) + 1


def deployments(resolved: Resolved, usage: Usage) -> tuple[np.ndarray, np.ndarray]:
    """Row -> deployment codes, and the first row of each deployment."""
    key = resolved.model.codes.astype(np.int64)
    for part in (resolved.hardware, resolved.location):
        key = key * (int(part.codes.max(initial=0)) + 1) + part.codes
    for name in ("batch_size", "gpu_count"):
        codes, count = _value_codes(usage.number(name))
        key = key * count + codes
    return _factorize_ints(key)


def _flag_unsupported_tasks(usage: Usage, model: Part) -> None:
    methods = model.values["method"]
    for u in np.flatnonzero(methods == tasks.UNSUPPORTED):
        usage.errors.add(
            model.codes == u,
            "unsupported_task",
            "task",
            f"task {model.values['task'][u]!r} is not estimated: no public measurement or model "
            "of its computation exists (docs/methodology.md, tasks)",
        )


def _amortised(model: Part) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Per distinct model: training and fine-tuning blocks of one request (Wh, g, mL)."""
    v = model.values
    to_block_units = 1000.0  # kWh -> Wh, kg -> g, L -> mL
    own, base = {}, {}
    for metric, column in zip(METRICS, AMORTISED, strict=True):
        own[metric] = to_block_units * infra.amortised_per_request(
            v[column], v["estimated_use_life_days"], v["estimated_requests_per_day"]
        )
        base[metric] = to_block_units * infra.amortised_per_request(
            v["base_" + column],
            v["base_estimated_use_life_days"],
            v["base_estimated_requests_per_day"],
        )
    fine_tune = v["base_model_row"].astype(np.int64) >= 0
    training = {m: np.where(fine_tune, base[m], own[m]) for m in METRICS}
    fine_tuning = {m: np.where(fine_tune, own[m], 0.0) for m in METRICS}
    return training, fine_tuning


def compute(usage: Usage, resolved: Resolved, with_steps: bool = False) -> Impacts:
    """All impacts of a batch. Rows with an error (``usage.errors``) get zeros everywhere.
    ``with_steps`` keeps the parts of each row's work (for debug)."""
    model, hardware, location = resolved.model, resolved.hardware, resolved.location
    _flag_unsupported_tasks(usage, model)
    codes, first = deployments(resolved, usage)
    m, h, loc = model.codes[first], hardware.codes[first], location.codes[first]

    def mv(name: str) -> np.ndarray:
        return model.values[name][m]

    def hv(name: str) -> np.ndarray:
        return hardware.values[name][h]

    def lv(name: str) -> np.ndarray:
        return location.values[name][loc]

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # Per deployment.
        gpu_count = _given(
            usage.number("gpu_count")[first],
            infra.replica_gpu_count(
                mv("total_params_billions"), mv("bytes_per_param"), hv("memory_gb")
            ),
        )
        method = mv("method")
        default_batch = np.array([tasks.DEFAULT_BATCH_SIZE[m] for m in method.tolist()])
        batch = _given(usage.number("batch_size")[first], default_batch)
        coef = text.coefficients(
            mv("active_params_billions"),
            mv("total_params_billions"),
            mv("bytes_per_param"),
            gpu_count,
            batch,
            hv("tdp_w"),
            hv("memory_bandwidth_tbps"),
            hv("bf16_dense_tflops"),
            hv("memory_gb"),
        )
        node_gpus, host_w = hv("node_gpu_count"), hv("node_idle_power_w_ex_gpu")
        life, utilization = hv("node_use_life_years"), hv("node_average_utilization_rate")
        overhead_w = infra.host_power_share_w(host_w, gpu_count, node_gpus, batch)
        overhead_w += infra.idle_power_share_w(
            utilization, hv("idle_power_w"), gpu_count, host_w, node_gpus, batch
        )
        # The chain is linear in IT energy: factors per IT Wh, once per deployment.
        pue = lv("pue")
        gco2e_per_it_wh = infra.usage_emissions_gco2e(pue, lv("gco2e_per_kwh"))
        water_ml_per_it_wh = infra.usage_water_ml(
            1.0, pue, lv("wue_l_per_kwh"), lv("water_offsite_l_per_kwh")
        )
        embodied_g_per_s = 1000.0 * infra.embodied_per_busy_second(
            gpu_count,
            hv("embodied_emissions_kgco2e"),
            node_gpus,
            hv("node_embodied_emissions_kgco2e_ex_gpu"),
            batch,
            life,
            utilization,
        )
        embodied_ml_per_s = 1000.0 * infra.embodied_per_busy_second(
            gpu_count,
            hv("embodied_water_l"),
            node_gpus,
            hv("node_embodied_water_l_ex_gpu"),
            batch,
            life,
            utilization,
        )
        training_u, fine_tuning_u = _amortised(model)
        complete = np.logical_and.reduce(
            [
                np.isfinite(a)
                for a in (
                    *vars(coef).values(),
                    overhead_w,
                    gco2e_per_it_wh,
                    water_ml_per_it_wh,
                    embodied_g_per_s,
                    embodied_ml_per_s,
                )
            ]
        )

        # Per row.
        deployment = work.Deployment(
            method=method,
            active_params_billions=mv("active_params_billions"),
            total_params_billions=mv("total_params_billions"),
            gpu_count=gpu_count,
            batch_size=batch,
            gpu_tdp_w=hv("tdp_w"),
            gpu_bf16_tflops=hv("bf16_dense_tflops"),
            gpu_memory_bandwidth_tbps=hv("memory_bandwidth_tbps"),
            default_steps=mv("default_steps"),
            default_width_px=mv("default_width_px"),
            default_height_px=mv("default_height_px"),
            text=coef,
        )
        done = work.request_work(usage, deployment, codes, with_steps)
        gpu_j, busy_s = done.gpu_j, done.busy_s
        gpu_wh = gpu_j / 3600.0
        it_wh = gpu_wh + busy_s * overhead_w[codes] / 3600.0
        facility_wh = it_wh * pue[codes]
        inference = {
            "usage_energy_wh": facility_wh,
            "usage_emissions_gco2e": it_wh * gco2e_per_it_wh[codes],
            "usage_water_ml": it_wh * water_ml_per_it_wh[codes],
            "embodied_emissions_gco2e": busy_s * embodied_g_per_s[codes],
            "embodied_water_ml": busy_s * embodied_ml_per_s[codes],
        }
        training = {k: _broadcast(v, model.codes) for k, v in training_u.items()}
        fine_tuning = {k: _broadcast(v, model.codes) for k, v in fine_tuning_u.items()}
        total = {k: inference[k] + training[k] for k in METRICS}
        if any(v.any() for v in fine_tuning_u.values()):
            for k in METRICS:
                total[k] += fine_tuning[k]

    errors = usage.errors
    if not complete.all():
        errors.add(
            ~complete[codes],
            "invalid_field",
            "row",
            "the model or hardware of this row lacks a parameter the estimate needs",
        )
    blocks = {
        "inference_impact": inference,
        "training_impact": training,
        "fine_tuning_impact": fine_tuning,
        "total_impact": total,
    }
    per_row = [gpu_wh, it_wh, facility_wh, busy_s]
    steps = done.steps
    if errors.any.any():
        keep = np.where(errors.any, 0.0, 1.0)
        for block in blocks.values():
            for k in METRICS:
                block[k] = np.nan_to_num(block[k] * keep)
        per_row = [np.nan_to_num(a * keep) for a in per_row]
        steps = [
            work.Step(s.description, np.nan_to_num(s.duration_s * keep), s.inferences * keep)
            for s in steps
        ]
    return Impacts(blocks, *per_row, codes, gpu_count, batch, steps)
