"""The impact chain: usage and resolved columns -> the four impact blocks of every row.

GPU energy of the replica share (``engine.text``) -> + host and idle capacity = IT energy ->
x PUE = facility energy -> x grid intensity = usage emissions; water = WUE x IT energy +
off-site water intensity x facility energy; embodied = busy share of GPU + server manufacturing;
training and fine-tuning = fleet training:inference ratio x the request's inference block.
docs/methodology.md
gives every formula, coefficient and source.

Everything that does not depend on a request's token counts is computed once per distinct
*deployment* (model x hardware x location x batch size x GPU count) and broadcast to the rows;
per row remain a handful of multiply-adds (``text.request_gpu_j_and_busy_s`` and
:func:`_per_row`). Those run over chunks of rows (``keys.row_chunks``): the values gathered for
a chunk and its intermediate columns stay in the CPU cache, only the outputs go to memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact import tasks
from ai_impact.engine import infrastructure as infra
from ai_impact.engine import ranges as rng
from ai_impact.engine import text, work
from ai_impact.engine.columns import (
    METRICS,
    Block,
    HardwareColumns,
    Impacts,
    LocationColumns,
    ModelColumns,
    Step,
    Usage,
)
from ai_impact.engine.errors import RowErrors
from ai_impact.engine.keys import Scaled, broadcast, combine_codes, value_codes


def deployments(
    usage: Usage, model: ModelColumns, hardware: HardwareColumns, location: LocationColumns
) -> tuple[np.ndarray, np.ndarray]:
    """Row -> deployment codes, and the first row of each deployment."""
    # The codes index the per-distinct columns: their length is the codes' range.
    parts = [
        (p.codes.astype(np.int64, copy=False), len(column))
        for p, column in (
            (model, model.method),
            (hardware, hardware.gpu_tdp_w),
            (location, location.pue),
        )
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


def _given(value: np.ndarray, default: np.ndarray | float) -> np.ndarray:
    return np.where(np.isfinite(value), value, default)


def _architecture(model: ModelColumns, m: np.ndarray) -> text.Architecture | None:
    """The published architecture of each deployment's model (experts, hybrid layers), None
    when unknown."""
    arch = model.architecture
    if arch is None:
        return None
    return text.Architecture(
        arch.shared_params_billions[m], arch.kv_layer_fraction[m], arch.recurrent_state_gb[m]
    )


def _deployment(
    usage: Usage,
    model: ModelColumns,
    hardware: HardwareColumns,
    first: np.ndarray,
    change: rng.Change = rng.POINT,
) -> tuple[work.Deployment, np.ndarray, np.ndarray]:
    """The model on its replica, per deployment (``first``: a row of each): GPU count, batch
    size and datatype (the row's, else the managed service's serving profile for text models,
    else the defaults) and the text coefficients. Also returns the replica's own GPU count
    (the deployment's is bounded, :func:`infra.modelled_gpu_count`) and the bytes per weight.
    ``change`` moves the inputs to one end of their range (``engine.ranges``)."""
    m, h = model.codes[first], hardware.codes[first]
    total_b = model.total_params_billions[m] * change.total_params
    active_b = model.active_params_billions[m] * change.active_params
    served = model.method[m] == tasks.TEXT
    # A service serves in its datatype, never in more bits than the model is published in
    # (an fp4 checkpoint stays fp4 on an fp8 service); NaN (no profile) leaves the model's.
    bytes_pp = np.where(
        served,
        np.fmin(hardware.service_bytes_per_param[h], model.bytes_per_param[m]),
        model.bytes_per_param[m],
    )
    bytes_pp = np.where(np.isnan(change.bytes_per_param), bytes_pp, change.bytes_per_param)
    tdp_w, memory_gb = hardware.gpu_tdp_w[h], hardware.gpu_memory_gb[h]
    bandwidth_tbps = hardware.gpu_memory_bandwidth_tbps[h]
    tflops = hardware.gpu_bf16_dense_tflops[h]
    replica = _given(usage.gpu_count[first], infra.replica_gpu_count(total_b, bytes_pp, memory_gb))
    replica = replica * change.gpu_count
    # The physics runs on at most the GPU count it was fitted on.
    gpu_count = infra.modelled_gpu_count(replica)
    default_batch = np.where(
        served,
        _given(hardware.service_batch_size[h], model.default_batch_size[m]),
        model.default_batch_size[m],
    )
    batch = _given(usage.batch_size[first], default_batch) * change.batch_size
    deployment = work.Deployment(
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
            active_b,
            total_b,
            bytes_pp,
            gpu_count,
            batch,
            tdp_w,
            bandwidth_tbps,
            tflops,
            memory_gb,
            blackwell=hardware.gpu_blackwell[h],
            arch=_architecture(model, m),
            block_scaled=None if model.block_scaled_8bit is None else model.block_scaled_8bit[m],
        ),
        denoiser=None if model.denoiser is None else model.denoiser.take(m),
    )
    return deployment, replica, bytes_pp


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


def _per_row(
    gpu_j: np.ndarray,
    busy_s: np.ndarray,
    f: _Factors,
    multiples: list[np.ndarray],
    codes: np.ndarray,
) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Per row: GPU and IT energy (Wh), on- and off-site water (mL), and the inference block
    followed by each of its ``multiples`` (per deployment, e.g. training per unit of
    inference), from the GPU energy (J) and busy time (s) of the rows and their deployment
    (``codes``). Every per-deployment factor is applied by ``keys.broadcast``."""
    n = len(codes)
    gpu_wh = gpu_j / 3600.0
    it_wh = gpu_wh + busy_s * f.overhead_w[codes] / 3600.0
    onsite, offsite = np.empty(n), np.empty(n)
    inference = [np.empty(n) for _ in METRICS]
    by_factor = (
        (f.pue, it_wh, inference[0]),
        (f.gco2e_per_it_wh, it_wh, inference[1]),
        (f.water_onsite_ml_per_it_wh, it_wh, onsite),
        (f.water_offsite_ml_per_it_wh, it_wh, offsite),
        (f.embodied_g_per_s, busy_s, inference[3]),
        (f.embodied_ml_per_s, busy_s, inference[4]),
    )
    broadcast([Scaled(factor, [(point, out, False)]) for factor, point, out in by_factor], codes)
    np.add(onsite, offsite, out=inference[2])
    blocks = [[np.empty(n) for _ in METRICS] for _ in multiples]
    broadcast(
        [
            Scaled(x, [(i, out, False) for i, out in zip(inference, block, strict=True)])
            for x, block in zip(multiples, blocks, strict=True)
        ],
        codes,
    )
    return [gpu_wh, it_wh, onsite, offsite], [inference, *blocks]


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
        dep, replica, bytes_pp = _deployment(usage, model, hardware, first)
        f = _factors(dep, hardware, location, first)
        complete = f.complete() & np.logical_and.reduce(
            [np.isfinite(a) for a in vars(dep.text).values()]
        )

        # Per row.
        done = work.request_work(usage, dep, codes, errors, with_steps)
        # Training and fine-tuning: per deployment, their multiple of the inference block.
        m = model.codes[first]
        per_train, per_tune = infra.development_shares(
            np.ones(len(first)), model.training_ratio[m], model.fine_tuning_share[m]
        )
        tuned = bool(per_tune.any())
        multiples = [per_train, 1.0 + per_train + per_tune] + ([per_tune] if tuned else [])
        (gpu_wh, it_wh, water_onsite_ml, water_offsite_ml), developed = _per_row(
            done.gpu_j, done.busy_s, f, multiples, codes
        )
        inference, training, total = developed[:3]
        # Without fine-tuning its block is zeros: one read-only array shared by the metrics.
        fine_tuning = developed[3] if tuned else [np.zeros(usage.n_rows)] * len(METRICS)
        busy_s, facility_wh = done.busy_s, inference[0]

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
        ranges = rng.compute_ranges(
            (Block(*blocks[0]), Block(*blocks[1]), Block(*blocks[2]), Block(*blocks[3])),
            (per_row[0], per_row[1], per_row[2]),
            _ranges(uncertainty, usage, model, hardware, location, first, dep),
            codes,
            (model.training_ratio[m], uncertainty.training_ratio_half_width[m]),
            tuned,
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
        gpu_count=replica,
        batch_size=dep.batch_size,
        bytes_per_param=bytes_pp,
        steps=steps,
        errors=errors,
        tokens=done.tokens,
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
) -> dict[str, np.ndarray]:
    """Half-widths per deployment (``engine.ranges``), the deployment rebuilt by
    :func:`_deployment` at the ends of each input's range."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return rng.deployment_half_widths(
            u,
            dep,
            lambda change: _deployment(usage, model, hardware, first, change)[0],
            {
                "model": model.codes[first],
                "hardware": hardware.codes[first],
                "location": location.codes[first],
            },
            {
                "batch_size": np.isfinite(usage.batch_size[first]),
                "gpu_count": np.isfinite(usage.gpu_count[first]),
            },
        )
