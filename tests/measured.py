"""The engine, through the public API, on ML.ENERGY's measured text configurations: shared by
the tests that compare a catalog row (experts, hybrid layers) with the measurements."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping

import numpy as np

import ai_impact
from ai_impact.calibration import fit_text


def gpu_wh(
    models: Mapping[str, Mapping[str, object]],
) -> tuple[np.ndarray, np.ndarray, set[str]]:
    """(engine GPU Wh, measured Wh, confidence tiers) per request on each ML.ENERGY v3
    configuration of the checkpoints ``models`` names (GPU, count, batch = avg_batch_size,
    output tokens = avg_output_tokens, prompt = the workload's mean in text_coefficients.json);
    ``models`` gives, per checkpoint id, the request's model fields (an id, or sizes inline)."""
    document = json.loads(fit_text.COEFFICIENTS_JSON.read_text(encoding="utf-8"))
    prompt = {w: v["mean"] for w, v in document["prompt_tokens"].items()}
    rows, measured_j = [], []
    with open(fit_text.DATA_CSV, newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["model_id"] not in models or "v3" not in r["benchmark"]:
                continue
            rows.append(
                {**models[r["model_id"]]}
                | {
                    "gpu_id": fit_text.GPU_IDS[r["gpu"]],
                    "gpu_count": int(r["num_gpus"]),
                    "batch_size": float(r["avg_batch_size"]),
                    "input_tokens": round(prompt[fit_text.TASK_WORKLOAD[r["task"]]]),
                    "output_tokens": round(float(r["avg_output_tokens"])),
                }
            )
            measured_j.append(float(r["energy_per_output_token_J"]) * float(r["avg_output_tokens"]))
    out = ai_impact.estimate(rows, debug=True)
    assert len(out) >= 10 and all(o["error"] is None for o in out), [o["error"] for o in out]
    engine_wh = np.array([o["debug"]["energy_breakdown"]["gpu_wh"] for o in out])
    tiers = {o["debug"]["confidence"]["tier"] for o in out}
    return engine_wh, np.array(measured_j) / 3600.0, tiers


def median_error(engine_wh: np.ndarray, measured_wh: np.ndarray) -> float:
    """Median multiplicative error exp(median |ln(engine / measured)|)."""
    return math.exp(float(np.median(np.abs(np.log(engine_wh / measured_wh)))))
