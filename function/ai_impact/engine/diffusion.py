"""GPU energy and busy time of image and video generation by diffusion (GPU-only boundary).

Calibrated on the ML.ENERGY benchmark: Chung et al., "The ML.ENERGY Benchmark: Toward Automated
Inference Energy Measurement and Optimization", NeurIPS Datasets & Benchmarks 2025,
arXiv:2505.06371. Data: v2 (Diffusers 0.29.2; A100-SXM4-40GB, H100) from
github.com/ml-energy/benchmark @ d0311acf, v3 (H100, B200; 1, 2, 4 and 8 GPUs per replica with
xDiT sequence/CFG parallelism) from github.com/ml-energy/leaderboard @ 0cd52dab ``public/data``:
825 configurations of 21 models, shipped in ``ai_impact/calibration/mlenergy_diffusion.csv``
(source URL on every row). ``python -m ai_impact.calibration.fit_diffusion`` fits every
coefficient with the functions of this module and writes them, with the fit errors and a hash
of the data, to ``ai_impact/calibration/diffusion_coefficients.json``, which this module loads.
docs/calibration.md ("Image and video generation") gives the derivation and the errors.

Physics (per generated output: one image, or one video of F frames; S denoising steps; a
replica of n GPUs generating B outputs together)::

    N    = W*H / p  *  F_lat                 latent tokens (p pixels per token, F_lat latent frames)
    G    = g * [ k * 2 * P * N  +  A * N^2 * P / (3 d) ] / 1e12       TFLOP per output and step
    w    = c * G^eps * (FLOPS/989)^-mu       s of work per output and step on one GPU
    T    = S * [ w * (1/n + kappa * (1 - 1/n))  +  (o * P^delta + s * (n-1)^omega) / B ]
           + w_vae                                                    busy time per output, s
    E    = TDP * [ u_b * (S * w * (1 + kappa * (n-1)) + w_vae)
                   + u_w * (n * S * (o * P^delta + s * (n-1)^omega) / B + (n-1) * w_vae) ]  J

* ``G`` is the compute of one denoiser evaluation: g passes per step (2 with classifier-free
  guidance, 1 for guidance-distilled models), the dense layers (2 FLOP per parameter and token;
  k = 1 for a transformer, the fitted UNet factor for a UNet, whose parameters mostly act on
  downsampled feature maps) and the full self-attention (4 N^2 d FLOP per layer, L d = P / 12 d;
  none for linear attention). The work time grows as ``G^eps`` (small evaluations run below the
  GPU's peak) and with a sub-linear power of the dense BF16 peak.
* across n GPUs (sequence or CFG parallel) the work is split, a share ``kappa`` of it becomes
  communication on every GPU, and every step pays a synchronisation ``s (n-1)^omega`` on top of
  the per-step overhead ``o P^delta`` (launches, scheduler, CPU-side pipeline), both shared by
  the batch;
* energy: GPUs draw ``u_b`` TDP while computing or communicating and ``u_w`` TDP while waiting
  (overhead, synchronisation); a GPU therefore never averages more than its TDP;
* the VAE decode of the output (``w_vae``) runs once per output at the output resolution, on one
  GPU while the others wait; text encoders run once per output and are negligible (CLIP 13 GFLOP,
  T5-XXL ~5 TFLOP against ~5,000 TFLOP for 50 FLUX steps) and are not modelled.

All functions are pure numpy, vectorised over 1-D float64 arrays of equal length, without I/O
(the coefficients are read once, at import, from package data); for finite positive inputs they
return finite, non-negative values, non-decreasing in pixels, frames and steps and
non-increasing in batch size.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from importlib import resources

import numpy as np

REFERENCE_BF16_TFLOPS = 989.0  # H100 SXM dense BF16, the GPU the work coefficient refers to

# VAE decoder of Stable Diffusion v1: 1,240.1 GMACs for one 512 x 512 image (BK-SDM,
# github.com/Nota-NetsPresso/BK-SDM issue #53, src/count_macs_params.py): 2 FLOP per MAC over
# 0.262 megapixels. The other latent VAEs (SDXL, SD3, FLUX, Wan, HunyuanVideo) are of the same
# convolutional design; their cost per output pixel is taken equal (estimate).
VAE_DECODE_TFLOP_PER_MEGAPIXEL = 2.0 * 1240.1e9 / (512 * 512) * 1e6 / 1e12

GENERATION_METHODS = ("diffusion-transformer", "diffusion-unet", "autoregressive")


@dataclass(frozen=True)
class Coefficients:
    """Fitted constants of the diffusion model (names as in the module docstring)."""

    work_s: float  # c: s per TFLOP^eps of work, at the H100's dense BF16 peak
    work_exponent: float  # eps
    flops_exponent: float  # mu
    unet_work_factor: float  # k_u: a UNet's work per 2 P N, at P = 1 billion
    unet_params_exponent: float  # beta_u: UNet work grows as P^beta_u (not P) at a given N
    unet_video_factor: float  # k_f: work of a video UNet per frame token / an image UNet's
    attention_weight: float  # A: attention FLOPs counted at this weight against dense FLOPs
    overhead_s: float  # o: s per step and batch, per P^delta
    overhead_params_exponent: float  # delta
    parallel_share: float  # kappa
    sync_s: float  # s: s per step and batch at n = 2
    sync_exponent: float  # omega
    busy_power_fraction: float  # u_b
    wait_power_fraction: float  # u_w
    # Hidden size of a transformer whose ``hidden_size`` is not given: d = coef * P^exponent (P
    # in billions), a least-squares line in log space through the published configs of the
    # transformer denoisers of the calibration data (fit_diffusion.ARCHITECTURES).
    hidden_size_coef: float
    hidden_size_exponent: float


@dataclass(frozen=True)
class Denoiser:
    """What the architecture of each row's model changes (1-D arrays, one value per row).

    ``unet`` 1 for a UNet, 0 for a transformer; ``pixels_per_token`` output pixels per latent
    token of one frame (VAE factor x patch size, squared: 8 x 2 -> 256); ``frames_per_latent``
    frames per latent frame (4 for the causal video VAEs, 1 when every frame has its latent);
    ``guidance_passes`` denoiser evaluations per step; ``hidden_size`` d (NaN: from P);
    ``attention_layers`` L, attention evaluations over the whole sequence per pass (NaN:
    P / 12 d^2, the count of a plain transformer; a dual-stream MMDiT block holds twice the
    parameters of its one attention); ``linear_attention`` 1 when attention is linear in the
    tokens (SANA).
    """

    unet: np.ndarray
    pixels_per_token: np.ndarray
    frames_per_latent: np.ndarray
    guidance_passes: np.ndarray
    hidden_size: np.ndarray
    attention_layers: np.ndarray
    linear_attention: np.ndarray
    # 1 for a token-based (autoregressive) image generator: not a denoiser; its images are
    # decoded as image tokens by the text physics (engine.image_tokens, engine.work).
    autoregressive: np.ndarray

    def take(self, index: np.ndarray) -> Denoiser:
        """The rows ``index`` (numpy fancy indexing of every column)."""
        return Denoiser(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


# Defaults of each method (docs/methodology.md): a latent DiT with an 8x VAE and 2x2 patches,
# a causal video VAE with 4x temporal compression, classifier-free guidance and full attention
# (PixArt, SD3, Wan, CogVideoX, HunyuanDiT); a latent UNet with per-frame latents (SD 1.x-XL,
# SVD, AnimateDiff). Keys of a spec override them.
_DEFAULTS = {
    "diffusion-transformer": {
        "unet": 0.0,
        "pixels_per_token": 256.0,
        "frames_per_latent": 4.0,
        "guidance_passes": 2.0,
        "hidden_size": np.nan,
        "attention_layers": np.nan,
        "linear_attention": 0.0,
    },
    "diffusion-unet": {
        "unet": 1.0,
        "pixels_per_token": 256.0,
        "frames_per_latent": 1.0,
        "guidance_passes": 2.0,
        "hidden_size": np.nan,
        "attention_layers": np.nan,
        "linear_attention": 0.0,
    },
}


def parse_method(spec: str) -> dict[str, float | str]:
    """A catalog ``generation_method`` string -> method name and denoiser settings.

    ``"diffusion-transformer;guidance_passes=1;hidden_size=3072"``: the method, then
    ``key=value`` overrides of its defaults (keys: the fields of :class:`Denoiser`). Empty means
    ``diffusion-transformer``. Raises ValueError naming the bad part.
    """
    head, *options = [part.strip() for part in (spec or "diffusion-transformer").split(";")]
    if head not in GENERATION_METHODS:
        raise ValueError(f"generation_method {head!r}: expected one of {GENERATION_METHODS}")
    out: dict[str, float | str] = {"method": head}
    if head == "autoregressive":
        if options:
            raise ValueError(f"generation_method {spec!r}: autoregressive takes no options")
        return out
    out.update(_DEFAULTS[head])
    for option in options:
        key, _, value = option.partition("=")
        if key not in _DEFAULTS[head] or key == "unet":  # the method says UNet or not
            raise ValueError(f"generation_method {spec!r}: unknown option {key!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"generation_method {spec!r}: {key} is not a number") from None
        if not number > 0 and not (key in ("unet", "linear_attention") and number == 0):
            raise ValueError(f"generation_method {spec!r}: {key} must be positive")
        out[key] = number
    return out


def denoiser_columns(specs: Sequence[str]) -> Denoiser:
    """One :class:`Denoiser` row per catalog ``generation_method`` string (autoregressive rows
    get the transformer defaults and ``autoregressive`` = 1)."""
    parsed = [parse_method(s) for s in specs]
    default = {**_DEFAULTS["diffusion-transformer"], "autoregressive": 0.0}
    for p in parsed:
        p["autoregressive"] = float(p["method"] == "autoregressive")
    return Denoiser(
        **{
            f.name: np.array([float(p.get(f.name, default[f.name])) for p in parsed])
            for f in fields(Denoiser)
        }
    )


def default_denoiser(n: int) -> Denoiser:
    """``n`` rows of the default architecture (a latent diffusion transformer)."""
    one = denoiser_columns(["diffusion-transformer"])
    return one.take(np.zeros(n, dtype=np.int64))


def load_coefficients(payload: dict | None = None) -> Coefficients:
    """The fitted coefficients (default: ``calibration/diffusion_coefficients.json``)."""
    if payload is None:
        text = (
            resources.files("ai_impact.calibration")
            .joinpath("diffusion_coefficients.json")
            .read_text(encoding="utf-8")
        )
        payload = json.loads(text)
    return Coefficients(**payload["coefficients"])


COEFFICIENTS = load_coefficients()


def latent_tokens(
    width_px: np.ndarray, height_px: np.ndarray, frames: np.ndarray, denoiser: Denoiser
) -> np.ndarray:
    """Tokens the denoiser sees for one output: ``W*H/p * F_lat``.

    ``F_lat = 1 + (F - 1) / r`` latent frames for a causal video VAE compressing ``r`` frames
    into one (the first frame alone), ``F`` when ``r`` = 1; 1 for an image.
    """
    r = denoiser.frames_per_latent
    latent_frames = np.where(r > 1.0, 1.0 + np.maximum(frames - 1.0, 0.0) / r, frames)
    return width_px * height_px / denoiser.pixels_per_token * latent_frames


def step_tflop(
    params_billions: np.ndarray,
    tokens: np.ndarray,
    frames: np.ndarray,
    denoiser: Denoiser,
    coefficients: Coefficients = COEFFICIENTS,
) -> np.ndarray:
    """Compute of one denoising step of one output, TFLOP (attention at its fitted weight).

    Transformer: ``g * [2 P N + A * 4 N^2 d L] / 1e12`` with P in parameters: 2 FLOP per
    parameter and token in the dense layers (Kaplan et al. 2020, arXiv:2001.08361), 4 N^2 d per
    attention layer (QK^T and AV; none for linear attention). UNet: ``g * k_u * 2 P^beta_u N``
    (P in billions inside the power, x 1e9), its attention included in the fitted factor, times
    ``k_f`` for a video (F > 1: temporal convolutions and attention across frames).
    """
    c = coefficients
    p = params_billions * 1e9
    d = np.where(
        np.isfinite(denoiser.hidden_size),
        denoiser.hidden_size,
        c.hidden_size_coef * params_billions**c.hidden_size_exponent,
    )
    layers = np.where(
        np.isfinite(denoiser.attention_layers), denoiser.attention_layers, p / (12.0 * d * d)
    )
    attention = np.where(denoiser.linear_attention > 0, 0.0, 4.0 * tokens * tokens * d * layers)
    transformer = 2.0 * p * tokens + c.attention_weight * attention
    unet = c.unet_work_factor * 2.0 * 1e9 * params_billions**c.unet_params_exponent * tokens
    unet = np.where(frames > 1.0, c.unet_video_factor * unet, unet)
    return denoiser.guidance_passes * np.where(denoiser.unet > 0, unet, transformer) / 1e12


def work_time_s(
    tflop: np.ndarray, gpu_bf16_tflops: np.ndarray, coefficients: Coefficients = COEFFICIENTS
) -> np.ndarray:
    """Time of ``tflop`` of diffusion work on one GPU, s: ``c * G^eps * (FLOPS/989)^-mu``."""
    c = coefficients
    return (
        c.work_s
        * tflop**c.work_exponent
        * (gpu_bf16_tflops / REFERENCE_BF16_TFLOPS) ** -c.flops_exponent
    )


@dataclass(frozen=True)
class _Parts:
    steps_work_s: np.ndarray  # S * w: single-GPU work of all steps, per output
    vae_s: np.ndarray  # w_vae
    per_step_wait_s: np.ndarray  # (o P^delta + s (n-1)^omega) / B
    gpus: np.ndarray


def _parts(
    params_billions: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    frames: np.ndarray,
    steps: np.ndarray,
    batch_size: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_count: np.ndarray | None,
    denoiser: Denoiser | None,
    coefficients: Coefficients,
) -> _Parts:
    c = coefficients
    n = np.ones_like(params_billions) if gpu_count is None else np.maximum(gpu_count, 1.0)
    arch = default_denoiser(params_billions.size) if denoiser is None else denoiser
    tokens = latent_tokens(width_px, height_px, frames, arch)
    w = work_time_s(step_tflop(params_billions, tokens, frames, arch, c), gpu_bf16_tflops, c)
    vae_tflop = VAE_DECODE_TFLOP_PER_MEGAPIXEL * width_px * height_px * frames / 1e6
    vae = np.where(steps > 0, work_time_s(vae_tflop, gpu_bf16_tflops, c), 0.0)
    wait = (
        c.overhead_s * params_billions**c.overhead_params_exponent
        + c.sync_s * (n - 1.0) ** c.sync_exponent
    ) / batch_size
    return _Parts(steps * w, vae, wait, n)


def busy_time_s(
    params_billions: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    frames: np.ndarray,
    steps: np.ndarray,
    batch_size: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    gpu_count: np.ndarray | None = None,
    denoiser: Denoiser | None = None,
    coefficients: Coefficients = COEFFICIENTS,
) -> np.ndarray:
    """Time the output occupies its replica (s): its share of the batch's latency.

    ML.ENERGY's batch latency divided by the batch size (multiply by ``batch_size`` for the
    latency of the batch)::

        T = S * [ w * (1/n + kappa (1 - 1/n)) + (o P^delta + s (n-1)^omega) / B ] + w_vae

    Parameters are those of :func:`gpu_energy_j` (``gpu_tdp_w`` and
    ``gpu_memory_bandwidth_tbps`` are not used: diffusion is compute-bound).

    References
    ----------
    Fitted on ML.ENERGY ``batch_latency_s / batch_size``; ``ai_impact.calibration.fit_diffusion``;
    docs/calibration.md.
    """
    del gpu_tdp_w, gpu_memory_bandwidth_tbps
    part = _parts(
        params_billions,
        width_px,
        height_px,
        frames,
        steps,
        batch_size,
        gpu_bf16_tflops,
        gpu_count,
        denoiser,
        coefficients,
    )
    n, kappa = part.gpus, coefficients.parallel_share
    return (
        part.steps_work_s * (1.0 / n + kappa * (1.0 - 1.0 / n))
        + steps * part.per_step_wait_s
        + part.vae_s
    )


def gpu_energy_j(
    params_billions: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    frames: np.ndarray,
    steps: np.ndarray,
    batch_size: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    gpu_count: np.ndarray | None = None,
    denoiser: Denoiser | None = None,
    coefficients: Coefficients = COEFFICIENTS,
) -> np.ndarray:
    """GPU energy of one generated output (J), summed over the ``gpu_count`` GPUs of the replica.

    GPU-only boundary (what ML.ENERGY measures with NVML), the output's share of a batch of
    ``batch_size`` outputs generated together::

        E = TDP * [ u_b * (S w (1 + kappa (n-1)) + w_vae)
                    + u_w * (n S (o P^delta + s (n-1)^omega) / B + (n-1) w_vae) ]

    (module docstring). On the measured GPUs (A100-40GB, H100, B200) this is a fit; any other
    accelerator is extrapolated from its TDP and dense BF16 peak (docs/calibration.md).

    Parameters
    ----------
    params_billions : denoiser parameters, billions (the network run at every step; text
        encoders and VAE excluded: SDXL 2.6, FLUX.1 12, Wan2.1 14).
    width_px, height_px : size of the image or of each video frame, pixels.
    frames : frames of the output (1 for an image).
    steps : denoising steps (sampler steps; the guidance passes are in ``denoiser``).
    batch_size : outputs generated together on the replica (>= 1).
    gpu_tdp_w : thermal design power of one GPU, W.
    gpu_bf16_tflops : dense BF16 tensor throughput of one GPU, TFLOP/s.
    gpu_memory_bandwidth_tbps : memory bandwidth, TB/s (common signature; not used).
    gpu_count : GPUs of the replica (default 1).
    denoiser : architecture of each row's model (default: a latent diffusion transformer).
    coefficients : fitted constants (default: the committed fit).

    Returns
    -------
    J per output (GPU-only, all GPUs of the replica).

    References
    ----------
    Chung et al. 2025, arXiv:2505.06371 (ML.ENERGY v2 @d0311acf, v3 @0cd52dab);
    ``ai_impact.calibration.fit_diffusion``; docs/calibration.md.
    """
    del gpu_memory_bandwidth_tbps
    c = coefficients
    part = _parts(
        params_billions,
        width_px,
        height_px,
        frames,
        steps,
        batch_size,
        gpu_bf16_tflops,
        gpu_count,
        denoiser,
        c,
    )
    n = part.gpus
    busy = part.steps_work_s * (1.0 + c.parallel_share * (n - 1.0)) + part.vae_s
    waiting = n * steps * part.per_step_wait_s + (n - 1.0) * part.vae_s
    return gpu_tdp_w * (c.busy_power_fraction * busy + c.wait_power_fraction * waiting)
