"""GPU energy and busy time of a text-generation request (GPU-only boundary, whole replica).

Calibrated on the ML.ENERGY benchmark: Chung et al., "The ML.ENERGY Benchmark: Toward Automated
Inference Energy Measurement and Optimization", NeurIPS Datasets & Benchmarks 2025,
arXiv:2505.06371. Data: v2 (vLLM 0.5.4; A100-SXM4-40GB, H100) from github.com/ml-energy/benchmark
@ d0311acf, v3 (H100, B200) from github.com/ml-energy/leaderboard @ 0cd52dab ``public/data``.
The 932 configurations are shipped in ``ai_impact/calibration/mlenergy_llm.csv`` (source URL on
every row); ``python -m ai_impact.calibration.fit_text`` re-derives every constant below (values
rounded to 4 significant digits) and prints the errors. docs/calibration.md gives the
derivation, the errors, the extrapolation to other accelerators and the limits.

The form is physical, the few coefficients are fitted (v3 serving stack):

* decode: every step reads the weights once (``W`` GB; MoE: the expected share of experts
  touched by B tokens), pays a fixed per-step overhead and a per-sequence overhead on each GPU
  (growing as ``n_gpu ** GPU_COUNT_EXPONENT``: tensor/expert-parallel synchronisation), and an
  attention term proportional to the context. The step energy is shared by the B requests.
  GPUs enter through TDP / memory bandwidth (J per byte moved) and TDP (overheads), so other
  accelerators are extrapolated from their specs.
* prefill: ``2 * P_active`` FLOPs per prompt token at ``PREFILL_MFU`` of the dense BF16 peak
  with the GPUs at ``PREFILL_POWER_FRACTION`` of TDP. ML.ENERGY's J/token already contains the
  prefill of a chat prompt: only input tokens beyond ``CHAT_PROMPT_TOKENS`` are added.

All functions are pure numpy, vectorised over 1-D float64 arrays of equal length, without I/O;
they return finite, non-negative values for finite positive inputs, non-decreasing in input
and output tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# --- constants printed by `python -m ai_impact.calibration.fit_text` (v3 stack) --------------
DECODE_WEIGHT_COEF = 0.9362  # a_w: x W[GB] / BW[TB/s] = ms at TDP per decode step
STEP_OVERHEAD_MS = 1.954  # a_0: ms at TDP per step and n_gpu**nu
SEQUENCE_OVERHEAD_MS = 0.03249  # a_s: ms at TDP per sequence, step and n_gpu**nu
ATTENTION_COEF = 0.03686  # a_kv: x P_active**kappa / BW, ms at TDP per sequence and step
ATTENTION_EXPONENT = 0.4775  # kappa
GPU_COUNT_EXPONENT = 1.291  # nu
EIGHT_BIT_EFFECTIVE_BYTES = 2.0  # b8: fp8/int8 weights moved like 16-bit ones (bound of fit)
PREFILL_MFU = 0.4  # assumed (Llama 3 training MFU 38-43%, arXiv:2407.21783)
PREFILL_POWER_FRACTION = 0.84  # median GPU power / TDP of the prefill-heavy v3 FIM rows
CHAT_PROMPT_TOKENS = 400.0  # chat prompt already amortised in the decode J/token
CHAT_OUTPUT_TOKENS = 605.0  # median output of the v3 LM-Arena chat rows
TIME_WEIGHT_COEF = 1.024  # c_w: x W[GB] / (n * BW[TB/s]) = ms per step
TIME_STEP_OVERHEAD_MS = 3.19  # c_0: ms per step x n_gpu**mu
TIME_GPU_COUNT_EXPONENT = 0.6947  # mu
TIME_SEQUENCE_MS = 0.07171  # c_s: ms per sequence and step (chat context)
TIME_CONTEXT_EXPONENT = 0.3914  # gamma: per-sequence time grows as context**gamma

_EIGHT_BIT = 1.0


def _weight_gb_per_step(
    active_params_billions: np.ndarray,
    total_params_billions: np.ndarray,
    bytes_per_param: np.ndarray,
    batch_size: np.ndarray,
) -> np.ndarray:
    """GB of weights read per decode step (effective bytes; MoE experts touched by B tokens)."""
    total = np.maximum(total_params_billions, active_params_billions)
    share = np.minimum(active_params_billions / total, 1.0 - 1e-12)
    touched = -np.expm1(batch_size * np.log1p(-share))
    touched = np.where(active_params_billions >= total, 1.0, touched)
    bytes_eff = np.where(
        np.abs(bytes_per_param - _EIGHT_BIT) < 1e-9, EIGHT_BIT_EFFECTIVE_BYTES, bytes_per_param
    )
    return bytes_eff * (active_params_billions + (total - active_params_billions) * touched)


def _context_ratio(input_tokens: np.ndarray, output_tokens: np.ndarray) -> np.ndarray:
    """Average decoding context of the request relative to a chat request's."""
    return (input_tokens + 0.5 * output_tokens) / (CHAT_PROMPT_TOKENS + 0.5 * CHAT_OUTPUT_TOKENS)


def _extra_prompt_tokens(input_tokens: np.ndarray) -> np.ndarray:
    """Prompt tokens beyond the chat prompt already amortised in the decode J/token."""
    return np.maximum(input_tokens - CHAT_PROMPT_TOKENS, 0.0)


def forward_energy_per_token_j(
    active_params_billions: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    mfu: float | np.ndarray = PREFILL_MFU,
) -> np.ndarray:
    """GPU energy of one compute-bound forward pass over one token (prompt processing, encoders).

    ``E = 2 * P_a [GFLOP] / (FLOPS [TFLOP/s] * MFU) [ms] * 1e-3 * PREFILL_POWER_FRACTION * TDP``:
    2 FLOPs per active parameter per token (Kaplan et al. 2020, arXiv:2001.08361) at ``mfu`` of
    the dense BF16 peak, the GPUs drawing ``PREFILL_POWER_FRACTION`` of TDP. The GPU count cancels.

    Parameters
    ----------
    active_params_billions : parameters used per token, billions.
    gpu_tdp_w : W.  gpu_bf16_tflops : dense BF16 TFLOP/s.  mfu : model FLOPs utilisation, 0..1.

    Returns
    -------
    J per token (whole replica, GPU-only boundary).
    """
    ms = 2.0 * active_params_billions / (gpu_bf16_tflops * mfu)
    return 1e-3 * ms * PREFILL_POWER_FRACTION * gpu_tdp_w


def forward_time_per_token_ms(
    active_params_billions: np.ndarray,
    gpu_count: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
    mfu: float | np.ndarray = PREFILL_MFU,
) -> np.ndarray:
    """Time the replica spends on one token of a compute-bound forward pass, ms:
    ``2 * P_a / (n_gpu * FLOPS * MFU)``."""
    return 2.0 * active_params_billions / (gpu_count * gpu_bf16_tflops * mfu)


def _prefill_j_per_token(
    active_params_billions: np.ndarray, gpu_tdp_w: np.ndarray, gpu_bf16_tflops: np.ndarray
) -> np.ndarray:
    """J per prompt token (see :func:`forward_energy_per_token_j`)."""
    return forward_energy_per_token_j(active_params_billions, gpu_tdp_w, gpu_bf16_tflops)


def _attention_j_per_token(
    active_params_billions: np.ndarray, gpu_tdp_w: np.ndarray, gpu_memory_bandwidth_tbps: np.ndarray
) -> np.ndarray:
    """Attention/KV energy per output token at chat context (J)."""
    ms = ATTENTION_COEF * active_params_billions**ATTENTION_EXPONENT / gpu_memory_bandwidth_tbps
    return 1e-3 * gpu_tdp_w * ms


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
) -> np.ndarray:
    """GPU energy per output token of the whole replica for chat serving (J).

    What ML.ENERGY measures for chat (GPU energy of all GPUs of the replica / output tokens): the
    decode step shared by the batch, plus the prefill of a ``CHAT_PROMPT_TOKENS`` prompt amortised
    over ``CHAT_OUTPUT_TOKENS`` output tokens::

        W = b_eff * [P_a + (P_t - P_a) * (1 - (1 - P_a/P_t)^B)]                          (GB)
        e = 1e-3 * TDP * [(a_w * W/BW + a_0 * n^nu) / B + a_s * n^nu + a_kv * P_a^kappa / BW]
            + CHAT_PROMPT_TOKENS / CHAT_OUTPUT_TOKENS * e_pre
        e_pre = 1e-3 * 2 * P_a / (FLOPS * PREFILL_MFU) * PREFILL_POWER_FRACTION * TDP

    ``b_eff`` is ``bytes_per_param`` except for 8-bit formats (``EIGHT_BIT_EFFECTIVE_BYTES``);
    ``a_w, a_0, a_s, a_kv, kappa, nu`` are the module constants. Non-increasing in batch size.

    Parameters
    ----------
    active_params_billions : parameters used per token, billions (MoE: shared + active experts).
    total_params_billions : all parameters, billions (MoE: all experts).
    bytes_per_param : bytes per weight of the served datatype (bf16 2, fp8/int8 1, int4/fp4 0.5).
    gpu_count : GPUs of one replica (tensor x pipeline x expert parallel).
    batch_size : concurrent requests on the replica.
    gpu_tdp_w : thermal design power of one GPU, W.
    gpu_memory_bandwidth_tbps : memory bandwidth of one GPU, TB/s.
    gpu_bf16_tflops : dense BF16 tensor throughput of one GPU, TFLOP/s.
    gpu_memory_gb : memory of one GPU, GB (common signature; not used by the formula).

    Returns
    -------
    J per output token (whole replica, GPU-only boundary).

    References
    ----------
    Chung et al. 2025, arXiv:2505.06371 (ML.ENERGY v2 @d0311acf, v3 @0cd52dab);
    ``ai_impact.calibration.fit_text``; docs/calibration.md.
    """
    del gpu_memory_gb
    weight_gb = _weight_gb_per_step(
        active_params_billions, total_params_billions, bytes_per_param, batch_size
    )
    n_nu = gpu_count**GPU_COUNT_EXPONENT
    overhead_ms = (
        DECODE_WEIGHT_COEF * weight_gb / gpu_memory_bandwidth_tbps + STEP_OVERHEAD_MS * n_nu
    ) / batch_size + SEQUENCE_OVERHEAD_MS * n_nu
    chat_prefill = (
        CHAT_PROMPT_TOKENS
        / CHAT_OUTPUT_TOKENS
        * _prefill_j_per_token(active_params_billions, gpu_tdp_w, gpu_bf16_tflops)
    )
    attention = _attention_j_per_token(active_params_billions, gpu_tdp_w, gpu_memory_bandwidth_tbps)
    return 1e-3 * gpu_tdp_w * overhead_ms + attention + chat_prefill


def prefill_energy_j(
    input_tokens: np.ndarray,
    active_params_billions: np.ndarray,
    gpu_tdp_w: np.ndarray,
    gpu_bf16_tflops: np.ndarray,
) -> np.ndarray:
    """GPU energy of the prompt tokens beyond a chat-typical prompt (J; 0 for shorter prompts).

    Compute-bound prompt processing, ``2 * P_active`` FLOPs per token at ``PREFILL_MFU`` of the
    dense BF16 peak, GPUs at ``PREFILL_POWER_FRACTION`` of TDP (the GPU count cancels: n GPUs
    each do 1/n of the work in 1/n of the time)::

        E = max(T_in - CHAT_PROMPT_TOKENS, 0) * 2 * P_a * 1e9 / (FLOPS * 1e12 * MFU) * u * TDP

    Attention FLOPs (quadratic in the prompt) and prompt caching are not modelled.

    Parameters
    ----------
    input_tokens : prompt tokens of the request.
    active_params_billions : parameters used per token, billions.
    gpu_tdp_w : thermal design power of one GPU, W.
    gpu_bf16_tflops : dense BF16 tensor throughput of one GPU, TFLOP/s.

    Returns
    -------
    J per request (whole replica, GPU-only boundary).

    References
    ----------
    Kaplan et al. 2020, arXiv:2001.08361 (2N FLOPs per token); Dubey et al. 2024,
    arXiv:2407.21783 (MFU); docs/calibration.md.
    """
    return _extra_prompt_tokens(input_tokens) * _prefill_j_per_token(
        active_params_billions, gpu_tdp_w, gpu_bf16_tflops
    )


@dataclass
class Coefficients:
    """Per-deployment coefficients of the request formulas (arrays over deployments).

    A deployment is a model served on a replica (GPU type and count, batch size): everything
    here is independent of the request's token counts, so a batch computes it once per distinct
    deployment and broadcasts it to the rows.
    """

    decode_j_per_token: np.ndarray  # at chat context, chat prompt included
    attention_j_per_token: np.ndarray  # the part of it that scales with the context
    prefill_j_per_token: np.ndarray  # per prompt token beyond the chat prompt
    step_fixed_ms: np.ndarray  # decode step time independent of the context
    step_context_ms: np.ndarray  # x ctx**TIME_CONTEXT_EXPONENT
    prefill_ms_per_token: np.ndarray  # co-batched prompt processing, per prompt token


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
) -> Coefficients:
    """The coefficients of :func:`request_gpu_energy_j` and :func:`request_busy_time_s`.

    Parameters are those of :func:`decode_energy_per_token_j`; see :func:`gpu_energy_j` and
    :func:`busy_time_s` for the formulas they enter.
    """
    weight_gb = _weight_gb_per_step(
        active_params_billions, total_params_billions, bytes_per_param, batch_size
    )
    return Coefficients(
        decode_j_per_token=decode_energy_per_token_j(
            active_params_billions,
            total_params_billions,
            bytes_per_param,
            gpu_count,
            batch_size,
            gpu_tdp_w,
            gpu_memory_bandwidth_tbps,
            gpu_bf16_tflops,
            gpu_memory_gb,
        ),
        attention_j_per_token=_attention_j_per_token(
            active_params_billions, gpu_tdp_w, gpu_memory_bandwidth_tbps
        ),
        prefill_j_per_token=_prefill_j_per_token(
            active_params_billions, gpu_tdp_w, gpu_bf16_tflops
        ),
        step_fixed_ms=TIME_WEIGHT_COEF * weight_gb / (gpu_count * gpu_memory_bandwidth_tbps)
        + TIME_STEP_OVERHEAD_MS * gpu_count**TIME_GPU_COUNT_EXPONENT,
        step_context_ms=batch_size * TIME_SEQUENCE_MS,
        prefill_ms_per_token=batch_size
        * forward_time_per_token_ms(active_params_billions, gpu_count, gpu_bf16_tflops),
    )


def request_gpu_energy_j(
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    decode_j_per_token: np.ndarray,
    attention_j_per_token: np.ndarray,
    prefill_j_per_token: np.ndarray,
) -> np.ndarray:
    """GPU energy of one request from its deployment's coefficients, J (see gpu_energy_j)."""
    context = _context_ratio(input_tokens, output_tokens)
    return (
        output_tokens * (decode_j_per_token + attention_j_per_token * (context - 1.0))
        + _extra_prompt_tokens(input_tokens) * prefill_j_per_token
    )


def request_busy_time_s(
    input_tokens: np.ndarray,
    output_tokens: np.ndarray,
    step_fixed_ms: np.ndarray,
    step_context_ms: np.ndarray,
    prefill_ms_per_token: np.ndarray,
) -> np.ndarray:
    """Busy time of one request from its deployment's coefficients (s); see :func:`busy_time_s`."""
    context = _context_ratio(input_tokens, output_tokens)
    step_ms = step_fixed_ms + step_context_ms * context**TIME_CONTEXT_EXPONENT
    return 1e-3 * (output_tokens * step_ms + input_tokens * prefill_ms_per_token)


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
) -> np.ndarray:
    """GPU energy of one request (J): its share of the replica, GPU-only boundary.

    ::

        E = T_out * decode_energy_per_token_j(...) + prefill_energy_j(T_in, ...)
            + T_out * e_att * (ctx - 1),     ctx = (T_in + T_out/2) / (L0 + T_chat/2)

    The last term scales the attention/KV part of decoding (``e_att`` = its chat value,
    ``1e-3 * TDP * a_kv * P_a^kappa / BW``) with the request's average context relative to the
    chat context the decode term was calibrated at: long prompts and long reasoning outputs cost
    more per token, short requests less. The sum is >= 0 and non-decreasing in both token counts.

    Parameters
    ----------
    input_tokens : prompt tokens of the request.
    output_tokens : generated tokens (reasoning tokens included).
    active_params_billions, total_params_billions, bytes_per_param, gpu_count, batch_size,
    gpu_tdp_w, gpu_memory_bandwidth_tbps, gpu_bf16_tflops, gpu_memory_gb : as in
        ``decode_energy_per_token_j``.

    Returns
    -------
    J per request (whole replica share, GPU-only boundary).

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
    return request_gpu_energy_j(
        input_tokens,
        output_tokens,
        c.decode_j_per_token,
        c.attention_j_per_token,
        c.prefill_j_per_token,
    )


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
) -> np.ndarray:
    """Time the request occupies the replica (s): its latency in a batch of ``batch_size``.

    Time to first token plus output tokens x inter-token time, with the prompts of the
    co-batched requests (assumed like this one) interleaved; by Little's law the caller's
    ``busy_time_s / batch_size`` is the request's share of the replica's time::

        t_step = c_w * W / (n * BW) + c_0 * n^mu + B * c_s * ctx^gamma              (ms)
        t_pre  = 2 * P_a / (n * FLOPS * PREFILL_MFU)                   (ms per prompt token)
        T      = 1e-3 * (T_out * t_step + B * T_in * t_pre)

    ``W`` and ``ctx`` as in ``decode_energy_per_token_j`` / ``gpu_energy_j``; ``c_w, c_0, mu,
    c_s, gamma`` are the TIME_* constants.

    Parameters
    ----------
    input_tokens, output_tokens : tokens of the request.
    active_params_billions, total_params_billions, bytes_per_param, gpu_count, batch_size,
    gpu_tdp_w, gpu_memory_bandwidth_tbps, gpu_bf16_tflops, gpu_memory_gb : as in
        ``decode_energy_per_token_j`` (``gpu_tdp_w`` and ``gpu_memory_gb`` are not used).

    Returns
    -------
    Seconds.

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
    return request_busy_time_s(
        input_tokens, output_tokens, c.step_fixed_ms, c.step_context_ms, c.prefill_ms_per_token
    )
