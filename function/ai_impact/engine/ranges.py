"""Ranges: a low and a high value for every metric, from separate sources of uncertainty.

Every source ends as a *half-width on the log scale* at the stated interval (docs/methodology.md
section 15): ``h = ln(high / point) = ln(point / low)``. A source is one line, of two kinds:

- :class:`Source`: a half-width given per distinct model, hardware or location, on one of
  :data:`QUANTITIES` (the calibration residual, PUE, grid, water, embodied sources);
- :class:`InputRange`: an input of the deployment the log did not give (the model size, the
  batch, the datatype, the replica size) over its plausible range per distinct model or
  hardware; the engine rebuilds the deployment at both ends with the chain's own function
  and takes the half-width of the text model's energy per token (its *sensitivity*);
  methods the text physics does not model take a stated half-width instead.

Sources on the same quantity are independent: their half-widths add in quadrature (the
analytic propagation of independent log-normal factors; a product's log is a sum of logs)::

    h_gpu = sqrt(sum of h_s^2 over the sources of GPU energy and the input ranges)
    h_facility = sqrt(h_gpu^2 + h_pue^2)
    h_emissions = sqrt(h_facility^2 + h_grid^2)
    h_water = sqrt(h_facility^2 + h_water^2)
    h_embodied = sqrt(h_gpu^2 + h_embodied^2)    (busy time follows GPU energy)

Training and fine-tuning are ``r (1 - f)`` and ``r f`` times the inference block and the
total ``(1 + r)`` times it (``infrastructure.development_shares``): their ranges combine the
inference block's half-width with the training rule's low/high scenario of r, and the total
is composed from that one product (its blocks share the inference error: not a sum of lows)::

    training:  low, high = point exp(-+sqrt(h^2 + h_r^2))     (r_low, r_high = r exp(-+h_r))
    total:     low = point exp(-sqrt(h^2 + ln((1 + r) / (1 + r_low))^2)), high likewise

Everything is computed once per distinct deployment and broadcast to the rows: per row remain
one gather and one multiplication per bound. ``low <= point <= high`` holds by construction.
Deterministic (no sampling): the same request gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ai_impact import tasks
from ai_impact.engine import text, work
from ai_impact.engine.columns import BLOCKS, METRICS, Block, Floats
from ai_impact.engine.keys import Scaled, broadcast

# The quantities a fixed-width source can widen.
QUANTITIES = (
    "gpu",  # GPU energy and busy time of the request
    "pue",  # facility overhead
    "grid",  # grid carbon intensity
    "water",  # on-site WUE and off-site water intensity
    "embodied_emissions",  # manufacturing footprints of GPU and server
    "embodied_water",
)
LEVELS = ("model", "hardware", "location")


@dataclass(frozen=True)
class Source:
    """One source of uncertainty: ``half_width`` (ln(high/point)) per distinct key of
    ``level`` (model, hardware or location codes of the batch) on ``quantity``."""

    name: str
    quantity: str
    level: str
    half_width: Floats

    def __post_init__(self) -> None:
        if self.quantity not in QUANTITIES or self.level not in LEVELS:
            raise ValueError(f"source {self.name!r}: unknown quantity or level")


@dataclass(frozen=True)
class Change:
    """Inputs of a deployment moved to one end of their range, per deployment: factors on the
    model's total and active parameters, the replica's GPU count and the batch size, and the
    bytes per weight replaced (NaN keeps the deployment's). The neutral change is the point."""

    total_params: Floats | float = 1.0
    active_params: Floats | float = 1.0
    bytes_per_param: Floats | float = np.nan
    gpu_count: Floats | float = 1.0
    batch_size: Floats | float = 1.0


POINT = Change()
INPUTS = tuple(f.name for f in fields(Change))
_NEUTRAL: dict[str, Any] = vars(POINT)


@dataclass(frozen=True)
class InputRange:
    """An input the log did not give, over its plausible range: ``low`` and ``high`` map
    :class:`Change` fields to their value at each end per distinct key of ``level`` (NaN: no
    range for that key). ``unless_given``: the usage column whose value, when the row gives
    it, removes the range. ``other_methods_half_width`` (per key): the half-width of methods
    the text physics does not model (the sensitivity is measured on the text model)."""

    name: str
    level: str
    low: Mapping[str, Floats]
    high: Mapping[str, Floats]
    other_methods_half_width: Floats
    unless_given: str | None = None

    def __post_init__(self) -> None:
        unknown = {*self.low, *self.high} - set(INPUTS)
        if unknown or self.level not in LEVELS[:2]:
            raise ValueError(f"input range {self.name!r}: unknown input or level {unknown}")


@dataclass(frozen=True)
class Uncertainty:
    """What the engine needs to compute ranges: the sources (fixed half-widths and input
    ranges), and per distinct model the half-width of the training ratio r (its scenario is
    ``r exp(-h) .. r exp(h)``)."""

    sources: list[Source | InputRange] = field(default_factory=list)
    training_ratio_half_width: Floats = field(default_factory=lambda: np.zeros(0))


@dataclass(frozen=True)
class Ranges:
    """Low and high of every metric, per row: ``blocks[b][metric] = (low, high)``."""

    blocks: dict[str, dict[str, tuple[Floats, Floats]]]
    energy_breakdown: dict[str, tuple[Floats, Floats]]
    half_widths: dict[str, Floats]  # per deployment, per quantity (for debug and tests)


def _proxy_j_per_token(c: text.Coefficients) -> Floats:
    """A text request's GPU energy per token at a 1:1 prompt:output mix, the measure the
    sensitivities compare."""
    out: Floats = c.decode_j_per_token + c.prefill_j_per_token
    return out


def sensitivity(point: Floats, low: Floats, high: Floats) -> Floats:
    """Half-width of an output whose input spans a plausible range: the larger log distance of
    the output at the input's ends from its value at the point (0 where undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.maximum(np.abs(np.log(low / point)), np.abs(np.log(high / point)))
    out: Floats = np.nan_to_num(h, nan=0.0, posinf=0.0)
    return out


def _end(
    values: Mapping[str, Floats], codes: np.ndarray, given: np.ndarray
) -> tuple[Change, np.ndarray]:
    """The :class:`Change` of one end per deployment, and where it changes anything."""
    out: dict[str, Floats] = {}
    moved = np.zeros(len(codes), dtype=bool)
    for name, per_key in values.items():
        v = np.asarray(per_key, dtype=np.float64)[codes]
        keep = given | ~np.isfinite(v)
        out[name] = np.where(keep, _NEUTRAL[name], v)
        moved |= ~keep
    return Change(**out), moved


def deployment_half_widths(
    u: Uncertainty,
    dep: work.Deployment,
    evaluate: Callable[[Change], work.Deployment],
    codes: Mapping[str, np.ndarray],
    given: Mapping[str, np.ndarray],
) -> dict[str, Floats]:
    """Per deployment, the half-width of each quantity.

    ``dep``: the deployments; ``evaluate``: the chain's deployment builder at a
    :class:`Change`; ``codes``: per level (model, hardware, location) the key of each
    deployment; ``given``: per usage column, whether the deployment's rows gave it."""
    n = len(dep.method)
    squares = {q: np.zeros(n) for q in QUANTITIES}
    is_text = dep.method == tasks.TEXT
    point = _proxy_j_per_token(dep.text)
    for s in u.sources:
        level = codes[s.level]
        if isinstance(s, Source):
            squares[s.quantity] += np.square(np.nan_to_num(s.half_width))[level]
            continue
        mask = given[s.unless_given] if s.unless_given else np.zeros(n, dtype=bool)
        low, moved_low = _end(s.low, level, mask)
        high, moved_high = _end(s.high, level, mask)
        moved = moved_low | moved_high
        if not moved.any():
            continue
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            h_text = sensitivity(
                point,
                _proxy_j_per_token(evaluate(low).text),
                _proxy_j_per_token(evaluate(high).text),
            )
        h_input = np.where(is_text, h_text, np.nan_to_num(s.other_methods_half_width)[level])
        squares["gpu"] += np.where(moved, np.square(h_input), 0.0)
    h = {q: np.sqrt(squares[q]) for q in QUANTITIES}
    h["facility"] = np.sqrt(squares["gpu"] + squares["pue"])
    h["emissions"] = np.sqrt(squares["gpu"] + squares["pue"] + squares["grid"])
    h["water_total"] = np.sqrt(squares["gpu"] + squares["pue"] + squares["water"])
    h["embodied_emissions_total"] = np.sqrt(squares["gpu"] + squares["embodied_emissions"])
    h["embodied_water_total"] = np.sqrt(squares["gpu"] + squares["embodied_water"])
    return h


# The half-width each inference metric uses.
_INFERENCE = {
    "usage_energy_wh": "facility",
    "usage_emissions_gco2e": "emissions",
    "usage_water_ml": "water_total",
    "embodied_emissions_gco2e": "embodied_emissions_total",
    "embodied_water_ml": "embodied_water_total",
}


def development_half_widths(
    h: Floats, ratio: Floats, ratio_h: Floats
) -> tuple[tuple[Floats, Floats], tuple[Floats, Floats]]:
    """Per deployment, the ``(down, up)`` log half-widths of the training (and fine-tuning)
    block and of the total, from the inference half-width ``h`` and the training ratio ``r``
    with its scenario ``r exp(-ratio_h) .. r exp(ratio_h)`` (module docstring). The training
    block's are one array (symmetric)."""
    training = np.hypot(h, ratio_h)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        down = np.log((1 + ratio) / (1 + ratio * np.exp(-ratio_h)))
        up = np.log((1 + ratio * np.exp(ratio_h)) / (1 + ratio))
    total = (np.hypot(h, np.nan_to_num(down)), np.hypot(h, np.nan_to_num(up)))
    return (training, training), total


def compute_ranges(
    blocks: tuple[Block, Block, Block, Block],
    energy: tuple[Floats, Floats, Floats],
    h: dict[str, Floats],
    deployment: np.ndarray,
    training_ratio: tuple[Floats, Floats],
    fine_tuning_present: bool,
) -> Ranges:
    """Low and high of every metric of every row (see the module docstring).

    ``blocks``: inference, training, fine-tuning, total; ``energy``: GPU, IT and facility Wh;
    ``h``: :func:`deployment_half_widths`; ``deployment``: each row's deployment;
    ``training_ratio``: per deployment r and its scenario's half-width; ``fine_tuning_present``:
    whether any row has a fine-tuning block (else its bounds are the zero points)."""
    inference, training, fine_tuning, total = blocks
    n = len(deployment)
    out: dict[str, dict[str, tuple[Floats, Floats]]] = {b: {} for b in BLOCKS}
    jobs: list[Scaled] = []

    def bounds(points: list[Floats], down: Floats, up: Floats) -> list[tuple[Floats, Floats]]:
        """Low and high arrays of ``points`` (scheduled): ``low = point / exp(down)``, ``high =
        point x exp(up)``, one gather when ``down`` is ``up`` (the same bits for a row whatever
        the other rows of its batch)."""
        pairs = [(np.empty(n), np.empty(n)) for _ in points]
        low_job = Scaled(np.exp(down))
        high_job = low_job if up is down else Scaled(np.exp(up))
        for p, (low, high) in zip(points, pairs, strict=True):
            low_job.uses.append((p, low, True))
            high_job.uses.append((p, high, False))
        jobs.extend([low_job] if high_job is low_job else [low_job, high_job])
        return pairs

    gpu_wh, it_wh, facility_wh = energy
    h_gpu = np.nan_to_num(h["gpu"])
    breakdown = dict(zip(("gpu_wh", "it_wh"), bounds([gpu_wh, it_wh], h_gpu, h_gpu), strict=True))
    for metric in METRICS:
        hm = np.nan_to_num(h[_INFERENCE[metric]])
        developed_h, (s_down, s_up) = development_half_widths(hm, *training_ratio)
        point = getattr(inference, metric)
        if metric == "usage_energy_wh":  # facility energy shares its half-width
            (out["inference_impact"][metric], breakdown["facility_wh"]) = bounds(
                [point, facility_wh], hm, hm
            )
        else:
            (out["inference_impact"][metric],) = bounds([point], hm, hm)
        developed = [getattr(training, metric)]
        if fine_tuning_present:
            developed.append(getattr(fine_tuning, metric))
        else:
            zero = getattr(fine_tuning, metric)
            out["fine_tuning_impact"][metric] = (zero, zero)  # zeros, read only
        for name, pair in zip(
            ("training_impact", "fine_tuning_impact"), bounds(developed, *developed_h), strict=False
        ):
            out[name][metric] = pair
        (out["total_impact"][metric],) = bounds([getattr(total, metric)], s_down, s_up)
    broadcast(jobs, deployment)
    return Ranges(out, breakdown, h)
