"""Coverage of the ranges: do the [low, high] of ``gpu_wh`` contain the measurements?

``python -m ai_impact.calibration.coverage [--write]`` (docs/calibration.md, "Ranges: coverage").

For every measured ML.ENERGY configuration (``mlenergy_llm.csv``, ``mlenergy_diffusion.csv``):

1. the leave-one-model-out (LOMO) prediction of its GPU energy, from the calibration scripts
   (``fit_text.lomo_errors``, ``fit_diffusion.lomo_errors``): the model's own rows are never
   seen by the fit that predicts them;
2. the residual spread of each method: the :data:`RESIDUAL_QUANTILE` of the LOMO
   |ln(predicted / measured)|. ``--write`` stores it in ``residual_spread.json``, which
   ``ai_impact.uncertainty`` reads as the calibration-residual source of the ranges; the file
   records the SHA-256 of the fit's inputs and coefficients, so a refit without a re-run is
   caught by the tests;
3. the half-width the engine gives that row's ``gpu_wh`` (``ai_impact.estimate(...,
   ranges=True)``), at several input completenesses:

   - *configuration given*: the row names the GPU, GPU count, batch size and datatype of the
     measurement (and the model's size);
   - *hardware given* (text): the GPU and GPU count, not the batch or the datatype;
   - *model only*: the row names the model's size and task only; the engine then assumes the
     default node, batch and datatype. Its prediction is the LOMO prediction moved to the
     assumed deployment by the engine's own ratio (this completeness / configuration given),
     so the measurement of the actual configuration is compared with what the engine says
     when it is not told that configuration.

A configuration is covered when ``low <= measured <= high``; width = high / low. Also printed:
the *nested* coverage, where the method's residual half-width is re-derived for each model from
the other models' LOMO residuals only (the spread itself is then out of sample too).
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import ai_impact
from ai_impact import uncertainty
from ai_impact.calibration import fit_diffusion, fit_text

# The share of LOMO residuals the residual half-width covers: above the stated 80% interval
# (10-90%), so that configurations not in the data are covered too (the nested coverage
# checks this out of sample).
RESIDUAL_QUANTILE = 0.85
PROMPT_TOKENS = 400  # a typical chat prompt; the ratios below barely depend on it
# What the residual spread is a function of: the measurements, the fitted coefficients and the
# GPU specifications the fits read.
FIT_INPUTS = (
    fit_text.DATA_CSV,
    fit_text.COEFFICIENTS_JSON,
    fit_diffusion.DATA_CSV,
    fit_diffusion.COEFFICIENTS_JSON,
    fit_text.PROJECT_GPUS_CSV,
)
COMMAND = "python -m ai_impact.calibration.coverage --write"


@dataclass(frozen=True)
class Cases:
    """Per measured configuration: model id, signed LOMO log error (ln pred/meas) at the
    measured configuration, and per input completeness the ln of the engine's (this
    completeness / configuration given) ratio and the engine's gpu_wh half-width."""

    method: str
    model: np.ndarray
    ln_error: np.ndarray
    ln_shift: dict[str, np.ndarray]
    half_width: dict[str, np.ndarray]


def inputs_sha256() -> dict[str, str]:
    """SHA-256 of each of :data:`FIT_INPUTS`, by file name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in FIT_INPUTS}


def _engine(rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """gpu_wh point and half-width ln(high/point) of each row, from ai_impact.estimate."""
    replies = ai_impact.estimate(list(rows), ranges=True, debug=True)
    bad = [r["error"] for r in replies if r["error"] is not None]
    if bad:
        raise RuntimeError(f"{len(bad)} calibration rows failed: {bad[0]}")
    high = np.array([r["ranges"]["energy_breakdown"]["gpu_wh"][1] for r in replies])
    point = np.array([r["debug"]["energy_breakdown"]["gpu_wh"] for r in replies])
    return point, np.log(high / point)


def _cases(
    method: str, model: np.ndarray, ln_error: np.ndarray, completeness: dict[str, list[dict]]
) -> Cases:
    """Engine half-widths and shifts of each completeness (the first: configuration given)."""
    engine = {label: _engine(rows) for label, rows in completeness.items()}
    p_given = engine["configuration given"][0]
    return Cases(
        method,
        model,
        ln_error,
        {label: np.log(p / p_given) for label, (p, _) in engine.items()},
        {label: h for label, (_, h) in engine.items()},
    )


_DATATYPES = {"bfloat16": "bf16", "float16": "fp16", "fp8": "fp8", "float8": "fp8"}
_GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}


def text_errors() -> tuple[list[dict[str, str]], np.ndarray]:
    """The measured text configurations and their LOMO ln(predicted / measured)."""
    rows = fit_text.load_rows()
    predicted = np.asarray(fit_text.lomo_errors(rows)["lomo_pred_energy"])
    measured = np.array([float(r["energy_per_output_token_J"]) for r in rows])
    return rows, np.log(predicted / measured)


def diffusion_errors() -> tuple[list[dict[str, str]], np.ndarray]:
    """The measured image and video configurations and their LOMO ln(predicted / measured)."""
    rows = fit_diffusion.load_rows()
    predicted = np.asarray(fit_diffusion.lomo_errors(rows)["lomo_pred_energy"])
    measured = fit_diffusion.columns(rows, fit_diffusion.load_gpu_specs())["energy_j"]
    return rows, np.log(predicted / measured)


def text_cases(rows: list[dict[str, str]], ln_error: np.ndarray) -> Cases:
    only = [
        {
            "task": "text-generation",
            "model_total_params_billions": float(r["total_params_b"]),
            "model_active_params_billions": float(r["active_params_b"] or r["total_params_b"]),
            "input_tokens": PROMPT_TOKENS,
            "output_tokens": max(1, round(float(r["avg_output_tokens"]))),
        }
        for r in rows
    ]
    hardware = [
        b | {"gpu_id": _GPU_IDS[r["gpu"]], "gpu_count": int(float(r["num_gpus"]))}
        for b, r in zip(only, rows, strict=True)
    ]
    given = [
        b
        | {
            "batch_size": max(1, round(float(r["avg_batch_size"] or r["max_batch_size"]))),
            "model_datatype": _DATATYPES.get(r["weight_precision"].lower(), "bf16"),
        }
        for b, r in zip(hardware, rows, strict=True)
    ]
    completeness = {"configuration given": given, "hardware given": hardware, "model only": only}
    return _cases("text", np.array([r["model_id"] for r in rows]), ln_error, completeness)


def diffusion_cases(rows: list[dict[str, str]], ln_error: np.ndarray) -> Cases:
    x = fit_diffusion.columns(rows, fit_diffusion.load_gpu_specs())
    only = []
    for i in range(len(rows)):
        row = {
            "task": "text-to-image",
            "model_total_params_billions": float(x["params_b"][i]),
            "input_steps": int(x["steps"][i]),
        }
        if x["video"][i] > 0:
            row |= {
                "output_video_frames": int(x["frames"][i]),
                "output_video_resolution": int(x["height_px"][i]),
            }
        else:
            row["output_images"] = [f"{int(x['width_px'][i])}x{int(x['height_px'][i])}"]
        only.append(row)
    given = [
        b
        | {
            "gpu_id": _GPU_IDS[r["gpu"]],
            "gpu_count": int(float(r["num_gpus"] or 1)),
            "batch_size": int(float(r["batch_size"])),
        }
        for b, r in zip(only, rows, strict=True)
    ]
    completeness = {"configuration given": given, "model only": only}
    return _cases("diffusion", np.array([r["model_id"] for r in rows]), ln_error, completeness)


def residual_half_width(ln_error: np.ndarray) -> float:
    """The :data:`RESIDUAL_QUANTILE` of |ln(predicted / measured)|."""
    return float(np.quantile(np.abs(ln_error), RESIDUAL_QUANTILE))


def nested_half_width(c: Cases) -> np.ndarray:
    """Per configuration: the residual half-width re-derived without its model (the
    :data:`RESIDUAL_QUANTILE` of the other models' |ln error|), with the engine's other
    sources of the configuration-given case (none for open models: 0)."""
    out = np.empty(len(c.model))
    method_h = uncertainty.residual_spread()["half_width"][c.method]
    h_given = c.half_width["configuration given"]
    other = np.sqrt(np.maximum(h_given**2 - method_h**2, 0.0))
    for m in np.unique(c.model):
        mine = c.model == m
        out[mine] = np.hypot(residual_half_width(c.ln_error[~mine]), other[mine])
    return out


def summary(ln_error: np.ndarray, h: np.ndarray) -> tuple[float, float]:
    """(coverage, median width high/low)."""
    return float(np.mean(np.abs(ln_error) <= h)), float(np.median(np.exp(2.0 * h)))


def spread_document(errors: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """The content of ``residual_spread.json``: per method (``errors``: its model ids and LOMO
    ln errors) the residual half-width, with what it was derived from."""
    return {
        "script": COMMAND,
        "quantile": RESIDUAL_QUANTILE,
        "half_width": {m: round(residual_half_width(e), 4) for m, (_, e) in errors.items()},
        "configurations": {m: len(e) for m, (_, e) in errors.items()},
        "models": {m: len(set(ids.tolist())) for m, (ids, _) in errors.items()},
        "inputs_sha256": inputs_sha256(),
    }


def table(cases: Sequence[Cases]) -> list[tuple[str, str, int, float, float]]:
    """Per method and input completeness: (method, inputs, configurations, coverage, median
    width high/low)."""
    out = []
    for c in cases:
        given = c.half_width["configuration given"]
        rows = [("configuration given", c.ln_error, given)]
        rows.append(("configuration given, nested", c.ln_error, nested_half_width(c)))
        rows += [
            (label, c.ln_error + c.ln_shift[label], h)
            for label, h in c.half_width.items()
            if label != "configuration given"
        ]
        out += [(c.method, label, len(c.model), *summary(err, h)) for label, err, h in rows]
    return out


def report(cases: Sequence[Cases]) -> list[str]:
    lines = [
        "| method | inputs | configurations | coverage | median width (high/low) |",
        "|---|---|---:|---:|---:|",
    ]
    for method, label, n, cov, width in table(cases):
        lines.append(f"| {method} | {label} | {n} | {cov:.1%} | x{width:.2f} |")
    spread = uncertainty.residual_spread()
    for c in cases:
        h = spread["half_width"][c.method]
        lines.append(
            f"\n{c.method}: {RESIDUAL_QUANTILE:.0%} quantile of the LOMO |ln(pred/meas)| over "
            f"{len(c.model)} configurations of {len(set(c.model.tolist()))} models = {h:.4f} "
            f"(x{math.exp(h):.3f}), the residual half-width of the ranges"
        )
    return lines


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    """Print the coverage table; ``--write`` first stores the residual spread of the current
    fit in ``residual_spread.json`` (the ranges then use it)."""
    argv = sys.argv[1:] if argv is None else argv
    text_rows, text_ln = text_errors()
    diffusion_rows, diffusion_ln = diffusion_errors()
    document = spread_document(
        {
            "text": (np.array([r["model_id"] for r in text_rows]), text_ln),
            "diffusion": (np.array([r["model_id"] for r in diffusion_rows]), diffusion_ln),
        }
    )
    path: Path = uncertainty.RESIDUAL_SPREAD_JSON
    write = "--write" in argv
    if write:  # the engine's ranges below use the new spread
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        uncertainty.residual_spread.cache_clear()
    elif {k: v for k, v in uncertainty.residual_spread().items() if k != "coverage"} != document:
        out(f"NOTE: {path.name} is not the current fit's: run `{COMMAND}`")
    cases = [text_cases(text_rows, text_ln), diffusion_cases(diffusion_rows, diffusion_ln)]
    out("\n".join(report(cases)))
    if write:
        document["coverage"] = [
            {
                "method": m,
                "inputs": label,
                "configurations": n,
                "coverage": round(cov, 6),
                "median_width": round(width, 6),
            }
            for m, label, n, cov, width in table(cases)
        ]
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        uncertainty.residual_spread.cache_clear()
        out(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
