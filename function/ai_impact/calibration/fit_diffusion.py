"""Fit the image- and video-generation model of ``ai_impact.engine.diffusion`` on ML.ENERGY data.

Run ``python -m ai_impact.calibration.fit_diffusion`` (with ``function/`` on ``sys.path``). It
reads ``mlenergy_diffusion.csv`` next to this file (825 configurations of ML.ENERGY v2 and v3
text-to-image, text-to-video and image-to-video runs on 1 to 8 GPUs: GPU energy and batch
latency per generated output, source URL on every row), the denoiser sizes, architectures and v2
resolutions compiled below (a citation per entry) and the GPU specifications of the project
catalog (``ai_impact/data/gpus.csv``). It fits every coefficient by calling the engine's own
functions (``diffusion.busy_time_s`` and ``diffusion.gpu_energy_j``) with a
``diffusion.Coefficients`` object, writes ``diffusion_coefficients.json`` (coefficients, fit
errors, SHA-256 of the data, script version), which the engine loads, and prints the in-sample
and leave-one-model-out (LOMO) errors for images, videos and the multi-GPU rows.

Two stages, both robust (Huber) least squares on logs with per-model weights: the busy time
fixes the work, overhead, parallel and synchronisation terms (12 coefficients); the energy then
fixes the two power fractions (busy, waiting) of the GPUs over those modelled times.
docs/calibration.md ("Image and video generation") describes the model and the errors.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ai_impact.calibration import fitting
from ai_impact.engine import diffusion

SCRIPT_VERSION = "2"
DATA_CSV = Path(__file__).with_name("mlenergy_diffusion.csv")
COEFFICIENTS_JSON = Path(__file__).with_name("diffusion_coefficients.json")
PROJECT_GPUS_CSV = Path(__file__).resolve().parents[1] / "data" / "gpus.csv"

# ML.ENERGY GPU names -> catalog gpu_id. The catalog row is found by its aliases column
# ("H100-SXM5-80GB", "A100-SXM4-40GB" are aliases) or, failing that, by gpu_id ("B200" is
# not listed as an alias but is the id of the b200 row, case-insensitive).
GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}
REFERENCE_BF16_TFLOPS = diffusion.REFERENCE_BF16_TFLOPS

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

# Architecture of each denoiser, as the catalog's ``generation_method`` column states it
# (diffusion.parse_method): UNet or transformer, and where they differ from the defaults
# (8x VAE with 2x2 patches = 256 px per token; 4x causal temporal VAE; classifier-free guidance
# = 2 passes per step; full attention) the published value. model_id -> (spec, source).
_UNET_CFG = "diffusers pipeline default guidance_scale > 1: classifier-free guidance, 2 passes"
ARCHITECTURES: dict[str, tuple[str, str]] = {
    "kandinsky-community/kandinsky-2-2-decoder": (
        "diffusion-unet",
        "Kandinsky 2.2 decoder: latent U-Net on a MoVQ (8x) latent; " + _UNET_CFG,
    ),
    "kandinsky-community/kandinsky-3": (
        "diffusion-unet",
        "Arkhipkin et al. 2023, arXiv:2312.03511: latent U-Net, MoVQ 8x; " + _UNET_CFG,
    ),
    "prompthero/openjourney-v4": ("diffusion-unet", "SD v1.5 U-Net, 8x VAE; " + _UNET_CFG),
    "segmind/SSD-1B": ("diffusion-unet", "SDXL-distilled U-Net, 8x VAE; " + _UNET_CFG),
    "stabilityai/sdxl-turbo": (
        "diffusion-unet",
        "SDXL U-Net, 8x VAE; ML.ENERGY v2 passes no guidance_scale, so the "
        "StableDiffusionXLPipeline default (5.0, 2 passes) applies",
    ),
    "stabilityai/stable-diffusion-2-1": ("diffusion-unet", "SD 2 U-Net, 8x VAE; " + _UNET_CFG),
    "stabilityai/stable-diffusion-3-medium-diffusers": (
        "diffusion-transformer;hidden_size=1536;attention_layers=24",
        "Esser et al. 2024, arXiv:2403.03206: MMDiT depth 24, width 64 x depth = 1536, 16-channel "
        "8x VAE, 2x2 patches; guidance 7.0 (pipeline default)",
    ),
    "stabilityai/stable-diffusion-xl-base-1.0": (
        "diffusion-unet",
        "Podell et al. 2023, arXiv:2307.01952: U-Net, 8x VAE; " + _UNET_CFG,
    ),
    "ali-vilab/text-to-video-ms-1.7b": (
        "diffusion-unet",
        "ModelScope T2V (Wang et al. 2023, arXiv:2308.06571): 3D U-Net on per-frame 8x VAE "
        "latents; " + _UNET_CFG,
    ),
    "guoyww/animatediff-motion-adapter-v1-5-3": (
        "diffusion-unet",
        "AnimateDiff (Guo et al. 2023, arXiv:2307.04725): SD v1.5 U-Net + motion modules, "
        "per-frame latents; " + _UNET_CFG,
    ),
    "ali-vilab/i2vgen-xl": (
        "diffusion-unet",
        "I2VGen-XL (Zhang et al. 2023, arXiv:2311.04145): 3D U-Net, per-frame latents; "
        + _UNET_CFG,
    ),
    "stabilityai/stable-video-diffusion-img2vid": (
        "diffusion-unet",
        "SVD (Blattmann et al. 2023, arXiv:2311.15127): spatio-temporal U-Net on per-frame 8x "
        "latents; min/max guidance 1.0/3.0 (pipeline default) > 1, 2 passes",
    ),
    "stabilityai/stable-video-diffusion-img2vid-xt": (
        "diffusion-unet",
        "SVD-XT: as SVD (Blattmann et al. 2023, arXiv:2311.15127)",
    ),
    "Efficient-Large-Model/SANA1.5_1.6B_1024px_diffusers": (
        "diffusion-transformer;pixels_per_token=1024;linear_attention=1;hidden_size=2240;attention_layers=20",
        "Xie et al. 2024, arXiv:2410.10629 (SANA) / 2025, arXiv:2501.18427 (SANA 1.5): DC-AE 32x "
        "latent, patch 1 (1024 px per token), linear attention, 1.6B: width 2240, 20 blocks; "
        "guidance 4.5",
    ),
    "black-forest-labs/FLUX.1-dev": (
        "diffusion-transformer;guidance_passes=1;hidden_size=3072;attention_layers=57",
        "FLUX.1 [dev] model card and diffusers FluxTransformer2DModel config: width 3072 (24 "
        "heads x 128), 19 double- + 38 single-stream blocks, 16-channel 8x VAE, 2x2 patches; "
        "guidance-distilled (guidance is an input, "
        "one pass per step)",
    ),
    "stabilityai/stable-diffusion-3.5-large": (
        "diffusion-transformer;hidden_size=2432;attention_layers=38",
        "SD3.5 Large transformer config: 38 blocks x 64 = 2432, 8x VAE, 2x2 patches; guidance "
        "3.5 (model card)",
    ),
    "stabilityai/stable-diffusion-3.5-medium": (
        "diffusion-transformer;hidden_size=1536;attention_layers=24",
        "SD3.5 Medium transformer config (MMDiT-X): 24 blocks x 64 = 1536; guidance 4.5 "
        "(model card)",
    ),
    "Wan-AI/Wan2.1-T2V-1.3B-Diffusers": (
        "diffusion-transformer;hidden_size=1536;attention_layers=30",
        "Wan team 2025, arXiv:2503.20314: dim 1536, 30 layers; Wan-VAE 8x spatial, 4x temporal "
        "(causal), patch (1, 2, 2); guidance 5.0",
    ),
    "Wan-AI/Wan2.1-T2V-14B-Diffusers": (
        "diffusion-transformer;hidden_size=5120;attention_layers=40",
        "Wan team 2025, arXiv:2503.20314: dim 5120, 40 layers; VAE and patches as Wan2.1 1.3B",
    ),
    "tencent/HunyuanVideo": (
        "diffusion-transformer;guidance_passes=1;hidden_size=3072;attention_layers=60",
        "Kong et al. 2024, arXiv:2412.03603: hidden 3072 (24 heads x 128), 20 dual- + 40 "
        "single-stream blocks, causal 3D VAE 8x "
        "spatial 4x temporal, patch (1, 2, 2); guidance-distilled (embedded guidance, 1 pass)",
    ),
    "zai-org/CogVideoX1.5-5B": (
        "diffusion-transformer;frames_per_latent=8;hidden_size=3072;attention_layers=42",
        "Yang et al. 2024, arXiv:2408.06072 and the CogVideoX1.5-5B transformer config: 48 heads "
        "x 64 = 3072, 42 layers, 3D VAE 8x spatial 4x temporal, patch 2x2 and 2 in time (8 "
        "frames per latent token); guidance 6.0",
    ),
}

# Robust, model-balanced least squares in log space (as fit_text).
HUBER_DELTA = 0.15
LM_MAX_ITER = 300  # Levenberg-Marquardt iterations and relative cost tolerance
LM_TOLERANCE = 1e-12
IRLS_ROUNDS = 3
# Busy-time parameters: ln c, eps, mu, ln k_u, beta_u, ln k_f, ln A, ln o, delta, ln kappa,
# ln s, omega.
TIME_START = np.array([-6.2, 1.0, 0.5, 0.2, 0.5, 0.4, 1.0, -3.8, 0.0, np.log(0.07), -3.7, 0.4])
ENERGY_START = np.array([0.0, np.log(0.3)])  # ln u_b, ln u_w
SIGNIFICANT_DIGITS = 4  # of the coefficients written to the JSON file

Columns = dict[str, np.ndarray]


# ----------------------------------------------------------------------------------- data ----
def load_rows(path: Path = DATA_CSV) -> list[dict[str, str]]:
    """The measured configurations (one dict per CSV row)."""
    return fitting.load_rows(path)


def data_sha256(path: Path = DATA_CSV) -> str:
    """SHA-256 of the calibration CSV (bytes as committed)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        "steps": col("steps"),
        "batch": batch,
        "gpus": col("num_gpus"),
        "tdp": np.array([specs[r["gpu"]]["tdp_w"] for r in rows]),
        "tflops": np.array([specs[r["gpu"]]["bf16_dense_tflops"] for r in rows]),
        "bw": np.array([specs[r["gpu"]]["memory_bandwidth_tbps"] for r in rows]),
        "video": (frames > 1).astype(np.float64),
        "energy_j": col("energy_per_output_J"),
        "busy_s": col("batch_latency_s") / batch,
    }


def denoisers(model_ids: np.ndarray) -> diffusion.Denoiser:
    """Architecture columns of the rows, from ``ARCHITECTURES``."""
    return diffusion.denoiser_columns([ARCHITECTURES[m][0] for m in model_ids.tolist()])


def hidden_size_rule() -> tuple[float, float]:
    """(coef, exponent) of d = coef * P^exponent through the transformers of ``ARCHITECTURES``
    whose hidden size is published (least squares on logs)."""
    p, d = [], []
    for model_id, (spec, _) in ARCHITECTURES.items():
        parsed = diffusion.parse_method(spec)
        if not parsed["unet"] and np.isfinite(float(parsed["hidden_size"])):
            p.append(MODEL_PARAMS[model_id][0])
            d.append(float(parsed["hidden_size"]))
    slope, intercept = np.polyfit(np.log(p), np.log(d), 1)
    return float(np.exp(intercept)), float(slope)


# ---------------------------------------------------------------------------- the physics ----
def coefficients_of(
    theta_time: np.ndarray, theta_energy: np.ndarray, hidden: tuple[float, float]
) -> diffusion.Coefficients:
    """A ``diffusion.Coefficients`` from the fitted parameter vectors (log-scale entries)."""
    ln_c, eps, mu, ln_ku, beta_u, ln_kf, ln_a, ln_o, delta, ln_kappa, ln_s, omega = theta_time
    ln_ub, ln_uw = theta_energy
    return diffusion.Coefficients(
        work_s=float(np.exp(ln_c)),
        work_exponent=float(eps),
        flops_exponent=float(mu),
        unet_work_factor=float(np.exp(ln_ku)),
        unet_params_exponent=float(beta_u),
        unet_video_factor=float(np.exp(ln_kf)),
        attention_weight=float(np.exp(ln_a)),
        overhead_s=float(np.exp(ln_o)),
        overhead_params_exponent=float(delta),
        parallel_share=float(np.exp(ln_kappa)),
        sync_s=float(np.exp(ln_s)),
        sync_exponent=float(omega),
        busy_power_fraction=float(np.exp(ln_ub)),
        wait_power_fraction=float(np.exp(ln_uw)),
        hidden_size_coef=hidden[0],
        hidden_size_exponent=hidden[1],
    )


def _args(
    x: Columns,
) -> tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]:
    """The ten positional inputs of diffusion.busy_time_s and gpu_energy_j."""
    return (
        x["params_b"],
        x["width_px"],
        x["height_px"],
        x["frames"],
        x["steps"],
        x["batch"],
        x["tdp"],
        x["tflops"],
        x["bw"],
        x["gpus"],
    )


def predict_time(coef: diffusion.Coefficients, x: Columns, arch: diffusion.Denoiser) -> np.ndarray:
    """Busy time per output (s) of rows ``x``: ``diffusion.busy_time_s``."""
    return diffusion.busy_time_s(*_args(x), arch, coef)


def predict_energy(
    coef: diffusion.Coefficients, x: Columns, arch: diffusion.Denoiser
) -> np.ndarray:
    """GPU energy per output (J) of rows ``x``: ``diffusion.gpu_energy_j``."""
    return diffusion.gpu_energy_j(*_args(x), arch, coef)


def predict(coef: diffusion.Coefficients, x: Columns, arch: diffusion.Denoiser) -> Columns:
    """Energy (J) and busy time (s) per output of rows ``x``, by the engine's functions."""
    return {"energy": predict_energy(coef, x, arch), "time": predict_time(coef, x, arch)}


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


def _fit_arrays(
    x: Columns,
    arch: diffusion.Denoiser,
    model_ids: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
    hidden: tuple[float, float],
) -> diffusion.Coefficients:
    """Busy time first (every coefficient but the power fractions), then energy."""
    w = fitting.model_weights(model_ids)
    theta_t = _robust_fit(
        lambda t: np.log(predict_time(coefficients_of(t, start[1], hidden), x, arch)),
        np.log(x["busy_s"]),
        w,
        start[0],
    )
    theta_e = _robust_fit(
        lambda t: np.log(predict_energy(coefficients_of(theta_t, t, hidden), x, arch)),
        np.log(x["energy_j"]),
        w,
        start[1],
    )
    return coefficients_of(theta_t, theta_e, hidden)


def _rounded(coef: diffusion.Coefficients) -> diffusion.Coefficients:
    return diffusion.Coefficients(
        **{k: fitting.rounded(v, SIGNIFICANT_DIGITS) for k, v in asdict(coef).items()}
    )


def fit(
    rows: list[dict[str, str]] | None = None, specs: dict[str, dict[str, float]] | None = None
) -> diffusion.Coefficients:
    """Fit every coefficient on ``rows`` (default: the shipped CSV), rounded to 4 significant
    digits as they are written to the JSON file."""
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    x = columns(rows, specs)
    ids = np.array([r["model_id"] for r in rows])
    return _rounded(
        _fit_arrays(x, denoisers(ids), ids, (TIME_START, ENERGY_START), hidden_size_rule())
    )


# ----------------------------------------------------------------------------- reporting ----
def _theta(coef: diffusion.Coefficients) -> tuple[np.ndarray, np.ndarray]:
    c = coef
    time = np.array(
        [
            np.log(c.work_s),
            c.work_exponent,
            c.flops_exponent,
            np.log(c.unet_work_factor),
            c.unet_params_exponent,
            np.log(c.unet_video_factor),
            np.log(c.attention_weight),
            np.log(c.overhead_s),
            c.overhead_params_exponent,
            np.log(c.parallel_share),
            np.log(c.sync_s),
            c.sync_exponent,
        ]
    )
    return time, np.log([c.busy_power_fraction, c.wait_power_fraction])


def _stats(pred: np.ndarray, meas: np.ndarray) -> list[float]:
    return [round(v, 4) for v in fitting.median_p90(fitting.multiplicative_error(pred, meas))]


def lomo_errors(
    rows: list[dict[str, str]] | None = None,
    specs: dict[str, dict[str, float]] | None = None,
    coef: diffusion.Coefficients | None = None,
) -> dict:
    """In-sample and leave-one-model-out errors (multiplicative: exp|ln(pred/meas)|).

    Every model_id is left out in turn, both stages are refitted on the other models (starting
    from the full fit) and its rows are predicted. Returns, for ``energy`` and ``time``,
    ``{"image"|"video"|"multi_gpu": {"insample", "lomo"}}`` as [median, p90] (``multi_gpu``:
    the rows on 2 to 8 GPUs, images and videos); per-row ``lomo_pred_energy`` /
    ``lomo_pred_time``; ``models`` (per model_id: rows, video, median in-sample and LOMO error
    and the median LOMO ratio pred/meas of energy and time).
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    coef = fit(rows, specs) if coef is None else coef
    x = columns(rows, specs)
    ids = np.array([r["model_id"] for r in rows])
    arch = denoisers(ids)
    hidden = hidden_size_rule()
    start = _theta(coef)
    kinds = ("energy", "time")
    targets = {"energy": x["energy_j"], "time": x["busy_s"]}
    insample = predict(coef, x, arch)
    lomo = {k: np.empty(len(rows)) for k in kinds}
    for m in np.unique(ids):
        test = ids == m
        xtr = {key: v[~test] for key, v in x.items()}
        xte = {key: v[test] for key, v in x.items()}
        fitted = _fit_arrays(xtr, denoisers(ids[~test]), ids[~test], start, hidden)
        pred = predict(fitted, xte, denoisers(ids[test]))
        for k in kinds:
            lomo[k][test] = pred[k]
    video = x["video"] > 0
    multi = x["gpus"] > 1
    out: dict = {"rows": len(rows)}
    for k in kinds:
        out[k] = {
            label: {
                "insample": _stats(insample[k][sel], targets[k][sel]),
                "lomo": _stats(lomo[k][sel], targets[k][sel]),
            }
            for label, sel in (("image", ~video), ("video", video), ("multi_gpu", multi))
        }
    out["models"] = {
        m: {
            "rows": int((ids == m).sum()),
            "video": bool(video[ids == m][0]),
            **{
                f"{k}_{kind}": round(
                    float(
                        np.median(
                            fitting.multiplicative_error(pred[k][ids == m], targets[k][ids == m])
                        )
                    ),
                    4,
                )
                for k in kinds
                for kind, pred in (("insample", insample), ("lomo", lomo))
            },
            **{
                f"{k}_lomo_ratio": round(
                    float(np.exp(np.median(np.log(lomo[k][ids == m] / targets[k][ids == m])))), 4
                )
                for k in kinds
            },
        }
        for m in np.unique(ids)
    }
    out["lomo_pred_energy"] = lomo["energy"]
    out["lomo_pred_time"] = lomo["time"]
    return out


def document(coef: diffusion.Coefficients, errors: dict) -> dict:
    """The JSON document the engine loads: coefficients, errors, data hash, script version."""
    return {
        "script": "ai_impact.calibration.fit_diffusion",
        "script_version": SCRIPT_VERSION,
        "data": DATA_CSV.name,
        "data_sha256": data_sha256(),
        "rows": errors["rows"],
        "coefficients": asdict(coef),
        "errors": {k: errors[k] for k in ("energy", "time")},
        "models": errors["models"],
    }


def write(doc: dict, path: Path = COEFFICIENTS_JSON) -> None:
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def main() -> int:
    """Fit, write ``diffusion_coefficients.json`` and print the coefficients and errors."""
    coef = fit()
    errors = lomo_errors(coef=coef)
    write(document(coef, errors))
    print(f"GPU specs: {PROJECT_GPUS_CSV}\nWrote {COEFFICIENTS_JSON}")
    for key, value in asdict(coef).items():
        print(f"  {key} = {value!r}")
    print(f"\nErrors on {errors['rows']} rows, exp|ln(pred/meas)|, median / p90:")
    for k in ("energy", "time"):
        for label, e in errors[k].items():
            cells = "   ".join(f"{kind} {v[0]:.3f} / {v[1]:.3f}" for kind, v in e.items())
            print(f"  {k:6s} {label:9s}  {cells}")
    print("\nBy model: rows | energy in-sample, LOMO, LOMO pred/meas | time in-sample, LOMO, ratio")
    for m, t in sorted(errors["models"].items(), key=lambda kv: (kv[1]["video"], kv[0])):
        print(
            f"  {m[:48]:48s} {t['rows']:3d} | {t['energy_insample']:.2f} {t['energy_lomo']:.2f}"
            f" {t['energy_lomo_ratio']:.2f} | {t['time_insample']:.2f} {t['time_lomo']:.2f}"
            f" {t['time_lomo_ratio']:.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
