"""The sources of uncertainty of a batch, per distinct model, hardware and location
(docs/methodology.md section 15): what the engine's :mod:`~ai_impact.engine.ranges` widens.

Every source is one line of :func:`sources`: a fixed half-width ln(high/point) on a quantity
(:class:`~ai_impact.engine.ranges.Source`), or an input the log did not give over its
plausible range, whose effect the engine measures through the physics
(:class:`~ai_impact.engine.ranges.InputRange`). The training rule's low/high scenario is
:attr:`~ai_impact.engine.ranges.Uncertainty.training_ratio_low` / ``_high``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np

from ai_impact import tasks
from ai_impact.catalog import Catalog, names
from ai_impact.catalog.defaults import TRAINING_RATIO_HIGH, TRAINING_RATIO_LOW
from ai_impact.catalog.embodied import embodied_range
from ai_impact.engine.ranges import InputRange, Source, Uncertainty
from ai_impact.parse import Usage
from ai_impact.resolve import Resolved
from ai_impact.resolve.hardware import PREFIX_SERVICE_BY

# Calibration residual spread per method: the quantile of the leave-one-model-out
# |ln(predicted / measured)| GPU energy of the ML.ENERGY configurations, derived from the
# current fit and written by ``python -m ai_impact.calibration.coverage --write``
# (docs/calibration.md, "Ranges: coverage"). Encoders and speech-to-text have no measurement:
# twice the text spread (assumed); audio generation (text-model tokens at an assumed token
# rate) likewise.
RESIDUAL_SPREAD_JSON = Path(__file__).parent / "calibration" / "residual_spread.json"
UNMEASURED_FACTOR = 2.0


@cache
def residual_spread() -> dict:
    """The content of :data:`RESIDUAL_SPREAD_JSON` (re-read after ``cache_clear()``)."""
    spread: dict = json.loads(RESIDUAL_SPREAD_JSON.read_text(encoding="utf-8"))
    return spread


def method_half_width(method: str) -> float:
    """Calibration residual half-width of ``method`` (ln; 0 for unsupported tasks)."""
    fitted = residual_spread()["half_width"]
    measured = {tasks.TEXT: fitted["text"], tasks.IMAGE_GENERATION: fitted["diffusion"]}
    if method == tasks.UNSUPPORTED:
        return 0.0
    return float(measured.get(method, UNMEASURED_FACTOR * fitted["text"]))


# Closed-model size without a published range, and the floor of a model resolved by a family
# or size fallback (its architecture and exact size are not known): a factor of 2 either way
# (assumed).
SIZE_UNPUBLISHED_FACTOR = 2.0
# Batch size the log did not give, as factors of the deployment's: a managed service's serving
# profile (256 or 128 concurrent sequences) over a quarter to four times it, for 256 the 64-1024
# decode batches of production serving (Pope et al. 2022, arXiv:2211.05102); without a profile,
# EcoLogits' 64 over 16-128 (a quarter to twice: self-hosted replicas run below the large
# batches of hosted fleets; ML.ENERGY measured served chat at 8-1024, arXiv:2505.06371).
# Methods whose energy per request is not modelled against batch: a factor 1.5 (assumed).
SERVING_BATCH_RANGE = (0.25, 4.0)
DEFAULT_BATCH_RANGE = (0.25, 2.0)
OTHER_METHODS_BATCH_HALF_WIDTH = math.log(1.5)
# Weights the log did not name the datatype of (the model card's, or the serving profile's):
# 4 to 16 bits (0.5-2 bytes): AWQ/GPTQ int4 serving of open models, fp8 on Hopper, bf16
# (NVIDIA H100 datasheet; DeepSeek-V3 fp8 serving, arXiv:2412.19437).
DATATYPE_BYTES_RANGE = (0.5, 2.0)
# The replica (tensor-parallel GPUs) the log did not give: half to twice the memory rule's or
# the serving profile's count (the memory rule keeps 20% for KV cache; operators use more or
# fewer GPUs for latency or throughput, ML.ENERGY measured 1-8 GPU replicas of one model).
REPLICA_RANGE = (0.5, 2.0)
# No hardware named (the default node) or the hardware of a managed service's serving profile:
# the GPU generation is unknown; ML.ENERGY's same model on A100-40GB, H100 and B200 differs by
# up to x2.3 per token (docs/calibration.md); a factor 1.6 either way of the H100 default.
HARDWARE_UNKNOWN_HALF_WIDTH = math.log(1.6)
# PUE: a published figure of the site or provider (a year's average varies by a few %), else a
# fleet or industry default (Uptime Institute's survey spread around its average 1.56).
PUE_PUBLISHED_HALF_WIDTH = math.log(1.05)
PUE_DEFAULT_HALF_WIDTH = math.log(1.2)
# Grid intensity: the year's average (hours differ, not counted: the metric is annual);
# latest year when the date is missing (year-on-year changes of 5-15% in Ember's data);
# the world average when the location is unknown (country intensities span x30; factor 2).
GRID_DATED_HALF_WIDTH = math.log(1.05)
GRID_UNDATED_HALF_WIDTH = math.log(1.15)
GRID_WORLD_HALF_WIDTH = math.log(2.0)
# The training rule's scenario (docs/methodology.md section 8): the training:inference ratio
# of Meta's fleet (low) and Google's (high) around their geometric mean, the central ratio:
# half the log distance between them (x1.53 either way).
TRAINING_RATIO_HALF_WIDTH = 0.5 * math.log(TRAINING_RATIO_HIGH / TRAINING_RATIO_LOW)
# Water: on-site WUE varies with climate and season (x2 between a provider's sites), off-site
# water intensity with the generation mix.
WATER_HALF_WIDTH = math.log(2.0)


def _half_width(point: float, low: float, high: float) -> float:
    if not (np.isfinite(point) and np.isfinite(low) and np.isfinite(high)) or point <= 0:
        return 0.0
    return max(
        math.log(high / point) if high > 0 else 0.0, math.log(point / low) if low > 0 else 0.0
    )


def given_per_model(usage: Usage, resolved: Resolved, *fields: str) -> np.ndarray:
    """Per distinct model: whether a row of it gave any of ``fields`` (the model's distinct
    key includes these fields, so all its rows agree)."""
    named = np.zeros(usage.n_rows, dtype=bool)
    for name in fields:
        if name not in usage.present:
            continue
        column = usage.strings[name] if name in usage.strings else usage.numbers[name]
        named |= (
            np.isfinite(column)
            if column.dtype.kind == "f"
            else np.not_equal(column, np.array(None))
        )
    given = np.zeros(len(resolved.model.by), dtype=bool)
    given[resolved.model.columns.codes[named]] = True
    return given


SIZE_FIELDS = ("model_total_params_billions", "model_active_params_billions")


def _size(resolved: Resolved, size_given: np.ndarray) -> InputRange:
    """Per distinct model, the range of its size: the resolved model's published low/high of
    total and active parameters (``ResolvedModel.params_range``: the catalog's, or a family or
    size fallback's), as factors of the point; a factor 2 either way for a size the catalog
    marks as an estimate without a range, and at least that for a fallback; none for open
    models and sizes given inline. Other methods: GPU energy linear in active parameters."""
    model = resolved.model
    point_total = model.columns.total_params_billions
    point_active = model.columns.active_params_billions
    with np.errstate(invalid="ignore", divide="ignore"):
        t_low, t_high, a_low, a_high = (
            model.params_range[:, k] / p
            for k, p in enumerate((point_total, point_total, point_active, point_active))
        )
    estimate = np.array(
        [e is not None and e.get("params_is_estimate") == "yes" for e in model.entry], dtype=bool
    )
    fallback = np.isin(model.by.astype(str), names.FALLBACK_STEPS)
    with np.errstate(invalid="ignore"):
        ranged = (t_low < 1.0) | (a_low < 1.0) | (t_high > 1.0) | (a_high > 1.0)
    k = np.where((estimate & ~ranged) | fallback, SIZE_UNPUBLISHED_FACTOR, 1.0)
    t_low, a_low = np.fmin(t_low, 1 / k), np.fmin(a_low, 1 / k)
    t_high, a_high = np.fmax(t_high, k), np.fmax(a_high, k)
    none = size_given | ~np.isfinite(point_total)
    low = {"total_params": t_low, "active_params": a_low}
    high = {"total_params": t_high, "active_params": a_high}
    for ends in (low, high):
        for name, v in ends.items():
            ends[name] = np.where(none | (v == 1.0), np.nan, v)
    linear = np.nan_to_num(np.fmax(np.abs(np.log(a_low)), np.abs(np.log(a_high))))
    return InputRange("model size", "model", low, high, np.where(none, 0.0, linear))


def hardware_unknown(by: str) -> bool:
    """Whether the GPU was assumed: the default node, or a managed service's serving profile
    (named on the row or selected by the model id's provider prefix)."""
    return (by.startswith("default node") and "gpu_id" not in by) or by.startswith(
        ("managed_service_id", PREFIX_SERVICE_BY)
    )


def _embodied(resolved: Resolved, catalog: Catalog, metric: str) -> np.ndarray:
    """Per distinct hardware: the larger spread of the GPU's and the server's embodied figures
    among their sources (``catalog.embodied``)."""
    hw = resolved.hardware
    out = np.zeros(len(hw.node))
    column = "embodied_emissions_kgco2e" if metric == "emissions" else "embodied_water_l"
    point_gpu = {
        "emissions": hw.columns.gpu_embodied_emissions_kgco2e,
        "water": hw.columns.gpu_embodied_water_l,
    }[metric]
    point_node = {
        "emissions": hw.columns.node_embodied_emissions_kgco2e_ex_gpu,
        "water": hw.columns.node_embodied_water_l_ex_gpu,
    }[metric]
    for i, node in enumerate(hw.node):
        gpu_id = hw.gpu_id[i]
        h_gpu = (
            _half_width(float(point_gpu[i]), *embodied_range(catalog, "gpu", gpu_id, column))
            if gpu_id
            else 0.0
        )
        h_node = (
            _half_width(
                float(point_node[i]), *embodied_range(catalog, "server", node["node_id"], column)
            )
            if node is not None
            else 0.0
        )
        out[i] = max(h_gpu, h_node)
    return out


def _grid(resolved: Resolved) -> np.ndarray:
    loc = resolved.location
    out = np.empty(len(loc.by))
    for i, by in enumerate(loc.by.tolist()):
        if str(loc.factor_by[i]).startswith("row field"):
            out[i] = 0.0
        elif str(by).startswith("world"):
            out[i] = GRID_WORLD_HALF_WIDTH
        elif "no utc_datetime" in str(loc.grid_year_rule[i]):
            out[i] = GRID_UNDATED_HALF_WIDTH
        else:
            out[i] = GRID_DATED_HALF_WIDTH
    return out


def pue_published(efficiency_by: str) -> bool:
    """Whether the PUE came from the service's or the cloud region's published figure."""
    pue_part = efficiency_by.split(";")[0]
    return "managed_service_id" in pue_part or "cloud_region" in pue_part


def _ends(
    name: str, ends: tuple[float, float], where: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Low and high of input ``name`` per key: ``ends`` where ``where`` holds, else none."""
    low, high = (np.where(where, e, np.nan) for e in ends)
    return {name: low}, {name: high}


def sources(
    resolved: Resolved, catalog: Catalog, size_given: np.ndarray, datatype_given: np.ndarray
) -> list[Source | InputRange]:
    """Every source of uncertainty of the batch, one line each (docs/methodology.md 13.1)."""
    model, hw, loc = resolved.model, resolved.hardware, resolved.location
    n_hw = len(hw.by)
    profile = np.isfinite(hw.columns.service_batch_size)
    return [
        Source(
            "calibration residual of the method",
            "gpu",
            "model",
            np.array([method_half_width(m) for m in model.columns.method.tolist()]),
        ),
        _size(resolved, size_given),
        Source(
            "hardware not given",
            "gpu",
            "hardware",
            np.array([HARDWARE_UNKNOWN_HALF_WIDTH if hardware_unknown(b) else 0.0 for b in hw.by]),
        ),
        InputRange(
            "batch size, serving profile",
            "hardware",
            *_ends("batch_size", SERVING_BATCH_RANGE, profile),
            np.full(n_hw, OTHER_METHODS_BATCH_HALF_WIDTH),
            unless_given="batch_size",
        ),
        InputRange(
            "batch size, default",
            "hardware",
            *_ends("batch_size", DEFAULT_BATCH_RANGE, ~profile),
            np.full(n_hw, OTHER_METHODS_BATCH_HALF_WIDTH),
            unless_given="batch_size",
        ),
        InputRange(
            "datatype",
            "model",
            *_ends("bytes_per_param", DATATYPE_BYTES_RANGE, ~datatype_given),
            np.zeros(len(datatype_given)),
        ),
        InputRange(
            "replica size",
            "hardware",
            *_ends("gpu_count", REPLICA_RANGE, np.ones(n_hw, dtype=bool)),
            np.zeros(n_hw),
            unless_given="gpu_count",
        ),
        Source(
            "embodied sources",
            "embodied_emissions",
            "hardware",
            _embodied(resolved, catalog, "emissions"),
        ),
        Source(
            "embodied water sources",
            "embodied_water",
            "hardware",
            _embodied(resolved, catalog, "water"),
        ),
        Source(
            "PUE",
            "pue",
            "location",
            np.array(
                [
                    PUE_PUBLISHED_HALF_WIDTH if pue_published(str(b)) else PUE_DEFAULT_HALF_WIDTH
                    for b in loc.efficiency_by
                ]
            ),
        ),
        Source("grid intensity", "grid", "location", _grid(resolved)),
        Source("water intensity", "water", "location", np.full(len(loc.by), WATER_HALF_WIDTH)),
    ]


def uncertainty(usage: Usage, resolved: Resolved, catalog: Catalog) -> Uncertainty:
    """The engine's :class:`Uncertainty` for a batch: the sources, and per distinct model the
    half-width of the training rule's low/high scenario (:data:`TRAINING_RATIO_HALF_WIDTH`)."""
    return Uncertainty(
        sources=sources(
            resolved,
            catalog,
            given_per_model(usage, resolved, *SIZE_FIELDS),
            given_per_model(usage, resolved, "model_datatype"),
        ),
        training_ratio_half_width=np.full(len(resolved.model.by), TRAINING_RATIO_HALF_WIDTH),
    )
