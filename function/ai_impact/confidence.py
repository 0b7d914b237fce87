"""Confidence of each row's estimate: a tier, the reasons and the method it rests on
(docs/methodology.md section 15.3, whose table these rules implement).

- ``assumed``: a guess carries the result: the size of a closed model, a managed service's
  serving profile (named on the row or selected by the model id's provider prefix), or the
  defaults used when the row names neither hardware nor a size
  (default node, a family/size fallback of the model name).
- ``extrapolated``: a model outside what was measured: a method without measurement
  (encoders, speech, audio), a GPU or a model size outside the measured configurations, a
  model family never measured.
- ``calibrated``: model family and hardware inside the measured ML.ENERGY configurations.

The measured range is read from the calibration tables (``calibration/mlenergy_*.csv``) once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ai_impact import tasks
from ai_impact.catalog import Catalog, names
from ai_impact.engine.keys import combine_codes
from ai_impact.parse import Usage
from ai_impact.resolve import Resolved
from ai_impact.resolve.hardware import PREFIX_SERVICE_BY
from ai_impact.uncertainty import SIZE_FIELDS, given_per_model, hardware_unknown

METHODOLOGY_VERSION = "ai-impact methodology 2026-11"
# Section anchors of docs/methodology.md per method.
_METHOD_ANCHORS = {
    tasks.TEXT: "#3-gpu-energy-and-busy-time-of-text-generation",
    tasks.IMAGE_GENERATION: "#12-tasks-and-modalities",
    tasks.ENCODER: "#12-tasks-and-modalities",
    tasks.SPEECH_TO_TEXT: "#12-tasks-and-modalities",
    tasks.AUDIO_GENERATION: "#12-tasks-and-modalities",
    tasks.UNSUPPORTED: "#12-tasks-and-modalities",
}
_RANGES_ANCHOR = "#15-ranges-and-confidence"
TIERS = ("calibrated", "extrapolated", "assumed")
_CALIBRATION = Path(__file__).parent / "calibration"
# ML.ENERGY GPU names -> catalog gpu_id.
_GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}


@dataclass(frozen=True)
class Measured:
    """What the calibration measured, per method: GPUs, model families (catalog families of
    the measured models) and the active-parameter range (billions)."""

    gpus: frozenset[str]
    families: frozenset[str]
    active_params_billions: tuple[float, float]


def _read(name: str) -> list[dict[str, str]]:
    with open(_CALIBRATION / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def measured(catalog: Catalog) -> dict[str, Measured]:
    """Measured range of the text and diffusion calibrations, by method."""
    out = {}
    for method, name, size_column in (
        (tasks.TEXT, "mlenergy_llm.csv", "active_params_b"),
        (tasks.IMAGE_GENERATION, "mlenergy_diffusion.csv", None),
    ):
        rows = _read(name)
        families, sizes = set(), []
        for r in rows:
            found = catalog.models.find(r["model_id"])
            if found is not None:
                families.add(str(catalog.models["family"][found]))
                if size_column is None:
                    sizes.append(float(catalog.models["active_params_billions"][found]))
            if size_column is not None and r[size_column]:
                sizes.append(float(r[size_column]))
        finite = [s for s in sizes if np.isfinite(s)]
        out[method] = Measured(
            frozenset(_GPU_IDS.get(r["gpu"], r["gpu"]) for r in rows),
            frozenset(families),
            (min(finite), max(finite)) if finite else (np.nan, np.nan),
        )
    return out


def _judge(
    method: str,
    family: str | None,
    closed_size: bool,
    model_by: str,
    active_b: float,
    gpu_id: str | None,
    hardware_by: str,
    ranges: dict[str, Measured],
) -> tuple[str, list[str]]:
    assumed, extrapolated = [], []
    if closed_size:
        assumed.append("closed model: its size is an estimate")
    if model_by in names.FALLBACK_STEPS:
        assumed.append(
            f"model resolved by its {model_by} (fallback): an unlisted model, its size assumed"
        )
    if hardware_by.startswith("managed_service_id"):
        assumed.append("hardware and batch from the managed service's serving profile")
    elif hardware_by.startswith(PREFIX_SERVICE_BY):
        assumed.append(
            "hardware and batch from the serving profile of the service the model id's"
            " provider prefix selects (the row names no managed_service_id)"
        )
    elif "managed_service_id" in hardware_by and hardware_unknown(hardware_by):
        assumed.append("managed_service_id names an unknown service: default node assumed")
    elif hardware_unknown(hardware_by):
        assumed.append("no hardware given: default node")
    m = ranges.get(method)
    if m is None:
        extrapolated.append(f"method {method}: no public energy measurement to calibrate on")
    else:
        if gpu_id not in m.gpus:
            extrapolated.append(
                f"GPU {gpu_id} outside the measured GPUs ({', '.join(sorted(m.gpus))})"
            )
        low, high = m.active_params_billions
        if not low <= active_b <= high:
            extrapolated.append(
                f"{active_b:g} B active parameters outside the measured {low:g}-{high:g} B"
            )
        if family is None:
            extrapolated.append("model not in the catalog: its family is not known")
        elif family not in m.families:
            extrapolated.append(f"model family {family} not measured")
    if assumed:
        return "assumed", assumed + extrapolated
    if extrapolated:
        return "extrapolated", extrapolated
    return "calibrated", [f"model family {family} and GPU {gpu_id} inside the measured range"]


def confidence(
    usage: Usage, resolved: Resolved, catalog: Catalog
) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Per row the index of its confidence object, and the objects (one per distinct model x
    hardware): ``{"tier", "reasons", "method"}``."""
    model, hw = resolved.model, resolved.hardware
    codes, first = combine_codes(
        [
            (model.columns.codes.astype(np.int64, copy=False), len(model.by)),
            (hw.columns.codes.astype(np.int64, copy=False), len(hw.by)),
        ]
    )
    ranges = measured(catalog)
    size_given = given_per_model(usage, resolved, *SIZE_FIELDS)
    objects = []
    for row in first.tolist():
        m, h = int(model.columns.codes[row]), int(hw.columns.codes[row])
        entry = model.entry[m]
        method = str(model.columns.method[m])
        tier, reasons = _judge(
            method,
            entry["family"] if entry is not None else None,
            entry is not None and entry.get("params_is_estimate") == "yes" and not size_given[m],
            str(model.by[m]),
            float(model.columns.active_params_billions[m]),
            hw.gpu_id[h],
            str(hw.by[h]),
            ranges,
        )
        objects.append(
            {
                "tier": tier,
                "reasons": reasons,
                "method": f"{METHODOLOGY_VERSION}: docs/methodology.md"
                f"{_METHOD_ANCHORS.get(method, _RANGES_ANCHOR)} {_RANGES_ANCHOR}",
            }
        )
    return codes, objects
