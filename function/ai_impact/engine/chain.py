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
from ai_impact.engine import ranges as rng
from ai_impact.engine import text, work
from ai_impact.engine.columns import (
    Amortised,
    Block,
    HardwareColumns,
    Impacts,
    LocationColumns,
    ModelColumns,
    Step,
    Usage,
)
from ai_impact.engine.errors import RowErrors
from ai_impact.engine.keys import combine_codes, value_codes


def deployments(
    usage: Usage, model: ModelColumns, hardware: HardwareColumns, location: LocationColumns
) -> tuple[np.ndarray, np.ndarray]:
    """Row -> deployment codes, and the first row of each deployment."""
    parts = [
        (p.codes.astype(np.int64, copy=False), int(p.codes.max(initial=0)) + 1)
        for p in (model, hardware, location)
    ]
    parts += [value_codes(usage.batch_size), value_codes(usage.gpu_count)]
    return combine_codes(parts)


def _unsupported_tasks(model: ModelColumns, errors: RowErrors) -> None:
    for u in np.flatnonzero(model.method == tasks.UNSUPPORTED):
        errors.add(
            model.codes == u,
            "unsupported_task",
            "task",
            f"task {model.task[u]!r} is not estimated: no public measurement or model "
            "of its computation exists (docs/methodology.md, tasks)",
        )


def _per_request(amortised: Amortised) -> list[np.ndarray]:
    """One request's share of the five totals, per distinct model (Wh, g, mL)."""
    to_block_units = 1000.0  # kWh -> Wh, kg -> g, L -> mL
    return [
        to_block_units
        * infra.amortised_per_request(total, amortised.use_life_days, amortised.requests_per_day)
        for total in amortised.totals()
    ]


def _amortised(model: ModelColumns) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per distinct model: training and fine-tuning metrics of one request (Wh, g, mL)."""
    own, base = _per_request(model.training), _per_request(model.base_training)
    fine_tune = model.fine_tuned
    training = [np.where(fine_tune, b, o) for o, b in zip(own, base, strict=True)]
    fine_tuning = [np.where(fine_tune, o, 0.0) for o in own]
    return training, fine_tuning


def _broadcast(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``values[codes]``, skipping the gather when every value is zero (the common case for
    fine-tuning)."""
    return values[codes] if values.any() else np.zeros(len(codes))


def _given(value: np.ndarray, default: np.ndarray | float) -> np.ndarray:
    return np.where(np.isfinite(value), value, default)


def _deployment(
    usage: Usage, model: ModelColumns, hardware: HardwareColumns, first: np.ndarray
) -> work.Deployment:
    """The model on its replica, per deployment (``first``: a row of each): GPU count and batch
    size (the row's, else the defaults) and the text coefficients."""
    m, h = model.codes[first], hardware.codes[first]
    total_b, active_b, bytes_pp = (
        model.total_params_billions[m],
        model.active_params_billions[m],
        model.bytes_per_param[m],
    )
    tdp_w, memory_gb = hardware.gpu_tdp_w[h], hardware.gpu_memory_gb[h]
    bandwidth_tbps = hardware.gpu_memory_bandwidth_tbps[h]
    tflops = hardware.gpu_bf16_dense_tflops[h]
    replica = infra.replica_gpu_count(total_b, bytes_pp, memory_gb)
    gpu_count = _given(usage.gpu_count[first], replica)
    batch = _given(usage.batch_size[first], model.default_batch_size[m])
    return work.Deployment(
        method=model.method[m],
        active_params_billions=active_b,
        total_params_billions=total_b,
        gpu_count=gpu_count,
        batch_size=batch,
        gpu_tdp_w=tdp_w,
        gpu_bf16_tflops=tflops,
        gpu_memory_bandwidth_tbps=bandwidth_tbps,
        default_steps=model.default_steps[m],
        default_width_px=model.default_width_px[m],
        default_height_px=model.default_height_px[m],
        text=text.coefficients(
            active_b, total_b, bytes_pp, gpu_count, batch, tdp_w, bandwidth_tbps, tflops, memory_gb
        ),
    )


@dataclass(frozen=True)
class _Factors:
    """Per deployment, what turns a request's GPU energy and busy time into its inference
    block: the chain is linear in IT energy and in busy time."""

    overhead_w: np.ndarray  # host and idle capacity while the request runs, W
    pue: np.ndarray
    gco2e_per_it_wh: np.ndarray
    water_onsite_ml_per_it_wh: np.ndarray  # cooling: WUE
    water_offsite_ml_per_it_wh: np.ndarray  # electricity generation: PUE x EWIF
    embodied_g_per_s: np.ndarray  # per second of busy time
    embodied_ml_per_s: np.ndarray

    def complete(self) -> np.ndarray:
        """Deployments where every factor is known."""
        known: np.ndarray = np.logical_and.reduce([np.isfinite(a) for a in vars(self).values()])
        return known


def _factors(
    dep: work.Deployment,
    hardware: HardwareColumns,
    location: LocationColumns,
    first: np.ndarray,
) -> _Factors:
    h, loc = hardware.codes[first], location.codes[first]
    gpu_count, batch = dep.gpu_count, dep.batch_size
    node_gpus, host_w = hardware.node_gpu_count[h], hardware.node_idle_power_w_ex_gpu[h]
    life = hardware.node_use_life_years[h]
    utilization = hardware.node_average_utilization_rate[h]
    overhead_w = infra.host_power_share_w(host_w, gpu_count, node_gpus, batch)
    overhead_w += infra.idle_power_share_w(
        utilization, hardware.gpu_idle_power_w[h], gpu_count, host_w, node_gpus, batch
    )
    pue = location.pue[loc]
    return _Factors(
        overhead_w=overhead_w,
        pue=pue,
        gco2e_per_it_wh=infra.usage_emissions_gco2e(pue, location.gco2e_per_kwh[loc]),
        water_onsite_ml_per_it_wh=infra.onsite_water_ml(1.0, location.wue_l_per_kwh[loc]),
        water_offsite_ml_per_it_wh=infra.offsite_water_ml(
            pue, location.water_offsite_l_per_kwh[loc]
        ),
        embodied_g_per_s=1000.0
        * infra.embodied_per_busy_second(
            gpu_count,
            hardware.gpu_embodied_emissions_kgco2e[h],
            node_gpus,
            hardware.node_embodied_emissions_kgco2e_ex_gpu[h],
            batch,
            life,
            utilization,
        ),
        embodied_ml_per_s=1000.0
        * infra.embodied_per_busy_second(
            gpu_count,
            hardware.gpu_embodied_water_l[h],
            node_gpus,
            hardware.node_embodied_water_l_ex_gpu[h],
            batch,
            life,
            utilization,
        ),
    )


def compute(
    usage: Usage,
    model: ModelColumns,
    hardware: HardwareColumns,
    location: LocationColumns,
    *,
    failed: np.ndarray | None = None,
    with_steps: bool = False,
    uncertainty: rng.Uncertainty | None = None,
) -> Impacts:
    """All impacts of a batch.

    ``failed``: rows the caller already rejected (their inputs are not to be trusted); they get
    zeros everywhere, as do the rows the engine cannot estimate (``Impacts.errors``).
    ``with_steps`` keeps the parts of each row's work (for debug). ``uncertainty`` (the
    sources of :mod:`engine.ranges`) adds the low and high of every metric (``Impacts.ranges``).
    """
    errors = RowErrors(usage.n_rows)
    _unsupported_tasks(model, errors)
    codes, first = deployments(usage, model, hardware, location)

    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        dep = _deployment(usage, model, hardware, first)
        f = _factors(dep, hardware, location, first)
        complete = f.complete() & np.logical_and.reduce(
            [np.isfinite(a) for a in vars(dep.text).values()]
        )
        training_u, fine_tuning_u = _amortised(model)

        # Per row.
        done = work.request_work(usage, dep, codes, errors, with_steps)
        gpu_j, busy_s = done.gpu_j, done.busy_s
        gpu_wh = gpu_j / 3600.0
        it_wh = gpu_wh + busy_s * f.overhead_w[codes] / 3600.0
        facility_wh = it_wh * f.pue[codes]
        water_onsite_ml = it_wh * f.water_onsite_ml_per_it_wh[codes]
        water_offsite_ml = it_wh * f.water_offsite_ml_per_it_wh[codes]
        inference = [
            facility_wh,
            it_wh * f.gco2e_per_it_wh[codes],
            water_onsite_ml + water_offsite_ml,
            busy_s * f.embodied_g_per_s[codes],
            busy_s * f.embodied_ml_per_s[codes],
        ]
        training = [_broadcast(v, model.codes) for v in training_u]
        fine_tuning = [_broadcast(v, model.codes) for v in fine_tuning_u]
        total = [i + t for i, t in zip(inference, training, strict=True)]
        if any(v.any() for v in fine_tuning_u):
            total = [t + f for t, f in zip(total, fine_tuning, strict=True)]

    if not complete.all():
        errors.add(
            ~complete[codes],
            "invalid_field",
            "row",
            "the model or hardware of this row lacks a parameter the estimate needs",
        )
    blocks = [inference, training, fine_tuning, total]
    per_row = [gpu_wh, it_wh, facility_wh, busy_s, water_onsite_ml, water_offsite_ml]
    steps = done.steps
    zero = errors.any if failed is None else errors.any | failed
    if zero.any():
        keep = np.where(zero, 0.0, 1.0)
        blocks = [[np.nan_to_num(v * keep) for v in block] for block in blocks]
        per_row = [np.nan_to_num(a * keep) for a in per_row]
        steps = [
            Step(s.description, np.nan_to_num(s.duration_s * keep), s.inferences * keep)
            for s in steps
        ]
    ranges = None
    if uncertainty is not None:
        present = ([v.any() for v in training_u], [v.any() for v in fine_tuning_u])
        ranges = _ranges(
            uncertainty,
            usage,
            model,
            hardware,
            location,
            first,
            dep,
            codes,
            blocks,
            per_row,
            present,
        )
    return Impacts(
        inference=Block(*blocks[0]),
        training=Block(*blocks[1]),
        fine_tuning=Block(*blocks[2]),
        total=Block(*blocks[3]),
        gpu_wh=per_row[0],
        it_wh=per_row[1],
        facility_wh=per_row[2],
        busy_time_s=per_row[3],
        water_onsite_ml=per_row[4],
        water_offsite_ml=per_row[5],
        deployment=codes,
        gpu_count=dep.gpu_count,
        batch_size=dep.batch_size,
        steps=steps,
        errors=errors,
        ranges=ranges,
    )


def _ranges(
    u: rng.Uncertainty,
    usage: Usage,
    model: ModelColumns,
    hardware: HardwareColumns,
    location: LocationColumns,
    first: np.ndarray,
    dep: work.Deployment,
    codes: np.ndarray,
    blocks: list[list[np.ndarray]],
    per_row: list[np.ndarray],
    present: tuple[list[bool], list[bool]],
) -> rng.Ranges:
    """Low and high of every metric (``engine.ranges``), half-widths per deployment."""
    m = model.codes[first]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        h = rng.deployment_half_widths(
            u,
            m,
            hardware.codes[first],
            location.codes[first],
            dep.method == tasks.TEXT,
            np.isfinite(usage.batch_size[first]),
            np.isfinite(usage.gpu_count[first]),
            (
                dep.active_params_billions,
                dep.total_params_billions,
                model.bytes_per_param[m],
                dep.gpu_count,
                dep.batch_size,
                dep.gpu_tdp_w,
                dep.gpu_memory_bandwidth_tbps,
                dep.gpu_bf16_tflops,
                hardware.gpu_memory_gb[hardware.codes[first]],
            ),
        )
    training_h = rng.model_half_width(u, "training", len(model.total_params_billions))
    four = (Block(*blocks[0]), Block(*blocks[1]), Block(*blocks[2]), Block(*blocks[3]))
    return rng.compute_ranges(
        four, (per_row[0], per_row[1], per_row[2]), h, codes, training_h, model.codes, present
    )
