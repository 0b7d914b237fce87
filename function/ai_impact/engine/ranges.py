"""Ranges: a low and a high value for every metric, from separate sources of uncertainty.

Every source is a *half-width on the log scale* at the stated interval (the 10-90% central
interval, docs/methodology.md section 13): ``h = ln(high / point) = ln(point / low)``. A source
is one small input: which quantity it widens (:data:`QUANTITIES`), at which level it is known
(per distinct model, hardware, location or deployment) and its half-widths there. Sources that
act on the same quantity are independent, so their half-widths add in quadrature (the analytic
propagation of independent log-normal factors; a product's log is a sum of logs)::

    h_gpu = sqrt(sum of h_s^2 over the sources acting on GPU energy)
    h_facility = sqrt(h_gpu^2 + h_pue^2)
    h_emissions = sqrt(h_facility^2 + h_grid^2)
    h_water = sqrt(h_facility^2 + h_water^2)
    h_embodied = sqrt(h_gpu^2 + h_embodied^2)    (busy time follows GPU energy)

Everything is computed once per distinct deployment and broadcast to the rows: per row remain
two multiplications per metric. A block is ``point x exp(-h), point x exp(h)``, so
``low <= point <= high`` holds by construction. ``total_impact`` is composed from its parts'
deviations, which are independent, in quadrature (not a sum of lows)::

    high_total = point_total + sqrt(sum_b (high_b - point_b)^2)
    low_total = point_total - sqrt(sum_b (point_b - low_b)^2)

Deterministic (no sampling): the same request gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ai_impact.engine import text
from ai_impact.engine.columns import BLOCKS, METRICS, Block, Floats

# The quantities a source can widen.
QUANTITIES = (
    "gpu",  # GPU energy and busy time of the request
    "pue",  # facility overhead
    "grid",  # grid carbon intensity
    "water",  # on-site WUE and off-site water intensity
    "embodied_emissions",  # manufacturing footprints of GPU and server
    "embodied_water",
    "training",  # a request's share of training and fine-tuning
)
LEVELS = ("model", "hardware", "location")


@dataclass(frozen=True)
class Source:
    """One source of uncertainty: ``half_width`` (ln(high/point) at the 10-90% interval) per
    distinct key of ``level`` (model, hardware or location codes of the batch)."""

    name: str
    quantity: str
    level: str
    half_width: Floats

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES or self.level not in LEVELS:
            raise ValueError(f"source {self.name!r}: unknown quantity or level")


@dataclass(frozen=True)
class Uncertainty:
    """What the engine needs to compute ranges: the resolved sources, and per distinct model
    whether the row named its datatype (else the engine widens over 8- and 16-bit weights).

    ``batch_range``: plausible batch sizes when the log does not give one, as factors of the
    default (low, high); ``other_batch_half_width``: the same for methods other than text,
    whose energy per request is not modelled against batch size."""

    sources: list[Source] = field(default_factory=list)
    datatype_given: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    batch_range: tuple[float, float] = (0.25, 2.0)
    other_batch_half_width: float = float(np.log(1.5))


@dataclass(frozen=True)
class Ranges:
    """Low and high of every metric, per row: ``blocks[b][metric] = (low, high)``."""

    blocks: dict[str, dict[str, tuple[Floats, Floats]]]
    energy_breakdown: dict[str, tuple[Floats, Floats]]
    half_widths: dict[str, Floats]  # per deployment, per quantity (for debug and tests)


def _proxy_j_per_token(c: text.Coefficients) -> Floats:
    """A text request's GPU energy per token at a 1:1 prompt:output mix, the measure the
    sensitivities below compare."""
    out: Floats = c.decode_j_per_token + c.prefill_j_per_token
    return out


def _sensitivity(point: Floats, low: Floats, high: Floats) -> Floats:
    """Half-width of the spread of an output whose input spans a plausible range: the larger
    log distance of the output at the input's ends from its value at the point."""
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.maximum(np.abs(np.log(low / point)), np.abs(np.log(high / point)))
    out: Floats = np.nan_to_num(h, nan=0.0, posinf=0.0)
    return out


def deployment_half_widths(
    u: Uncertainty,
    model_of: np.ndarray,
    hardware_of: np.ndarray,
    location_of: np.ndarray,
    is_text: np.ndarray,
    batch_given: np.ndarray,
    gpu_count_given: np.ndarray,
    coefficient_inputs: tuple[Floats, ...],
) -> dict[str, Floats]:
    """Per deployment, the half-width of each quantity.

    ``model_of``/``hardware_of``/``location_of``: the distinct model, hardware and location of
    each deployment; ``coefficient_inputs``: the arguments of :func:`text.coefficients` per
    deployment (active B, total B, bytes per parameter, GPUs, batch, TDP, bandwidth, TFLOPS,
    memory), to measure the text model's sensitivity to the inputs the log did not give.
    """
    n = len(model_of)
    codes = {"model": model_of, "hardware": hardware_of, "location": location_of}
    squares = {q: np.zeros(n) for q in QUANTITIES}
    for s in u.sources:
        squares[s.quantity] += np.square(np.nan_to_num(s.half_width))[codes[s.level]]

    active, total, bytes_pp, gpus, batch, tdp, bandwidth, tflops, memory = coefficient_inputs
    point = _proxy_j_per_token(
        text.coefficients(active, total, bytes_pp, gpus, batch, tdp, bandwidth, tflops, memory)
    )

    def at(**changed: Floats) -> Floats:
        args: dict[str, Any] = dict(
            active_params_billions=active,
            total_params_billions=total,
            bytes_per_param=bytes_pp,
            gpu_count=gpus,
            batch_size=batch,
            gpu_tdp_w=tdp,
            gpu_memory_bandwidth_tbps=bandwidth,
            gpu_bf16_tflops=tflops,
            gpu_memory_gb=memory,
        )
        return _proxy_j_per_token(text.coefficients(**(args | changed)))

    b_low, b_high = u.batch_range
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        batch_h = np.where(
            is_text,
            _sensitivity(point, at(batch_size=batch * b_low), at(batch_size=batch * b_high)),
            u.other_batch_half_width,
        )
        # Weights in 4 to 16 bits when the row does not name its datatype (quantised
        # serving, AWQ/GPTQ int4, is common for open models).
        dtype_h = _sensitivity(
            point, at(bytes_per_param=np.full(n, 0.5)), at(bytes_per_param=np.full(n, 2.0))
        )
        # The replica: half or twice the GPUs (tensor parallelism the log did not give).
        replica_h = _sensitivity(
            point, at(gpu_count=np.maximum(gpus / 2.0, 1.0)), at(gpu_count=gpus * 2.0)
        )
    datatype_given = u.datatype_given[model_of] if len(u.datatype_given) else np.zeros(n, bool)
    squares["gpu"] += np.where(batch_given, 0.0, np.square(batch_h))
    squares["gpu"] += np.where(datatype_given | ~is_text, 0.0, np.square(dtype_h))
    squares["gpu"] += np.where(gpu_count_given | ~is_text, 0.0, np.square(replica_h))

    h = {q: np.sqrt(squares[q]) for q in QUANTITIES}
    h["facility"] = np.sqrt(squares["gpu"] + squares["pue"])
    h["emissions"] = np.sqrt(squares["gpu"] + squares["pue"] + squares["grid"])
    h["water_total"] = np.sqrt(squares["gpu"] + squares["pue"] + squares["water"])
    h["embodied_emissions_total"] = np.sqrt(squares["gpu"] + squares["embodied_emissions"])
    h["embodied_water_total"] = np.sqrt(squares["gpu"] + squares["embodied_water"])
    return h


def model_half_width(u: Uncertainty, quantity: str, n_models: int) -> Floats:
    """Per distinct model, the half-width of ``quantity`` from the model-level sources."""
    squares = np.zeros(n_models)
    for s in u.sources:
        if s.quantity == quantity and s.level == "model":
            squares += np.square(np.nan_to_num(s.half_width))
    out: Floats = np.sqrt(squares)
    return out


# The half-width each inference metric uses.
_INFERENCE = {
    "usage_energy_wh": "facility",
    "usage_emissions_gco2e": "emissions",
    "usage_water_ml": "water_total",
    "embodied_emissions_gco2e": "embodied_emissions_total",
    "embodied_water_ml": "embodied_water_total",
}


def _factors(h: Floats, codes: np.ndarray) -> Floats:
    """``exp(h)`` of each row's key (one gather per quantity; the low divides by it)."""
    out: Floats = np.take(np.exp(h), codes)
    return out


def _quadrature(
    point_total: Floats, deviations: list[tuple[Floats, Floats]], scratch: Floats, sign: float
) -> Floats:
    """``point_total + sign x sqrt(sum (a - b)^2)`` over ``deviations`` (pairs a, b), in place
    (one new array; ``scratch`` is reused), floored at zero for the low end."""
    (a, b), rest = deviations[0], deviations[1:]
    out: Floats = np.subtract(a, b)
    np.square(out, out=out)
    for a, b in rest:
        np.subtract(a, b, out=scratch)
        np.square(scratch, out=scratch)
        out += scratch
    np.sqrt(out, out=out)
    if sign < 0:
        np.subtract(point_total, out, out=out)
        return np.maximum(out, 0.0, out=out)
    return np.add(point_total, out, out=out)


def compute_ranges(
    blocks: tuple[Block, Block, Block, Block],
    energy: tuple[Floats, Floats, Floats],
    h: dict[str, Floats],
    deployment: np.ndarray,
    training_h: Floats,
    model_codes: np.ndarray,
    present: tuple[list[bool], list[bool]],
) -> Ranges:
    """Low and high of every metric of every row (see the module docstring).

    ``blocks``: inference, training, fine-tuning, total; ``energy``: GPU, IT and facility Wh;
    ``h``: :func:`deployment_half_widths`; ``training_h``: per distinct model, the half-width
    of the training and fine-tuning blocks; ``present``: per metric, whether any model of the
    batch has a training, and a fine-tuning, value (the blocks are zero otherwise).
    """
    inference, training, fine_tuning, total = blocks
    out: dict[str, dict[str, tuple[Floats, Floats]]] = {b: {} for b in BLOCKS}
    factor = {q: _factors(h[q], deployment) for q in {*_INFERENCE.values(), "gpu"}}
    amortised = _factors(training_h, model_codes) if any(present[0] + present[1]) else None
    zero = np.zeros(len(deployment))  # shared by the blocks a batch does not have (read only)
    scratch = np.empty(len(deployment))
    for k, metric in enumerate(METRICS):
        point = getattr(inference, metric)
        f = factor[_INFERENCE[metric]]
        parts = [(point, point / f, point * f)]
        out["inference_impact"][metric] = parts[0][1:]
        for name, block, has in (
            ("training_impact", training, present[0][k]),
            ("fine_tuning_impact", fine_tuning, present[1][k]),
        ):
            point = getattr(block, metric)
            if has and amortised is not None:
                parts.append((point, point / amortised, point * amortised))
                out[name][metric] = parts[-1][1:]
            else:
                out[name][metric] = (zero, zero)
        if len(parts) == 1:  # the total is the inference block
            out["total_impact"][metric] = out["inference_impact"][metric]
            continue
        point_total = getattr(total, metric)
        out["total_impact"][metric] = (
            _quadrature(point_total, [(p, lo) for p, lo, _ in parts], scratch, -1.0),
            _quadrature(point_total, [(hi, p) for p, _, hi in parts], scratch, 1.0),
        )
    gpu_wh, it_wh, facility_wh = energy
    breakdown = {
        "gpu_wh": (gpu_wh / factor["gpu"], gpu_wh * factor["gpu"]),
        "it_wh": (it_wh / factor["gpu"], it_wh * factor["gpu"]),
        "facility_wh": (facility_wh / factor["facility"], facility_wh * factor["facility"]),
    }
    return Ranges(out, breakdown, h)
