"""Fit the image- and video-generation GPU energy and busy-time model on ML.ENERGY measurements.

Run ``python -m ai_impact.calibration.fit_diffusion`` (with ``function/`` on ``sys.path``). It
reads ``mlenergy_diffusion.csv`` next to this file (the 191 one-GPU configurations of ML.ENERGY v2
and v3 text-to-image, text-to-video and image-to-video runs: GPU energy and batch latency per
generated output, source URL on every row), the denoiser sizes and v2 resolutions compiled below
(a citation per entry) and the GPU specifications of the project catalog
(``ai_impact/data/gpus.csv``). It re-derives every coefficient held by
``ai_impact.engine.diffusion`` with numpy only and prints them with the in-sample and
leave-one-model-out (LOMO) errors, separately for images and videos.

Model of one measured row (docs/calibration.md, "Image and video generation")::

    X   = W * H * F / 1e6                      megapixel-frames of one output
    k   = k_v if F > 1 else 1                  video / image work per megapixel-frame
    tau = S *       [ c * k' * P^gamma * X * (FLOPS/989)^-mu   +  d * P^delta / B ]       s
    e   = min( S * TDP * [ a * k * P^alpha * X * (FLOPS/989)^-eta  +  b * P^beta / B ],
               TDP * tau )                                                               J

S denoising steps; P denoiser parameters (billions); B outputs per batch; TDP (W) and FLOPS
(dense BF16 TFLOP/s) of the GPU, 989 = H100 SXM. The first term is the denoising work, linear in
pixels x frames inside the measured range; the second a per-step overhead of the batch (kernel
launches, scheduler, CPU-side pipeline work) shared by its B outputs; the cap says a GPU cannot
average more than its TDP. The overhead terms (b, beta, d, delta) are identified from the batch
sweeps within each model and GPU (stage 1: every model x GPU group gets its own work level);
the work terms are then fitted across models (stage 2), so the overhead cannot absorb
differences between models. Time is fitted first; energy uses its prediction for the cap.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ai_impact.calibration import fitting
from ai_impact.calibration.fitting import rounded

DATA_CSV = Path(__file__).with_name("mlenergy_diffusion.csv")
PROJECT_GPUS_CSV = Path(__file__).resolve().parents[1] / "data" / "gpus.csv"

# ML.ENERGY GPU names -> catalog gpu_id. The catalog row is found by its aliases column
# ("H100-SXM5-80GB", "A100-SXM4-40GB" are aliases) or, failing that, by gpu_id ("B200" is
# not listed as an alias but is the id of the b200 row, case-insensitive).
GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}
REFERENCE_BF16_TFLOPS = 989.0  # H100 SXM dense BF16: the spec scaling is relative to it

_MLE_V2_MODELS = (
    "ML.ENERGY v2 data/diffusion/{}/models.json @4e4fca8d (github.com/ml-energy/benchmark)"
)

# Denoiser parameters (billions): the network evaluated at every denoising step. Text
# encoders, image encoders and VAE run once per output and are excluded, as the model cards of
# the transformer models count them (FLUX.1-dev 12B without its 4.7B T5-XXL). Stable Diffusion
# 1.x/2.x/XL cards quote pipeline totals (SDXL 3.5B = 2.6B UNet + text encoders + VAE); their
# UNet is taken here (docs/calibration.md discusses the choice). model_id -> (params, source,
# inferred?).
MODEL_PARAMS: dict[str, tuple[float, str, bool]] = {
    "kandinsky-community/kandinsky-2-2-decoder": (
        1.22,
        "Kandinsky 2.x model card (huggingface.co/ai-forever/Kandinsky_2.1): latent diffusion "
        "U-Net 1.22B (prior 1B, image encoder, MoVQ excluded); 2.2 keeps the U-Net size",
        True,
    ),
    "kandinsky-community/kandinsky-3": (
        3.0,
        "Arkhipkin et al. 2023, arXiv:2312.03511: U-Net 3.0B (Flan-UL2 text encoder 8.6B "
        "excluded); unet fp16 weights 6.08 GB",
        False,
    ),
    "prompthero/openjourney-v4": (
        0.86,
        "fine-tune of Stable Diffusion v1.5 (model card); SD v1 U-Net 860M (Rombach et al. "
        "2022, arXiv:2112.10752; SD v1 model card)",
        True,
    ),
    "segmind/SSD-1B": (
        1.3,
        "Gupta et al. 2024, arXiv:2401.02677: SSD-1B, a 1.3B-parameter U-Net distilled from SDXL",
        False,
    ),
    "stabilityai/sdxl-turbo": (
        2.6,
        "SDXL U-Net distilled with ADD (Sauer et al. 2023, arXiv:2311.17042); U-Net size of "
        "SDXL, 2.6B (Podell et al. 2023, arXiv:2307.01952)",
        True,
    ),
    "stabilityai/stable-diffusion-2-1": (
        0.87,
        "Stable Diffusion 2 model card (huggingface.co/stabilityai/stable-diffusion-2): 865M "
        "U-Net, OpenCLIP ViT-H text encoder excluded",
        False,
    ),
    "stabilityai/stable-diffusion-3-medium-diffusers": (
        2.0,
        "SD3 Medium model card: 2 billion parameter MMDiT (Esser et al. 2024, arXiv:2403.03206)",
        False,
    ),
    "stabilityai/stable-diffusion-xl-base-1.0": (
        2.6,
        "Podell et al. 2023, arXiv:2307.01952: 2.6B U-Net (the card's 3.5B base counts the two "
        "text encoders and the VAE)",
        False,
    ),
    "ali-vilab/text-to-video-ms-1.7b": (
        1.4,
        "card: ~1.7B for the whole model; its denoising U-Net 1.4B per "
        + _MLE_V2_MODELS.format("text-to-video"),
        True,
    ),
    "guoyww/animatediff-motion-adapter-v1-5-3": (
        1.3,
        "SD v1.5 U-Net 0.86B plus motion modules; denoiser 1.3B per "
        + _MLE_V2_MODELS.format("text-to-video"),
        True,
    ),
    "ali-vilab/i2vgen-xl": (
        1.4,
        "I2VGen-XL (Zhang et al. 2023, arXiv:2311.04145); denoising U-Net 1.4B per "
        + _MLE_V2_MODELS.format("image-to-video"),
        True,
    ),
    "stabilityai/stable-video-diffusion-img2vid": (
        1.5,
        "SVD (Blattmann et al. 2023, arXiv:2311.15127); denoising U-Net 1.5B per "
        + _MLE_V2_MODELS.format("image-to-video"),
        True,
    ),
    "stabilityai/stable-video-diffusion-img2vid-xt": (
        1.5,
        "SVD-XT, same U-Net as SVD; 1.5B per " + _MLE_V2_MODELS.format("image-to-video"),
        True,
    ),
    "Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers": (
        1.6,
        "SANA 1.5 model card / Xie et al. 2025, arXiv:2501.18427: 1.6B linear DiT",
        False,
    ),
    "black-forest-labs/FLUX.1-dev": (
        12.0,
        "FLUX.1 [dev] model card: 12 billion parameter rectified flow transformer",
        False,
    ),
    "stabilityai/stable-diffusion-3.5-large": (
        8.1,
        "Stability AI, 'Introducing Stable Diffusion 3.5' (22 Oct 2024): Large, 8.1B MMDiT",
        False,
    ),
    "stabilityai/stable-diffusion-3.5-medium": (
        2.5,
        "Stability AI, 'Introducing Stable Diffusion 3.5' (22 Oct 2024): Medium, 2.5B MMDiT-X",
        False,
    ),
    "Wan-AI/Wan2.1-T2V-1.3B-Diffusers": (
        1.3,
        "Wan team 2025, arXiv:2503.20314 / model card: Wan2.1 T2V 1.3B DiT",
        False,
    ),
    "Wan-AI/Wan2.1-T2V-14B-Diffusers": (
        14.0,
        "Wan team 2025, arXiv:2503.20314 / model card: Wan2.1 T2V 14B DiT",
        False,
    ),
    "tencent/HunyuanVideo": (
        13.0,
        "Kong et al. 2024, arXiv:2412.03603: 13B-parameter video DiT",
        False,
    ),
    "zai-org/CogVideoX1.5-5B": (
        5.0,
        "CogVideoX1.5-5B model card (Yang et al. 2024, arXiv:2408.06072): 5B DiT",
        False,
    ),
}

# ML.ENERGY v2 does not record the resolution; its scripts pass no height/width, so the
# pipelines ran at their defaults, which the v2 leaderboard lists per model (models.json,
# "resolution"). I2VGen-XL: 1280x720 listed, the diffusers pipeline default is 1280x704.
V2_RESOLUTION: dict[str, tuple[float, float]] = {
    "kandinsky-community/kandinsky-2-2-decoder": (512.0, 512.0),
    "kandinsky-community/kandinsky-3": (1024.0, 1024.0),
    "prompthero/openjourney-v4": (512.0, 512.0),
    "segmind/SSD-1B": (1024.0, 1024.0),
    "stabilityai/sdxl-turbo": (512.0, 512.0),
    "stabilityai/stable-diffusion-2-1": (768.0, 768.0),
    "stabilityai/stable-diffusion-3-medium-diffusers": (1024.0, 1024.0),
    "stabilityai/stable-diffusion-xl-base-1.0": (1024.0, 1024.0),
    "ali-vilab/text-to-video-ms-1.7b": (256.0, 256.0),
    "guoyww/animatediff-motion-adapter-v1-5-3": (512.0, 512.0),
    "ali-vilab/i2vgen-xl": (1280.0, 704.0),
    "stabilityai/stable-video-diffusion-img2vid": (1024.0, 576.0),
    "stabilityai/stable-video-diffusion-img2vid-xt": (1024.0, 576.0),
}
V2_RESOLUTION_SOURCE = (
    "github.com/ml-energy/benchmark data/diffusion/{text-to-image,text-to-video,image-to-video}"
    "/models.json @4e4fca8d ('resolution'); benchmark/diffusion/*/pegasus/H100/queue_1gpu.yaml "
    "@b10121d5 (no --height/--width passed)"
)

# Robust, model-balanced least squares in log space (as fit_text).
HUBER_DELTA = 0.15
LM_MAX_ITER = 300  # Levenberg-Marquardt iterations and relative cost tolerance
LM_TOLERANCE = 1e-12
IRLS_ROUNDS = 5
ENERGY_WORK_START = np.array([-3.5, 0.8, 0.5, 0.0])  # ln a, alpha, eta, ln k_video
TIME_WORK_START = np.array([-3.4, 0.8, 0.4, 0.0])  # ln c, gamma, mu, ln k_video

Columns = dict[str, np.ndarray]


# ----------------------------------------------------------------------------------- data ----
def load_rows(path: Path = DATA_CSV) -> list[dict[str, str]]:
    """The measured configurations (one dict per CSV row)."""
    return fitting.load_rows(path)


def _names(row: dict[str, str]) -> list[str]:
    aliases = (row.get("aliases") or "").replace(";", "|").split("|")
    return [row["gpu_id"].lower(), *(a.strip().lower() for a in aliases if a.strip())]


def load_gpu_specs(path: Path = PROJECT_GPUS_CSV) -> dict[str, dict[str, float]]:
    """TDP and dense BF16 TFLOP/s of the three measured GPUs, keyed by ML.ENERGY GPU name.

    The catalog row is the one whose aliases (or gpu_id) contain the ML.ENERGY name; it must be
    the row ``GPU_IDS`` expects, so a catalog edit cannot silently remap a GPU.
    """
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    specs: dict[str, dict[str, float]] = {}
    for name, gpu_id in GPU_IDS.items():
        hits = [r for r in table if name.lower() in _names(r)]
        if [r["gpu_id"] for r in hits] != [gpu_id]:
            raise KeyError(f"{name}: catalog rows {[r['gpu_id'] for r in hits]}, want {gpu_id}")
        specs[name] = {
            "tdp_w": float(hits[0]["tdp_w"]),
            "bf16_dense_tflops": float(hits[0]["bf16_dense_tflops"]),
            "memory_bandwidth_tbps": float(hits[0]["memory_bandwidth_tbps"]),
        }
    return specs


def columns(rows: list[dict[str, str]], specs: dict[str, dict[str, float]]) -> Columns:
    """Float64 feature and target columns of the measured rows."""

    def col(name: str, default: float = np.nan) -> np.ndarray:
        return np.array([float(r[name]) if r[name] else default for r in rows])

    width = np.array([float(r["width"] or V2_RESOLUTION[r["model_id"]][0]) for r in rows])
    height = np.array([float(r["height"] or V2_RESOLUTION[r["model_id"]][1]) for r in rows])
    frames = col("frames", 1.0)
    batch = col("batch_size")
    return {
        "params_b": np.array([MODEL_PARAMS[r["model_id"]][0] for r in rows]),
        "width_px": width,
        "height_px": height,
        "frames": frames,
        "mpf": width * height * frames / 1e6,
        "steps": col("steps"),
        "batch": batch,
        "tdp": np.array([specs[r["gpu"]]["tdp_w"] for r in rows]),
        "tflops": np.array([specs[r["gpu"]]["bf16_dense_tflops"] for r in rows]),
        "bw": np.array([specs[r["gpu"]]["memory_bandwidth_tbps"] for r in rows]),
        "video": (frames > 1).astype(np.float64),
        "energy_j": col("energy_per_output_J"),
        "busy_s": col("batch_latency_s") / batch,
    }


# ---------------------------------------------------------------------------- the physics ----
def per_output(
    x: Columns, work_scale: np.ndarray, overhead_scale: np.ndarray, fixed: tuple[float, float]
) -> np.ndarray:
    """steps x (work + overhead / B) with the fitted overhead ``(ln b, beta)``."""
    ln_b, beta = fixed
    return x["steps"] * (
        work_scale + overhead_scale * np.exp(ln_b) * x["params_b"] ** beta / x["batch"]
    )


def work_per_step(theta: np.ndarray, x: Columns) -> np.ndarray:
    """Work term of one output and step: scale * P^exponent * X * k_video^[F>1] * (FLOPS/989)^-e.

    ``theta`` = (ln scale, P exponent, FLOPS exponent, ln k_video).
    """
    ln_scale, p_exp, flops_exp, ln_video = theta
    return (
        np.exp(ln_scale + ln_video * x["video"])
        * x["params_b"] ** p_exp
        * x["mpf"]
        * (x["tflops"] / REFERENCE_BF16_TFLOPS) ** -flops_exp
    )


def energy_model(
    theta: np.ndarray, x: Columns, fixed: tuple[float, float], busy_s: np.ndarray
) -> np.ndarray:
    """J per output: S x TDP x [a k_v P^alpha X (FLOPS/989)^-eta + b P^beta / B], at most
    TDP x the modelled busy time ``busy_s`` (a GPU cannot average more than its TDP)."""
    uncapped = per_output(x, x["tdp"] * work_per_step(theta, x), x["tdp"], fixed)
    return np.minimum(uncapped, x["tdp"] * busy_s)


def time_model(theta: np.ndarray, x: Columns, fixed: tuple[float, float]) -> np.ndarray:
    """s per output: S x [c k_v' P^gamma X (FLOPS/989)^-mu + d P^delta / B]."""
    return per_output(x, work_per_step(theta, x), np.ones_like(x["tdp"]), fixed)


# ------------------------------------------------------------------------------- fitting ----
def _robust_fit(
    log_model: Callable[[np.ndarray], np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    theta0: np.ndarray,
) -> np.ndarray:
    return fitting.robust_fit(
        log_model, y, weights, theta0, IRLS_ROUNDS, HUBER_DELTA, LM_MAX_ITER, LM_TOLERANCE
    )


def _overhead(
    x: Columns, groups: np.ndarray, y: np.ndarray, scale: np.ndarray
) -> tuple[float, float]:
    """Stage 1: per-step overhead ``(ln b, beta)`` from the batch sweeps.

    Every model x GPU group gets its own work level per step; only the overhead, shared by the
    batch, is common. Rows of groups measured at a single batch size carry no information.
    """
    labels, g = np.unique(groups, return_inverse=True)
    per_step = y / x["steps"]
    w0 = np.log([per_step[g == k].min() for k in range(labels.size)])

    def log_model(t: np.ndarray) -> np.ndarray:
        over = scale * np.exp(t[-2]) * x["params_b"] ** t[-1] / x["batch"]
        return np.log(np.exp(t[g]) + over)

    theta = fitting.levenberg_marquardt(
        lambda t: log_model(t) - np.log(per_step),
        np.concatenate([w0 - 0.2, [-5.0, 0.5]]),
        LM_MAX_ITER,
        LM_TOLERANCE,
    )
    return float(theta[-2]), float(theta[-1])


def _fit_arrays(
    x: Columns, model_ids: np.ndarray, gpus: np.ndarray, start: tuple[np.ndarray, np.ndarray]
) -> dict[str, tuple[np.ndarray, tuple[float, float]]]:
    """Both models: (work parameters, overhead parameters) for energy and for busy time."""
    groups = np.char.add(np.char.add(model_ids.astype(str), "|"), gpus.astype(str))
    w = fitting.model_weights(model_ids)
    fixed_t = _overhead(x, groups, x["busy_s"], np.ones_like(x["tdp"]))
    theta_t = _robust_fit(
        lambda t: np.log(time_model(t, x, fixed_t)), np.log(x["busy_s"]), w, start[1]
    )
    busy_s = time_model(theta_t, x, fixed_t)
    fixed_e = _overhead(x, groups, x["energy_j"], x["tdp"])
    theta_e = _robust_fit(
        lambda t: np.log(energy_model(t, x, fixed_e, busy_s)), np.log(x["energy_j"]), w, start[0]
    )
    return {"energy": (theta_e, fixed_e), "time": (theta_t, fixed_t)}


def predict(
    res: dict[str, tuple[np.ndarray, tuple[float, float]]], x: Columns
) -> dict[str, np.ndarray]:
    """Energy (J) and busy time (s) per output of rows ``x`` from fitted parameters ``res``."""
    busy_s = time_model(res["time"][0], x, res["time"][1])
    return {"energy": energy_model(res["energy"][0], x, res["energy"][1], busy_s), "time": busy_s}


def fit(
    rows: list[dict[str, str]] | None = None, specs: dict[str, dict[str, float]] | None = None
) -> dict[str, float]:
    """Fit every coefficient on ``rows`` (default: the shipped CSV); returns them by name.

    Energy: ``a`` (J per W of TDP, billion-parameter^alpha, megapixel-frame and step at H100
    FLOPS), ``alpha``, ``eta``, ``k_video``, ``b`` (J per W of TDP per step and batch),
    ``beta``. Busy time: ``c`` (s per billion-parameter^gamma, megapixel-frame and step at H100
    FLOPS), ``gamma``, ``mu``, ``k_video_time``, ``d`` (s per step and batch), ``delta``.
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    x = columns(rows, specs)
    res = _fit_arrays(
        x,
        np.array([r["model_id"] for r in rows]),
        np.array([r["gpu"] for r in rows]),
        (ENERGY_WORK_START, TIME_WORK_START),
    )
    (ln_a, alpha, eta, ln_kv), (ln_b, beta) = res["energy"]
    (ln_c, gamma, mu, ln_kv_t), (ln_d, delta) = res["time"]
    return {
        "a": float(np.exp(ln_a)),
        "alpha": float(alpha),
        "eta": float(eta),
        "k_video": float(np.exp(ln_kv)),
        "b": float(np.exp(ln_b)),
        "beta": beta,
        "c": float(np.exp(ln_c)),
        "gamma": float(gamma),
        "mu": float(mu),
        "k_video_time": float(np.exp(ln_kv_t)),
        "d": float(np.exp(ln_d)),
        "delta": delta,
    }


# ----------------------------------------------------------------------------- reporting ----
def engine_predictions(x: Columns) -> tuple[np.ndarray, np.ndarray]:
    """J and s per output as ``ai_impact.engine.diffusion`` computes them (rounded constants)."""
    from ai_impact.engine import diffusion

    args = (
        x["params_b"],
        x["width_px"],
        x["height_px"],
        x["frames"],
        x["steps"],
        x["batch"],
        x["tdp"],
        x["tflops"],
        x["bw"],
    )
    return diffusion.gpu_energy_j(*args), diffusion.busy_time_s(*args)


def lomo_errors(
    rows: list[dict[str, str]] | None = None, specs: dict[str, dict[str, float]] | None = None
) -> dict:
    """In-sample and leave-one-model-out errors (multiplicative: exp|ln(pred/meas)|).

    Every model_id is left out in turn, both stages are refitted on the other models and its
    rows are predicted. Returns, for ``energy`` and ``time``, ``{"image"|"video": {"insample",
    "lomo", "engine"}}`` as (median, p90); per-row ``lomo_pred_energy`` / ``lomo_pred_time``;
    ``models`` (per model_id: rows, task, in-sample and LOMO median error and the median LOMO
    ratio pred/meas of energy and time).
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    x = columns(rows, specs)
    ids = np.array([r["model_id"] for r in rows])
    gpus = np.array([r["gpu"] for r in rows])
    start = (ENERGY_WORK_START, TIME_WORK_START)
    full = _fit_arrays(x, ids, gpus, start)
    start = (full["energy"][0], full["time"][0])
    models = ("energy", "time")
    targets = {"energy": x["energy_j"], "time": x["busy_s"]}
    insample = predict(full, x)
    lomo = {k: np.empty(len(rows)) for k in models}
    for m in np.unique(ids):
        test = ids == m
        xtr = {key: v[~test] for key, v in x.items()}
        xte = {key: v[test] for key, v in x.items()}
        pred = predict(_fit_arrays(xtr, ids[~test], gpus[~test], start), xte)
        for k in models:
            lomo[k][test] = pred[k]
    engine = dict(zip(("energy", "time"), engine_predictions(x), strict=True))
    video = x["video"] > 0
    out: dict = {"rows": len(rows)}
    for k in models:
        out[k] = {}
        for label, sel in (("image", ~video), ("video", video)):
            out[k][label] = {
                "insample": fitting.median_p90(
                    fitting.multiplicative_error(insample[k][sel], targets[k][sel])
                ),
                "lomo": fitting.median_p90(
                    fitting.multiplicative_error(lomo[k][sel], targets[k][sel])
                ),
                "engine": fitting.median_p90(
                    fitting.multiplicative_error(engine[k][sel], targets[k][sel])
                ),
            }
    out["models"] = {
        m: {
            "rows": int((ids == m).sum()),
            "video": bool(video[ids == m][0]),
            **{
                f"{k}_{kind}": float(
                    np.median(fitting.multiplicative_error(pred[k][ids == m], targets[k][ids == m]))
                )
                for k in models
                for kind, pred in (("insample", insample), ("lomo", lomo))
            },
            **{
                f"{k}_lomo_ratio": float(
                    np.exp(np.median(np.log(lomo[k][ids == m] / targets[k][ids == m])))
                )
                for k in models
            },
        }
        for m in np.unique(ids)
    }
    out["lomo_pred_energy"] = lomo["energy"]
    out["lomo_pred_time"] = lomo["time"]
    return out


# Engine constant name, fit key, significant digits.
ENGINE_CONSTANTS = (
    ("WORK_J_PER_W", "a", 4),
    ("PARAMS_EXPONENT", "alpha", 4),
    ("FLOPS_EXPONENT", "eta", 4),
    ("VIDEO_WORK_FACTOR", "k_video", 4),
    ("OVERHEAD_J_PER_W", "b", 4),
    ("OVERHEAD_PARAMS_EXPONENT", "beta", 4),
    ("WORK_S", "c", 4),
    ("TIME_PARAMS_EXPONENT", "gamma", 4),
    ("TIME_FLOPS_EXPONENT", "mu", 4),
    ("TIME_VIDEO_WORK_FACTOR", "k_video_time", 4),
    ("OVERHEAD_S", "d", 4),
    ("TIME_OVERHEAD_PARAMS_EXPONENT", "delta", 4),
)


def main() -> int:
    """Print the coefficients, the errors and the per-model table."""
    c = fit()
    print(f"GPU specs: {PROJECT_GPUS_CSV}")
    print("Engine constants for ai_impact/engine/diffusion.py:")
    for const, key, digits in ENGINE_CONSTANTS:
        print(f"{const} = {rounded(c[key], digits)!r}")
    res = lomo_errors()
    print(f"\nErrors on {res['rows']} rows, exp|ln(pred/meas)|, median / p90:")
    for k in ("energy", "time"):
        for label in ("image", "video"):
            e = res[k][label]
            cells = "   ".join(f"{kind} {e[kind][0]:.3f} / {e[kind][1]:.3f}" for kind in e)
            print(f"  {k:6s} {label:5s}  {cells}")
    print("\nBy model: rows | energy in-sample, LOMO, LOMO pred/meas | time in-sample, LOMO, ratio")
    for m, t in sorted(res["models"].items(), key=lambda kv: (kv[1]["video"], kv[0])):
        print(
            f"  {m[:48]:48s} {t['rows']:3d} | {t['energy_insample']:.2f} {t['energy_lomo']:.2f}"
            f" {t['energy_lomo_ratio']:.2f} | {t['time_insample']:.2f} {t['time_lomo']:.2f}"
            f" {t['time_lomo_ratio']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
