"""GPU energy and busy time of image and video generation (diffusion; GPU-only boundary, one GPU).

Calibrated on the ML.ENERGY benchmark: Chung et al., "The ML.ENERGY Benchmark: Toward Automated
Inference Energy Measurement and Optimization", NeurIPS Datasets & Benchmarks 2025,
arXiv:2505.06371. Data: v2 (Diffusers 0.29.2; A100-SXM4-40GB, H100) from
github.com/ml-energy/benchmark @ d0311acf, v3 (H100, B200) from github.com/ml-energy/leaderboard
@ 0cd52dab ``public/data``. The 191 one-GPU configurations (21 models: text-to-image,
text-to-video, image-to-video) are shipped in ``ai_impact/calibration/mlenergy_diffusion.csv``
(source URL on every row); ``python -m ai_impact.calibration.fit_diffusion`` re-derives every
fitted constant below (rounded to 4 significant digits) and prints the errors.
docs/calibration.md ("Image and video generation") gives the derivation, the denoiser-size
table, the errors, the extrapolation and the limits.

Form (per generated output: one image, or one video of ``frames`` frames)::

    X = W * H * F / 1e6                                   megapixel-frames
    T = S *       [ c * k_v' * P^gamma * X * f_attn * (FLOPS/989)^-mu  +  d * P^delta / B ]  s
    E = min( S * TDP * [ a * k_v * P^alpha * X * f_attn * (FLOPS/989)^-eta
                         + b * P^beta / B ],  TDP * T )                                       J

* the first term is the denoising work: linear in pixels x frames inside the measured range,
  growing with the denoiser size P (billions; text encoders and VAE excluded), a factor
  ``k_v`` for videos (F > 1: temporal layers, attention across frames) and, across GPUs, with
  TDP and a sub-linear power of the dense BF16 peak (newer GPUs do not reach their datasheet
  speed-up on these workloads);
* the second is a per-step overhead of the batch (launches, scheduler, CPU-side pipeline
  work), shared by its B outputs;
* a GPU cannot average more than its TDP over the time it is busy (the cap);
* ``f_attn`` extrapolates beyond the measured range (largest frame 1024 x 1024 px, longest
  video 129 frames): attention cost grows with the square of the token count there
  (``attention_factor``).

All functions are pure numpy, vectorised over 1-D float64 arrays of equal length, without I/O;
for finite positive inputs they return finite, non-negative values, non-decreasing in pixels,
frames and steps and non-increasing in batch size.
"""

from __future__ import annotations

import numpy as np

# --- constants printed by `python -m ai_impact.calibration.fit_diffusion` --------------------
WORK_J_PER_W = 0.02854  # a: J per W of TDP, per P^alpha, megapixel-frame and step (H100 FLOPS)
PARAMS_EXPONENT = 0.7621  # alpha
FLOPS_EXPONENT = 0.5593  # eta
VIDEO_WORK_FACTOR = 1.37  # k_v: work per megapixel-frame of a video (F > 1) / of an image
OVERHEAD_J_PER_W = 0.007625  # b: J per W of TDP, per P^beta and step, shared by the batch
OVERHEAD_PARAMS_EXPONENT = 0.4127  # beta
WORK_S = 0.02781  # c: s per P^gamma, megapixel-frame and step (H100 FLOPS)
TIME_PARAMS_EXPONENT = 0.7662  # gamma
TIME_FLOPS_EXPONENT = 0.5143  # mu
TIME_VIDEO_WORK_FACTOR = 1.531  # k_v': as k_v, for the busy time
OVERHEAD_S = 0.02614  # d: s per P^delta and step, shared by the batch
TIME_OVERHEAD_PARAMS_EXPONENT = 0.4307  # delta

# --- fixed --------------------------------------------------------------------------------
REFERENCE_BF16_TFLOPS = 989.0  # H100 SXM dense BF16, the GPU the work coefficients refer to
MEASURED_MAX_FRAME_MEGAPIXELS = 1024 * 1024 / 1e6  # largest frame in the data (v2 and v3)
MEASURED_MAX_FRAMES = 129.0  # longest video in the data (HunyuanVideo, v3)
ATTENTION_SHARE_AT_EDGE = 0.5  # assumed share of attention in the work at the measured edge


def megapixel_frames(width_px: np.ndarray, height_px: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Pixels of one output over all its frames, in millions: ``W * H * F / 1e6``."""
    return width_px * height_px * frames / 1e6


def attention_factor(width_px: np.ndarray, height_px: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Extra work factor beyond the measured range (1 inside it), dimensionless.

    Inside the measured range the work is linear in pixels x frames (the data cannot separate
    attention from the rest). Past it, the token sequence an attention layer sees is longer than
    any measured one by ``r``; attention work per token grows as r while the rest stays
    constant, so with an attention share ``s`` of the work at the edge::

        r = max(1, W*H / (1e6 * MP_max)) * max(1, F / F_max)
        f_attn = 1 + s * (r - 1)

    ``MP_max`` = 1.049 (1024 x 1024 px), ``F_max`` = 129 frames, ``s`` =
    ``ATTENTION_SHARE_AT_EDGE`` = 0.5 (assumed; FLOP counts put it near 0.2 for 1-MP image
    transformers and at 0.5-0.9 for 480p-720p video transformers). Work, hence energy, then
    grows quadratically in pixels x frames, as measured in text-to-video sweeps (Delavande et
    al. 2025, arXiv:2509.19222). Continuous and non-decreasing in every argument.

    Parameters
    ----------
    width_px, height_px : frame size, pixels.
    frames : frames per output (1 for an image).

    Returns
    -------
    f_attn >= 1.
    """
    spatial = np.maximum(1.0, width_px * height_px / 1e6 / MEASURED_MAX_FRAME_MEGAPIXELS)
    temporal = np.maximum(1.0, frames / MEASURED_MAX_FRAMES)
    return 1.0 + ATTENTION_SHARE_AT_EDGE * (spatial * temporal - 1.0)


def _work_units(
    params_billions: np.ndarray,
    width_px: np.ndarray,
    height_px: np.ndarray,
    frames: np.ndarray,
    params_exponent: float,
    video_factor: float,
) -> np.ndarray:
    """k_v^[F>1] * P^exponent * X * f_attn: the size of one denoising step of one output."""
    return (
        np.where(frames > 1.0, video_factor, 1.0)
        * params_billions**params_exponent
        * megapixel_frames(width_px, height_px, frames)
        * attention_factor(width_px, height_px, frames)
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
) -> np.ndarray:
    """GPU energy of one generated output (J): one image, or one video of ``frames`` frames.

    One GPU, GPU-only boundary (what ML.ENERGY measures with NVML), the output's share of a
    batch of ``batch_size`` outputs generated together::

        E = S * TDP * [ a * k_v * P^alpha * X * f_attn * (FLOPS/989)^-eta  +  b * P^beta / B ]
        X = W * H * F / 1e6,      k_v = VIDEO_WORK_FACTOR if F > 1 else 1

    ``a, alpha, eta, b, beta`` are WORK_J_PER_W, PARAMS_EXPONENT, FLOPS_EXPONENT,
    OVERHEAD_J_PER_W, OVERHEAD_PARAMS_EXPONENT; ``f_attn`` is :func:`attention_factor` (1 inside
    the measured range). ``E`` is capped at ``TDP * busy_time_s(...)``: a GPU cannot average
    more than its TDP. On the measured rows it binds only for 14 large-batch images on A100 and
    H100 (by <= 6 %); it matters for accelerators with a low dense BF16 peak (T4, P100, K80
    class), where the energy and time extrapolations would otherwise disagree. On the measured
    GPUs (H100, B200, A100-40GB) this is a fit; any other accelerator is extrapolated from its
    TDP and dense BF16 peak (docs/calibration.md).

    Parameters
    ----------
    params_billions : denoiser parameters, billions (the network run at every step; text
        encoders and VAE excluded: SDXL 2.6, FLUX.1 12, Wan2.1 14).
    width_px, height_px : size of the image or of each video frame, pixels.
    frames : frames of the output (1 for an image).
    steps : denoising steps (sampler function evaluations).
    batch_size : outputs generated together on the GPU (>= 1).
    gpu_tdp_w : thermal design power of the GPU, W.
    gpu_bf16_tflops : dense BF16 tensor throughput of the GPU, TFLOP/s.
    gpu_memory_bandwidth_tbps : memory bandwidth, TB/s (common signature; not used: with three
        measured GPUs a bandwidth term is not identifiable, and diffusion is compute-bound).

    Returns
    -------
    J per output (GPU-only, one GPU).

    References
    ----------
    Chung et al. 2025, arXiv:2505.06371 (ML.ENERGY v2 @d0311acf, v3 @0cd52dab);
    ``ai_impact.calibration.fit_diffusion``; docs/calibration.md.
    """
    work = (
        WORK_J_PER_W
        * _work_units(
            params_billions, width_px, height_px, frames, PARAMS_EXPONENT, VIDEO_WORK_FACTOR
        )
        * (gpu_bf16_tflops / REFERENCE_BF16_TFLOPS) ** -FLOPS_EXPONENT
    )
    overhead = OVERHEAD_J_PER_W * params_billions**OVERHEAD_PARAMS_EXPONENT / batch_size
    busy_s = busy_time_s(
        params_billions,
        width_px,
        height_px,
        frames,
        steps,
        batch_size,
        gpu_tdp_w,
        gpu_bf16_tflops,
        gpu_memory_bandwidth_tbps,
    )
    return np.minimum(steps * gpu_tdp_w * (work + overhead), gpu_tdp_w * busy_s)


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
) -> np.ndarray:
    """Time the output occupies the GPU (s): its share of the batch's latency.

    ML.ENERGY's batch latency divided by the batch size; multiply by ``batch_size`` for the
    latency of the batch::

        T = S * [ c * k_v' * P^gamma * X * f_attn * (FLOPS/989)^-mu  +  d * P^delta / B ]

    ``c, k_v', gamma, mu, d, delta`` are WORK_S, TIME_VIDEO_WORK_FACTOR, TIME_PARAMS_EXPONENT,
    TIME_FLOPS_EXPONENT, OVERHEAD_S, TIME_OVERHEAD_PARAMS_EXPONENT. The overhead does not depend
    on the GPU (CPU-bound); the work time scales with the dense BF16 peak only.

    Parameters
    ----------
    params_billions, width_px, height_px, frames, steps, batch_size, gpu_tdp_w,
    gpu_bf16_tflops, gpu_memory_bandwidth_tbps : as in :func:`gpu_energy_j` (``gpu_tdp_w`` and
        ``gpu_memory_bandwidth_tbps`` are not used).

    Returns
    -------
    Seconds per output.

    References
    ----------
    Fitted on ML.ENERGY ``batch_latency_s / batch_size``; ``ai_impact.calibration.fit_diffusion``;
    docs/calibration.md.
    """
    del gpu_tdp_w, gpu_memory_bandwidth_tbps
    work = (
        WORK_S
        * _work_units(
            params_billions,
            width_px,
            height_px,
            frames,
            TIME_PARAMS_EXPONENT,
            TIME_VIDEO_WORK_FACTOR,
        )
        * (gpu_bf16_tflops / REFERENCE_BF16_TFLOPS) ** -TIME_FLOPS_EXPONENT
    )
    overhead = OVERHEAD_S * params_billions**TIME_OVERHEAD_PARAMS_EXPONENT / batch_size
    return steps * (work + overhead)
