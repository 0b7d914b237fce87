"""The sources of uncertainty of a batch, per distinct model, hardware and location
(docs/methodology.md section 13): what the engine's :mod:`~ai_impact.engine.ranges` widens.

Every source is one line of :func:`sources`: a name, the quantity it widens, its level and its
half-width ln(high/point) at the 10-90% central interval. A source that lands later (a serving
profile's low/high, a training scenario) is one more line.
"""

from __future__ import annotations

import math

import numpy as np

from ai_impact import tasks
from ai_impact.catalog import Catalog
from ai_impact.catalog.embodied import embodied_range
from ai_impact.engine.ranges import Source, Uncertainty
from ai_impact.parse import Usage
from ai_impact.resolve import Resolved

# Calibration residual spread per method: the 85th percentile of the leave-one-model-out
# |ln(predicted / measured)| GPU energy of the ML.ENERGY configurations, as printed by
# ``python -m ai_impact.calibration.coverage`` (docs/calibration.md, "Ranges: coverage").
# Encoders and speech-to-text have no measurement: twice the text spread (assumed); audio
# generation (text-model tokens at an assumed token rate) likewise.
TEXT_HALF_WIDTH = math.log(1.60)
DIFFUSION_HALF_WIDTH = math.log(1.51)
UNMEASURED_HALF_WIDTH = 2.0 * TEXT_HALF_WIDTH
METHOD_HALF_WIDTH = {
    tasks.TEXT: TEXT_HALF_WIDTH,
    tasks.IMAGE_GENERATION: DIFFUSION_HALF_WIDTH,
    tasks.ENCODER: UNMEASURED_HALF_WIDTH,
    tasks.SPEECH_TO_TEXT: UNMEASURED_HALF_WIDTH,
    tasks.AUDIO_GENERATION: UNMEASURED_HALF_WIDTH,
    tasks.UNSUPPORTED: 0.0,
}
# Closed-model size without a published range: a factor of 2 either way (assumed).
SIZE_UNPUBLISHED_HALF_WIDTH = math.log(2.0)
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
# Water: on-site WUE varies with climate and season (x2 between a provider's sites), off-site
# water intensity with the generation mix.
WATER_HALF_WIDTH = math.log(2.0)
# Training and fine-tuning per request: use-life days and requests per day are scenarios
# nobody publishes per model (docs/methodology.md section 8): a factor 3 either way.
TRAINING_HALF_WIDTH = math.log(3.0)


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


def _size(resolved: Resolved, catalog: Catalog, size_given: np.ndarray) -> np.ndarray:
    """Per distinct model: the spread of the active parameters (GPU energy is about linear in
    them): the published low/high where the catalog has them, else a factor 2 for a size the
    catalog marks as an estimate; 0 for open models and sizes given inline."""
    models = catalog.models
    low_col = models.columns.get("active_params_low_billions")
    high_col = models.columns.get("active_params_high_billions")
    out = np.zeros(len(resolved.model.entry))
    for i, entry in enumerate(resolved.model.entry):
        if entry is None or size_given[i]:
            continue
        row = models.find(entry["model_id"])
        point = float(resolved.model.columns.active_params_billions[i])
        if low_col is not None and high_col is not None and row is not None:
            h = _half_width(point, float(low_col[row]), float(high_col[row]))
            if h > 0:
                out[i] = h
                continue
        if entry.get("params_is_estimate") == "yes":
            out[i] = SIZE_UNPUBLISHED_HALF_WIDTH
    return out


def hardware_unknown(by: str) -> bool:
    """Whether the GPU was assumed: the default node, or a managed service's serving profile."""
    return (by.startswith("default node") and "gpu_id" not in by) or by.startswith(
        "managed_service_id"
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


def sources(resolved: Resolved, catalog: Catalog, size_given: np.ndarray) -> list[Source]:
    """Every source of uncertainty of the batch, one line each (docs/methodology.md 13.1)."""
    model, hw, loc = resolved.model, resolved.hardware, resolved.location
    methods = model.columns.method.tolist()
    n_models = len(methods)
    return [
        Source(
            "calibration residual of the method",
            "gpu",
            "model",
            np.array([METHOD_HALF_WIDTH.get(m, UNMEASURED_HALF_WIDTH) for m in methods]),
        ),
        Source("model size", "gpu", "model", _size(resolved, catalog, size_given)),
        Source(
            "hardware not given",
            "gpu",
            "hardware",
            np.array([HARDWARE_UNKNOWN_HALF_WIDTH if hardware_unknown(b) else 0.0 for b in hw.by]),
        ),
        Source(
            "training allocation scenario",
            "training",
            "model",
            np.full(n_models, TRAINING_HALF_WIDTH),
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
    """The engine's :class:`Uncertainty` for a batch: the sources, and per distinct model
    whether a row named its datatype."""
    return Uncertainty(
        sources=sources(resolved, catalog, given_per_model(usage, resolved, *SIZE_FIELDS)),
        datatype_given=given_per_model(usage, resolved, "model_datatype"),
    )
