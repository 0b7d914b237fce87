"""Coverage of the ranges: do the [low, high] of ``gpu_wh`` contain the measurements?

``python -m ai_impact.calibration.coverage`` (docs/calibration.md, "Ranges: coverage").

For every measured ML.ENERGY configuration (``mlenergy_llm.csv``, ``mlenergy_diffusion.csv``):

1. the leave-one-model-out (LOMO) prediction of its GPU energy, from the calibration scripts
   (``fit_text.lomo_errors``, ``fit_diffusion.lomo_errors``): the model's own rows are never
   seen by the fit that predicts them;
2. the half-width the engine gives that row's ``gpu_wh`` (``ai_impact.estimate(...,
   ranges=True)``), in two input completenesses:

   - *configuration given*: the row names the GPU, GPU count, batch size and datatype of the
     measurement (and the model's size);
   - *model only*: the row names the model's size and task only; the engine then assumes the
     default node, batch and datatype. Its prediction is the LOMO prediction moved to the
     assumed deployment by the engine's own ratio (model only / configuration given), so the
     measurement of the actual configuration is compared with what the engine says when it
     is not told that configuration.

A configuration is covered when ``low <= measured <= high``; width = high / low. Also printed:
the *nested* coverage, where the method's residual half-width is re-derived for each model from
the other models' LOMO residuals only (the constant itself is then out of sample too).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import ai_impact
from ai_impact import uncertainty
from ai_impact.calibration import fit_diffusion, fit_text

# The share of LOMO residuals the method's half-width covers (uncertainty.TEXT_HALF_WIDTH,
# DIFFUSION_HALF_WIDTH are this quantile of |ln(pred/meas)|, rounded up).
RESIDUAL_QUANTILE = 0.85
PROMPT_TOKENS = 400  # a typical chat prompt; the ratios below barely depend on it


@dataclass(frozen=True)
class Cases:
    """Per measured configuration: model id, signed LOMO log error (ln pred/meas) at the
    measured configuration, ln of the engine's (model only / configuration given) ratio, and
    the engine's gpu_wh half-width in both completenesses."""

    method: str
    model: np.ndarray
    ln_error: np.ndarray
    ln_shift: np.ndarray
    h_given: np.ndarray
    h_model_only: np.ndarray


def _engine(rows: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """gpu_wh point and half-width ln(high/point) of each row, from ai_impact.estimate."""
    replies = ai_impact.estimate(list(rows), ranges=True, debug=True)
    bad = [r["error"] for r in replies if r["error"] is not None]
    if bad:
        raise RuntimeError(f"{len(bad)} calibration rows failed: {bad[0]}")
    high = np.array([r["ranges"]["energy_breakdown"]["gpu_wh"][1] for r in replies])
    point = np.array([r["debug"]["energy_breakdown"]["gpu_wh"] for r in replies])
    return point, np.log(high / point)


_DATATYPES = {"bfloat16": "bf16", "float16": "fp16", "fp8": "fp8", "float8": "fp8"}


def text_cases() -> Cases:
    rows = fit_text.load_rows()
    res = fit_text.lomo_errors(rows)
    measured = np.array([float(r["energy_per_output_token_J"]) for r in rows])
    ln_error = np.log(np.asarray(res["lomo_pred_energy"]) / measured)
    base = []
    for r in rows:
        base.append(
            {
                "task": "text-generation",
                "model_total_params_billions": float(r["total_params_b"]),
                "model_active_params_billions": float(r["active_params_b"] or r["total_params_b"]),
                "input_tokens": PROMPT_TOKENS,
                "output_tokens": max(1, round(float(r["avg_output_tokens"]))),
            }
        )
    given = [
        b
        | {
            "gpu_id": _gpu_id(r["gpu"]),
            "gpu_count": int(float(r["num_gpus"])),
            "batch_size": max(1, round(float(r["avg_batch_size"] or r["max_batch_size"]))),
            "model_datatype": _DATATYPES.get(r["weight_precision"].lower(), "bf16"),
        }
        for b, r in zip(base, rows, strict=True)
    ]
    p_given, h_given = _engine(given)
    p_only, h_only = _engine(base)
    return Cases(
        "text",
        np.array([r["model_id"] for r in rows]),
        ln_error,
        np.log(p_only / p_given),
        h_given,
        h_only,
    )


_GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}


def _gpu_id(name: str) -> str:
    return _GPU_IDS[name]


def diffusion_cases() -> Cases:
    rows = fit_diffusion.load_rows()
    res = fit_diffusion.lomo_errors(rows)
    x = fit_diffusion.columns(rows, fit_diffusion.load_gpu_specs())
    ln_error = np.log(np.asarray(res["lomo_pred_energy"]) / x["energy_j"])
    base = []
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
        base.append(row)
    given = [
        b
        | {
            "gpu_id": _gpu_id(r["gpu"]),
            "gpu_count": int(float(r["num_gpus"] or 1)),
            "batch_size": int(float(r["batch_size"])),
        }
        for b, r in zip(base, rows, strict=True)
    ]
    p_given, h_given = _engine(given)
    p_only, h_only = _engine(base)
    return Cases(
        "diffusion",
        np.array([r["model_id"] for r in rows]),
        ln_error,
        np.log(p_only / p_given),
        h_given,
        h_only,
    )


def nested_half_width(c: Cases) -> np.ndarray:
    """Per configuration: the residual half-width re-derived without its model (the
    :data:`RESIDUAL_QUANTILE` of the other models' |ln error|), plus the engine's other
    sources of the configuration-given case (none for open models: 0)."""
    out = np.empty(len(c.model))
    method_h = {
        "text": uncertainty.TEXT_HALF_WIDTH,
        "diffusion": uncertainty.DIFFUSION_HALF_WIDTH,
    }[c.method]
    other = np.sqrt(np.maximum(c.h_given**2 - method_h**2, 0.0))
    for m in np.unique(c.model):
        mine = c.model == m
        q = float(np.quantile(np.abs(c.ln_error[~mine]), RESIDUAL_QUANTILE))
        out[mine] = np.sqrt(q**2 + other[mine] ** 2)
    return out


def summary(ln_error: np.ndarray, h: np.ndarray) -> tuple[float, float]:
    """(coverage, median width high/low)."""
    return float(np.mean(np.abs(ln_error) <= h)), float(np.median(np.exp(2.0 * h)))


def report(cases: Sequence[Cases]) -> list[str]:
    lines = [
        "| method | inputs | configurations | coverage | median width (high/low) |",
        "|---|---|---:|---:|---:|",
    ]
    for c in cases:
        n = len(c.model)
        for label, err, h in (
            ("configuration given", c.ln_error, c.h_given),
            ("configuration given, nested", c.ln_error, nested_half_width(c)),
            ("model only", c.ln_error + c.ln_shift, c.h_model_only),
        ):
            cov, width = summary(err, h)
            lines.append(f"| {c.method} | {label} | {n} | {cov:.1%} | x{width:.2f} |")
    for c in cases:
        q = float(np.quantile(np.abs(c.ln_error), RESIDUAL_QUANTILE))
        lines.append(
            f"\n{c.method}: {RESIDUAL_QUANTILE:.0%} quantile of the LOMO |ln(pred/meas)| = "
            f"{q:.4f} (x{math.exp(q):.3f})"
        )
    return lines


def main() -> int:
    cases = [text_cases(), diffusion_cases()]
    print("\n".join(report(cases)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
