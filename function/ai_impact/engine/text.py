"""GPU energy and busy time of a text-generation request (GPU-only boundary, whole replica).

Calibrated on the ML.ENERGY benchmark: Chung et al., "The ML.ENERGY Benchmark: Toward Automated
Inference Energy Measurement and Optimization", NeurIPS Datasets & Benchmarks 2025,
arXiv:2505.06371. Data: v2 (vLLM 0.5.4; A100-SXM4-40GB, H100) from github.com/ml-energy/benchmark
@ d0311acf, v3 (H100, B200) from github.com/ml-energy/leaderboard @ 0cd52dab ``public/data``,
shipped in ``ai_impact/calibration/mlenergy_llm.csv`` (source URL on every row).

The coefficients are not written here: ``python -m ai_impact.calibration.fit_text`` fits them by
calling the functions of this module and writes ``ai_impact/calibration/text_coefficients.json``
(coefficients, fit errors, SHA-256 of the data, script version), which this module reads once at
import as package data (:data:`PHYSICS`). docs/calibration.md gives the derivation, the errors,
the extrapolation to other accelerators and the limits.

The physics of one request (``T_in`` prompt tokens of which ``T_c`` served from a prefix cache,
``T_out`` generated tokens) on a replica of ``n`` GPUs serving ``B`` requests at once:

* **prefill**, compute bound: ``2 * P_active`` FLOPs per uncached prompt token (Kaplan et al.
  2020, arXiv:2001.08361) plus causal attention, ``4 * A * i`` FLOPs for the token at position
  ``i`` (``A`` = layers x attention width; Hoffmann et al. 2022, arXiv:2203.15556 app. F), i.e.
  ``2 * A * (T_in^2 - T_c^2)`` for the uncached part: a 100k-token prompt costs the quadratic
  attention it needs. Cached tokens cost no prefill compute; the attention of the new tokens
  over them stays (vLLM automatic prefix caching / SGLang RadixAttention reuse the KV cache,
  Kwon et al. 2023 arXiv:2309.06180, Zheng et al. 2024 arXiv:2312.07104). FLOPs run at
  ``prefill_mfu`` of the dense peak of the datatype (``speed_*`` x BF16 peak), the GPUs at
  ``prefill_power_fraction`` of TDP.
* **decode**, per output token: every step reads the weights once (MoE: the always-active part
  and the experts touched by B tokens, from the published experts where known,
  :class:`Architecture`) and, per sequence, the KV cache of its context (hybrid state-space
  models: of their attention layers only, plus their fixed recurrent state), at a fitted
  energy per GB read
  (H100 and B200 give the same value: the fit prefers it to a ``TDP/BW`` scaling); every token
  costs its ``2 * P_active`` FLOPs at a fitted energy per FLOP (``TDP/FLOPS`` scaling); a fixed
  per-step overhead and a per-sequence overhead at TDP grow with the GPU count
  (``n ** gpu_count_exponent``, tensor/expert-parallel synchronisation). The step is shared by
  the B requests.
* **datatypes**: the bytes moved per weight of 8- and 4-bit formats and their prefill compute
  speed relative to BF16 are fitted on the fp8 and mxfp4 configurations per GPU generation
  (H100; B200 for :data:`BLACKWELL_GENERATIONS`) and, for FP8, per scaling (per channel, or
  per block: datatype ``fp8_block``), :func:`for_generation`.

All functions are pure numpy, vectorised over 1-D float64 arrays of equal length; they return
finite, non-negative values for finite non-negative inputs, non-decreasing in input and output
tokens, and 0 for a request of 0 tokens.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from importlib import resources

import numpy as np

from ai_impact.engine.keys import row_chunks

Scalar = float | np.ndarray

COEFFICIENTS_FILE = "text_coefficients.json"


@dataclass(frozen=True)
class TextPhysics:
    """Fitted coefficients of the text model. Scalars in the engine; the calibration passes
    per-row arrays for the terms that differ between serving stacks."""

    j_per_gb: Scalar  # e_B: J per GB read from GPU memory in decode (weights and KV cache)
    step_overhead_ms: Scalar  # a_0: ms at TDP per step and n**nu
    sequence_overhead_ms: Scalar  # a_s: ms at TDP per sequence, step and n**nu
    decode_compute: Scalar  # g: x 2 P_a / (FLOPS s_dtype), ms at TDP per output token
    gpu_count_exponent: Scalar  # nu
    kv_gb_per_ktoken: Scalar  # a_kv: GB of KV cache per 1,000 tokens of context, x P_a**kappa
    kv_exponent: Scalar  # kappa
    moe_routed_fraction: Scalar  # rho: share of the active parameters of an MoE that is routed
    bytes_8bit: Scalar  # bytes moved per fp8/int8 weight, per-channel scales (Hopper, others)
    bytes_4bit: Scalar  # bytes moved per fp4/int4 weight
    speed_8bit: Scalar  # prefill FLOP/s of 8-bit weights relative to BF16
    speed_4bit: Scalar  # prefill FLOP/s of 4-bit weights relative to BF16
    bytes_8bit_block: Scalar  # the 8-bit pair for block-scaled FP8 (128x128-tile scales)
    speed_8bit_block: Scalar
    bytes_8bit_blackwell: Scalar  # the same six on Blackwell GPUs (B200)
    bytes_4bit_blackwell: Scalar
    speed_8bit_blackwell: Scalar
    speed_4bit_blackwell: Scalar
    bytes_8bit_block_blackwell: Scalar
    speed_8bit_block_blackwell: Scalar
    prefill_mfu: Scalar  # model FLOPs utilisation of prompt processing
    prefill_power_fraction: Scalar  # GPU power / TDP while processing prompts
    attention_width_coef: Scalar  # A [millions] = coef * S**exponent, S = sqrt(P_a * P_t)
    attention_width_exponent: Scalar
    time_weight: Scalar  # c_w: x W / (n BW), ms per step
    time_step_overhead_ms: Scalar  # c_0: ms per step x n**mu
    time_gpu_count_exponent: Scalar  # mu
    time_sequence_ms: Scalar  # c_s: ms per sequence and step x (ctx / 1000)**gamma
    time_context_exponent: Scalar  # gamma
    typical_prompt_tokens: Scalar  # prompt assumed when a request does not give input_tokens


def load_physics(text: str | None = None) -> TextPhysics:
    """The fitted coefficients from ``ai_impact/calibration/text_coefficients.json`` (or from
    ``text``, that file's JSON)."""
    if text is None:
        text = (
            resources.files("ai_impact.calibration")
            .joinpath(COEFFICIENTS_FILE)
            .read_text(encoding="utf-8")
        )
    values = json.loads(text)["coefficients"]
    return TextPhysics(**{f.name: float(values[f.name]) for f in fields(TextPhysics)})


PHYSICS = load_physics()
# Used by the encoder and speech methods (engine.work): one compute-bound forward pass.
PREFILL_MFU = float(PHYSICS.prefill_mfu)
PREFILL_POWER_FRACTION = float(PHYSICS.prefill_power_fraction)
TYPICAL_PROMPT_TOKENS = float(PHYSICS.typical_prompt_tokens)

_EIGHT_BIT, _FOUR_BIT = 1.0, 0.5
# GPU generations (data/gpus.csv ``generation``) that take the datatype factors fitted on B200:
# fifth-generation tensor cores with native FP4 and block-scaled FP8/FP4 (NVIDIA Blackwell
# architecture technical brief, 2024). Every other generation takes those fitted on H100.
BLACKWELL_GENERATIONS = ("blackwell",)
# Largest replica measured (Llama 3.1 405B on 16 H100, ML.ENERGY v2): the fitted superlinear
# growth of the per-GPU overheads with the GPU count is not extrapolated beyond it.
MEASURED_MAX_GPUS = 16.0


def gpu_count_factor(gpu_count: np.ndarray, exponent: Scalar) -> np.ndarray:
    """``n^nu`` up to the largest measured replica (16 GPUs), then linear in ``n``: beyond the
    data every further GPU pays the per-GPU overhead of the largest measured one, so 64-256
    chip replicas are not charged an extrapolated ``n^1.2`` synchronisation cost."""
    capped = np.minimum(gpu_count, MEASURED_MAX_GPUS)
    return capped**exponent * np.maximum(gpu_count / MEASURED_MAX_GPUS, 1.0)


def _is(bytes_per_param: np.ndarray, nominal: float) -> np.ndarray:
    return np.abs(bytes_per_param - nominal) < 1e-9


_DATATYPE_FACTORS = (
    "bytes_8bit",
    "bytes_4bit",
    "speed_8bit",
    "speed_4bit",
    "bytes_8bit_block",
    "speed_8bit_block",
)


def for_generation(
    p: TextPhysics, blackwell: np.ndarray | None, block_scaled: np.ndarray | None = None
) -> TextPhysics:
    """``p`` with the datatype factors of each deployment: the ``*_blackwell`` values where
    ``blackwell`` is true (the GPU's generation), those fitted on H100 elsewhere and by
    default; and, where ``block_scaled`` is true (FP8 weights with block-wise scales, datatype
    ``fp8_block``), the ``*_8bit_block`` pair in place of the per-channel 8-bit one."""
    if blackwell is not None:
        p = replace(
            p,
            **{
                name: np.where(blackwell, getattr(p, name + "_blackwell"), getattr(p, name))
                for name in _DATATYPE_FACTORS
            },
        )
    if block_scaled is not None:
        p = replace(
            p,
            bytes_8bit=np.where(block_scaled, p.bytes_8bit_block, p.bytes_8bit),
            speed_8bit=np.where(block_scaled, p.speed_8bit_block, p.speed_8bit),
        )
    return p


@dataclass(frozen=True)
class Architecture:
    """What a model's published architecture changes in decode (arrays, one value per
    deployment; NaN where not published, then the defaults of :class:`TextPhysics`).

    * ``shared_params_billions``: parameters every token uses (attention, embeddings, dense
      layers, shared experts) of a mixture of experts: ``P_t - E * p_e`` (``E`` routed experts
      of ``p_e`` parameters each, model config). NaN: ``(1 - moe_routed_fraction) * P_a``.
    * ``kv_layer_fraction``: share of the layers that attend over a KV cache growing with
      the context (1 for a transformer; hybrid state-space models such as Nemotron-H keep
      attention in a few layers, Mamba-2 in the rest). NaN: 1.
    * ``recurrent_state_gb``: fixed per-sequence state of the state-space layers, read and
      written at every decode step (GB; 0 for a transformer). NaN: 0.
    """

    shared_params_billions: np.ndarray
    kv_layer_fraction: np.ndarray
    recurrent_state_gb: np.ndarray


def _shared_params(
    active_params_billions: np.ndarray, arch: Architecture | None, p: TextPhysics
) -> np.ndarray:
    default = (1.0 - p.moe_routed_fraction) * active_params_billions
    if arch is None:
        return default
    given = arch.shared_params_billions
    return np.where(np.isfinite(given), np.minimum(given, active_params_billions), default)


def _kv_fraction(arch: Architecture | None) -> Scalar:
    return 1.0 if arch is None else np.where(np.isfinite(f := arch.kv_layer_fraction), f, 1.0)


def _state_gb(arch: Architecture | None) -> Scalar:
    return 0.0 if arch is None else np.where(np.isfinite(g := arch.recurrent_state_gb), g, 0.0)


def effective_bytes(bytes_per_param: np.ndarray, p: TextPhysics = PHYSICS) -> np.ndarray:
    """Bytes moved per weight: the datatype's nominal bytes, except 8-bit (``bytes_8bit``) and
    4-bit formats (``bytes_4bit``), whose realised traffic (scales, dequantisation, kernels) is
    fitted per GPU generation and FP8 scaling (per channel or per block) on the fp8 and mxfp4
    rows of ML.ENERGY v3 (:func:`for_generation` picks them)."""
    out = np.where(_is(bytes_per_param, _EIGHT_BIT), p.bytes_8bit, bytes_per_param)
    return np.where(_is(bytes_per_param, _FOUR_BIT), p.bytes_4bit, out)


def compute_speed(bytes_per_param: np.ndarray, p: TextPhysics = PHYSICS) -> np.ndarray:
    """Prefill FLOP/s relative to the dense BF16 peak: ``speed_8bit`` / ``speed_4bit`` for 8-
    and 4-bit weights (fitted per GPU generation; FP8 and FP4 tensor cores reach 2x and 4x the
    BF16 peak at most), 1 otherwise."""
    out = np.where(_is(bytes_per_param, _EIGHT_BIT), p.speed_8bit, 1.0)
    return np.where(_is(bytes_per_param, _FOUR_BIT), p.speed_4bit, out)


def weight_gb_per_step(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    batch_size: np.ndarray,
    p: TextPhysics = PHYSICS,
    arch: Architecture | None = None,
) -> np.ndarray:
    """GB of weights read per decode step.

    ``W = b_eff * [S + (P_t - S) * (1 - (1 - (P_a - S)/(P_t - S))^B)]`` with ``S`` the
    always-active part (attention, embeddings, dense layers, shared experts): read once per
    step; the routed experts are read as far as B tokens, each activating a share
    ``(P_a - S)/(P_t - S)`` of them (top-k / E), touch them. ``S = P_t - E * p_e`` from the
    model's published experts (:class:`Architecture`), else ``(1 - rho) * P_a``. Dense models
    (``P_t = P_a``): ``W = b_eff * P_a``.
    """
    total = np.maximum(total_params_billions, active_params_billions)
    shared = _shared_params(active_params_billions, arch, p)
    routed = np.maximum(total - shared, 1e-12)
    share = np.minimum((active_params_billions - shared) / routed, 1.0 - 1e-12)
    touched = -np.expm1(batch_size * np.log1p(-share))
    touched = np.where(active_params_billions >= total, 1.0, touched)
    return effective_bytes(bytes_per_param, p) * (shared + routed * touched)


def attention_width_millions(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    p: TextPhysics = PHYSICS,
) -> np.ndarray:
    """``A`` = layers x query-attention width (millions), from the model size.

    ``A = coef * S^exponent`` with ``S = sqrt(P_a * P_t)`` (billions; = P for dense models), a
    power law fitted on published architectures (``fit_text.ARCHITECTURES``: Llama 3.1, Qwen3,
    Mistral, gpt-oss configs). Causal attention costs ``4 * A * i`` FLOPs for the token at
    position ``i`` (Hoffmann et al. 2022, arXiv:2203.15556, app. F).
    """
    size = np.sqrt(
        active_params_billions * np.maximum(total_params_billions, active_params_billions)
    )
    return p.attention_width_coef * size**p.attention_width_exponent


def kv_gb_per_context_token(
    active_params_billions: np.ndarray, p: TextPhysics = PHYSICS
) -> np.ndarray:
    """GB of KV cache read per decode step per token of context: ``a_kv * P_a^kappa / 1000``."""
    return 1e-3 * p.kv_gb_per_ktoken * active_params_billions**p.kv_exponent


def forward_energy_per_token_j(
    active_params_billions: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    mfu: Scalar = PREFILL_MFU,
    power_fraction: Scalar = PREFILL_POWER_FRACTION,
) -> np.ndarray:
    """GPU energy of one compute-bound forward pass over one token (prompt processing, encoders).

    ``E = 2 * P_a [GFLOP] / (FLOPS [TFLOP/s] * MFU) [ms] * 1e-3 * u * TDP``: 2 FLOPs per active
    parameter per token (Kaplan et al. 2020, arXiv:2001.08361) at ``mfu`` of ``gpu_bf16_tflops``
    (pass the datatype's peak), the GPUs drawing ``power_fraction`` of TDP. The GPU count
    cancels (n GPUs each do 1/n of the work in 1/n of the time).

    Returns J per token (whole replica, GPU-only boundary).
    """
    ms = 2.0 * active_params_billions / (gpu_bf16_tflops * mfu)
    return 1e-3 * ms * power_fraction * gpu_tdp_w


def forward_time_per_token_ms(
    active_params_billions: np.ndarray,
    gpu_count: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    mfu: Scalar = PREFILL_MFU,
) -> np.ndarray:
    """Time the replica spends on one token of a compute-bound forward pass, ms:
    ``2 * P_a / (n_gpu * FLOPS * MFU)``."""
    return 2.0 * active_params_billions / (gpu_count * gpu_bf16_tflops * mfu)


def prefill_j_per_token(
    active_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    p: TextPhysics = PHYSICS,
) -> np.ndarray:
    """J per uncached prompt token, without attention (see :func:`forward_energy_per_token_j`,
    at the datatype's compute speed)."""
    return forward_energy_per_token_j(
        active_params_billions,
        gpu_tdp_w,
        gpu_bf16_tflops * compute_speed(bytes_per_param, p),
        p.prefill_mfu,
        p.prefill_power_fraction,
    )


def prefill_attention_j_per_token_sq(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    p: TextPhysics = PHYSICS,
) -> np.ndarray:
    """J of causal prompt attention per squared prompt token: ``2 * A`` FLOPs (the sum of
    ``4 * A * i`` over positions is ``2 * A * T^2``) in BF16 at ``prefill_mfu``, GPUs at
    ``prefill_power_fraction`` of TDP."""
    flops = 2e6 * attention_width_millions(active_params_billions, total_params_billions, p)
    return flops / (gpu_bf16_tflops * 1e12 * p.prefill_mfu) * p.prefill_power_fraction * gpu_tdp_w


def prefill_energy_j(
    input_tokens: np.ndarray,
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    cached_tokens: np.ndarray | None = None,
    p: TextPhysics = PHYSICS,
) -> np.ndarray:
    """GPU energy of processing a prompt (J)::

        E = (T_in - T_c) * e_lin + (T_in^2 - T_c^2) * e_att

    ``e_lin`` from :func:`prefill_j_per_token`, ``e_att`` from
    :func:`prefill_attention_j_per_token_sq`; ``T_c`` prompt tokens served from a prefix cache
    (default 0) cost no compute of their own, the new tokens still attend to them.
    """
    cached = np.zeros_like(input_tokens) if cached_tokens is None else cached_tokens
    return (input_tokens - cached) * prefill_j_per_token(
        active_params_billions, bytes_per_param, gpu_tdp_w, gpu_bf16_tflops, p
    ) + (input_tokens**2 - cached**2) * prefill_attention_j_per_token_sq(
        active_params_billions, total_params_billions, gpu_tdp_w, gpu_bf16_tflops, p
    )


def decode_energy_per_token_j(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_count: np.ndarray,
    batch_size: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_memory_gb: np.ndarray,
    context_tokens: Scalar = 0.0,
    p: TextPhysics = PHYSICS,
    arch: Architecture | None = None,
) -> np.ndarray:
    """GPU energy per output token of the whole replica (J), decode only, at a context of
    ``context_tokens`` (prompt + tokens generated so far)::

        W   = weight_gb_per_step(...)                                          (GB)
        e   = [e_B * W + 1e-3 * TDP * a_0 * n^nu] / B + 1e-3 * TDP * a_s * n^nu
              + 1e-3 * g * TDP * 2 * P_a / (FLOPS * s_dtype)
              + e_B * (f_kv * a_kv * P_a^kappa * ctx / 1000 + 2 * s_state)

    ``f_kv`` the share of layers with a KV cache and ``s_state`` the recurrent state of the
    state-space layers (read and written each step), from :class:`Architecture`.

    ``e_B`` J per GB read, ``a_0``, ``a_s`` ms at TDP, ``g`` (decode FLOPs at TDP / FLOPS),
    ``a_kv`` GB of KV cache per 1,000 tokens of context, ``kappa``, ``nu``: :class:`TextPhysics`.

    Non-increasing in batch size, increasing in context. ``gpu_memory_gb`` is not used
    (common signature).

    Parameters
    ----------
    active_params_billions : parameters used per token, billions (MoE: shared + active experts).
    total_params_billions : all parameters, billions (MoE: all experts).
    bytes_per_param : nominal bytes per weight of the served datatype (2, 1 or 0.5).
    gpu_count : GPUs of one replica (tensor x pipeline x expert parallel).
    batch_size : concurrent requests on the replica.
    gpu_tdp_w : thermal design power of one GPU, W.
    gpu_memory_bandwidth_tbps : memory bandwidth of one GPU, TB/s.
    context_tokens : tokens in the KV cache of the sequence.

    Returns
    -------
    J per output token (whole replica, GPU-only boundary).

    References
    ----------
    Chung et al. 2025, arXiv:2505.06371; ``ai_impact.calibration.fit_text``; docs/calibration.md.
    """
    del gpu_memory_gb
    e_gb = p.j_per_gb
    weights = weight_gb_per_step(
        active_params_billions, total_params_billions, bytes_per_param, batch_size, p, arch
    )
    n_nu = gpu_count_factor(gpu_count, p.gpu_count_exponent)
    step_j = e_gb * weights + 1e-3 * gpu_tdp_w * p.step_overhead_ms * n_nu
    sequence_j = 1e-3 * gpu_tdp_w * p.sequence_overhead_ms * n_nu
    compute_j = (
        1e-3
        * p.decode_compute
        * gpu_tdp_w
        * 2.0
        * active_params_billions
        / (gpu_bf16_tflops * compute_speed(bytes_per_param, p))
    )
    kv_gb = _kv_fraction(arch) * kv_gb_per_context_token(active_params_billions, p)
    kv_j = e_gb * (kv_gb * context_tokens + 2.0 * _state_gb(arch))
    return step_j / batch_size + sequence_j + compute_j + kv_j


def step_time_ms(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_count: np.ndarray,
    batch_size: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    context_tokens: Scalar,
    p: TextPhysics = PHYSICS,
    arch: Architecture | None = None,
) -> np.ndarray:
    """Time of one decode step of the replica (ms) at a context of ``context_tokens``::

    t = c_w * (W + 2 * B * s_state) / (n * BW) + c_0 * n^mu + B * c_s * (ctx / 1000)^gamma
    """
    weights = weight_gb_per_step(
        active_params_billions, total_params_billions, bytes_per_param, batch_size, p, arch
    ) + 2.0 * batch_size * _state_gb(arch)
    return (
        p.time_weight * weights / (gpu_count * gpu_memory_bandwidth_tbps)
        + p.time_step_overhead_ms * gpu_count**p.time_gpu_count_exponent
        + batch_size * p.time_sequence_ms * (1e-3 * context_tokens) ** p.time_context_exponent
    )


@dataclass
class Coefficients:
    """Per-deployment coefficients of the request formulas (arrays over deployments).

    A deployment is a model served on a replica (GPU type and count, batch size): everything
    here is independent of the request's token counts, so a batch computes it once per distinct
    deployment and broadcasts it to the rows (:meth:`take`).
    """

    decode_j_per_token: np.ndarray  # decode energy at zero context
    attention_j_per_token: np.ndarray  # decode KV energy per output token and context token
    prefill_j_per_token: np.ndarray  # per uncached prompt token, attention excluded
    prefill_attention_j: np.ndarray  # prompt attention, J per squared token
    step_fixed_ms: np.ndarray  # decode step time independent of the context
    step_context_ms: np.ndarray  # x (ctx / 1000) ** time_context_exponent
    prefill_ms_per_token: np.ndarray  # co-batched prompt processing, per uncached prompt token
    prefill_attention_ms: np.ndarray  # co-batched prompt attention, per squared token

    def take(self, codes: np.ndarray) -> Coefficients:
        """The coefficients of each row, from the row's deployment code."""
        # mode="clip" skips the bounds check of the default (the codes are valid by construction).
        return Coefficients(
            **{f.name: np.take(getattr(self, f.name), codes, mode="clip") for f in fields(self)}
        )


def coefficients(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_count: np.ndarray,
    batch_size: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_memory_gb: np.ndarray,
    p: TextPhysics = PHYSICS,
    blackwell: np.ndarray | None = None,
    arch: Architecture | None = None,
    block_scaled: np.ndarray | None = None,
) -> Coefficients:
    """The coefficients of :func:`request_gpu_j_and_busy_s`.

    Parameters are those of :func:`decode_energy_per_token_j`; see :func:`gpu_energy_j` and
    :func:`busy_time_s` for the formulas they enter. ``blackwell`` (optional, per deployment)
    selects the datatype factors fitted on B200 and ``block_scaled`` (optional, per deployment)
    those of block-scaled FP8 (:func:`for_generation`); ``arch`` (optional) the model's
    published architecture (:class:`Architecture`).
    """
    p = for_generation(p, blackwell, block_scaled)
    active, total = active_params_billions, total_params_billions
    args = (active, total, bytes_per_param, gpu_count, batch_size, gpu_tdp_w)
    zero = decode_energy_per_token_j(
        *args, gpu_memory_bandwidth_tbps, gpu_bf16_tflops, gpu_memory_gb, 0.0, p, arch
    )
    per_context = p.j_per_gb * _kv_fraction(arch) * kv_gb_per_context_token(active, p)
    fixed_ms = step_time_ms(
        active,
        total,
        bytes_per_param,
        gpu_count,
        batch_size,
        gpu_memory_bandwidth_tbps,
        0.0,
        p,
        arch,
    )
    flops = gpu_bf16_tflops * p.prefill_mfu
    width = attention_width_millions(active, total, p)
    return Coefficients(
        decode_j_per_token=zero,
        attention_j_per_token=per_context,
        prefill_j_per_token=prefill_j_per_token(
            active, bytes_per_param, gpu_tdp_w, gpu_bf16_tflops, p
        ),
        prefill_attention_j=prefill_attention_j_per_token_sq(
            active, total, gpu_tdp_w, gpu_bf16_tflops, p
        ),
        step_fixed_ms=fixed_ms,
        step_context_ms=batch_size * p.time_sequence_ms,
        prefill_ms_per_token=batch_size
        * 2.0
        * active
        / (gpu_count * flops * compute_speed(bytes_per_param, p)),
        prefill_attention_ms=batch_size * 2e-9 * width * 1e6 / (gpu_count * flops),
    )


def _prompt_part(tokens: np.ndarray, per_token: np.ndarray, per_token_sq: np.ndarray) -> np.ndarray:
    """``T * e + T^2 * e_sq``: the linear and the causal-attention cost of the first T tokens."""
    return tokens * (per_token + tokens * per_token_sq)


def context_power(context_tokens: np.ndarray, exponent: float) -> np.ndarray:
    """``(ctx / 1000) ** exponent`` of each row, the power computed once per distinct context.

    Token counts are whole, so a request's average context ``T_in + T_out / 2`` is a multiple
    of 0.5: when every ``2 * ctx`` is a whole number below the number of rows, the powers of
    ``0, 0.5, 1, ...`` up to the largest context are computed once and each row reads its
    own, the very float64 the row's own power gives (the same input to the same power). Else
    (fractional token counts, a batch smaller than its largest context) each row's power.
    A float power costs ~20 ns a row, the rest of a text request's arithmetic about as much.
    """
    twice = 2.0 * context_tokens
    with np.errstate(invalid="ignore"):  # NaN, inf, huge: whatever the cast gives, the
        index = twice.astype(np.int64)  # range and equality checks below send them to the power
    if len(index) and index.min() >= 0 and index.max() < len(index) and (index == twice).all():
        table: np.ndarray = (1e-3 * (0.5 * np.arange(index.max() + 1))) ** exponent
        return table[index]
    out: np.ndarray = (1e-3 * context_tokens) ** exponent
    return out


def request_gpu_j_and_busy_s(
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    c: Coefficients,
    codes: np.ndarray,
    cached_tokens: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """GPU energy (J) and busy time (s) of each request (row) from the coefficients ``c`` of
    its deployment (``codes``: the deployment of each row)::

        ctx = T_in + T_out / 2                       average context while decoding
        E   = T_out * (e_dec + e_kv * ctx) + (T_in - T_c) * e_pre + (T_in^2 - T_c^2) * e_att
        T   = 1e-3 * [T_out * (t_0 + t_ctx * (ctx/1000)^gamma)
                      + (T_in - T_c) * t_pre + (T_in^2 - T_c^2) * t_att]

    (``gamma``: ``time_context_exponent``, :func:`context_power`). ``cached_tokens``
    (``T_c``) None means none. The rows run in chunks (``keys.row_chunks``), each gathering
    its rows' coefficients.
    """
    context = input_tokens + 0.5 * output_tokens
    power = context_power(context, float(PHYSICS.time_context_exponent))
    energy_j, busy_s = np.empty(len(codes)), np.empty(len(codes))
    for rows in row_chunks(len(codes)):
        r = c.take(codes[rows])
        t_in, t_out = input_tokens[rows], output_tokens[rows]
        energy = t_out * (
            r.decode_j_per_token + r.attention_j_per_token * context[rows]
        ) + _prompt_part(t_in, r.prefill_j_per_token, r.prefill_attention_j)
        ms = t_out * (r.step_fixed_ms + r.step_context_ms * power[rows]) + _prompt_part(
            t_in, r.prefill_ms_per_token, r.prefill_attention_ms
        )
        if cached_tokens is not None:
            t_c = cached_tokens[rows]
            energy -= _prompt_part(t_c, r.prefill_j_per_token, r.prefill_attention_j)
            ms -= _prompt_part(t_c, r.prefill_ms_per_token, r.prefill_attention_ms)
        energy_j[rows] = energy
        busy_s[rows] = 1e-3 * ms
    return energy_j, busy_s


def gpu_energy_j(
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_count: np.ndarray,
    batch_size: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_memory_gb: np.ndarray,
    cached_tokens: np.ndarray | None = None,
) -> np.ndarray:
    """GPU energy of one request (J): its share of the replica, GPU-only boundary::

        E = T_out * decode_energy_per_token_j(ctx = T_in + T_out/2)
            + prefill_energy_j(T_in, T_c)

    The decode energy per token is linear in the context, so the average context of the
    request gives its exact total. >= 0, non-decreasing in both token counts, 0 for 0 tokens.

    Parameters
    ----------
    input_tokens : prompt tokens of the request (cached ones included).
    output_tokens : generated tokens (reasoning tokens included).
    active_params_billions, total_params_billions, bytes_per_param, gpu_count, batch_size,
    gpu_tdp_w, gpu_memory_bandwidth_tbps, gpu_bf16_tflops, gpu_memory_gb : as in
        ``decode_energy_per_token_j``.
    cached_tokens : prompt tokens served from a prefix cache (default 0).

    References
    ----------
    Chung et al. 2025, arXiv:2505.06371; docs/calibration.md.
    """
    c = coefficients(
        active_params_billions,
        total_params_billions,
        bytes_per_param,
        gpu_count,
        batch_size,
        gpu_tdp_w,
        gpu_memory_bandwidth_tbps,
        gpu_bf16_tflops,
        gpu_memory_gb,
    )
    rows = np.arange(len(input_tokens))
    return request_gpu_j_and_busy_s(input_tokens, output_tokens, c, rows, cached_tokens)[0]


def busy_time_s(
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    gpu_count: np.ndarray,
    batch_size: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_memory_bandwidth_tbps: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    gpu_memory_gb: np.ndarray,
    cached_tokens: np.ndarray | None = None,
) -> np.ndarray:
    """Time the request occupies the replica (s): its latency in a batch of ``batch_size``.

    Output tokens x step time at the request's average context, plus the prompts of the
    co-batched requests (assumed like this one) interleaved; by Little's law the caller's
    ``busy_time_s / batch_size`` is the request's share of the replica's time::

        T = 1e-3 * [T_out * step_time_ms(ctx)
                    + B * ((T_in - T_c) * t_pre + (T_in^2 - T_c^2) * t_att)]
        t_pre = 2 * P_a / (n * FLOPS * s_dtype * MFU),   t_att = 2 * A / (n * FLOPS * MFU)   (ms)

    References
    ----------
    Fitted on ML.ENERGY per-request latency by Little's law (average batch x output tokens /
    token rate); ``ai_impact.calibration.fit_text``; docs/calibration.md.
    """
    c = coefficients(
        active_params_billions,
        total_params_billions,
        bytes_per_param,
        gpu_count,
        batch_size,
        gpu_tdp_w,
        gpu_memory_bandwidth_tbps,
        gpu_bf16_tflops,
        gpu_memory_gb,
    )
    rows = np.arange(len(input_tokens))
    return request_gpu_j_and_busy_s(input_tokens, output_tokens, c, rows, cached_tokens)[1]
