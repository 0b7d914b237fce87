"""Fit the text-generation GPU energy and busy-time model on ML.ENERGY measurements.

Run ``python -m ai_impact.calibration.fit_text`` (with ``function/`` on ``sys.path``); add
``--write`` to store the result in ``text_coefficients.json``, which ``ai_impact.engine.text``
loads, and ``--strict`` to also run leave-one-model-out with the latent prompt means refitted.
It reads ``mlenergy_llm.csv`` next to this file (932 configurations of ML.ENERGY v2 and v3:
GPU energy per output token of the whole replica, GPU-only boundary, source URL on every row)
and the GPU specifications of the project catalog (``ai_impact/data/gpus.csv``), fits the
coefficients of :class:`ai_impact.engine.text.TextPhysics` by calling the engine's own
functions (numpy only), and prints the coefficients, the in-sample and leave-one-model-out
(LOMO) errors on v3 and v2 rows, the bias per GPU generation, and the same errors for a
six-coefficient power law and for EcoLogits.

Besides the measurements, the CSV states what each model's published architecture changes
(``number_of_experts``, ``params_per_expert_b``, ``kv_layer_fraction``, ``recurrent_state_gb``)
and how its fp8 weights are scaled (``fp8_scaling``: channel or block), each with its source in
``architecture_source``; they enter as :class:`ai_impact.engine.text.Architecture` and through
``text.for_generation``.

A measured row is a workload (prompt lengths with mean ``m`` and second moment ``s2``, mean
output ``T``) served at an average batch ``B``. Its J per output token is modelled as::

    e_row = text.decode_energy_per_token_j(ctx = m + T/2)
            + [m * text.prefill_j_per_token + s2 * text.prefill_attention_j_per_token_sq] / T

(decode energy is linear in the context, so the mean context gives the mean energy). The
latency per output token (Little's law, ``B / tokens per second``) is modelled with
``text.step_time_ms`` and the co-batched prefill time of ``text.coefficients``. The per-step
and per-sequence overheads have one value per serving stack (v2 = vLLM 0.5.4, v3 = current);
the engine uses the v3 values. docs/calibration.md gives the derivation and the sources.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ai_impact.calibration import fitting
from ai_impact.engine import text

SCRIPT_VERSION = "4"
DATA_CSV = Path(__file__).with_name("mlenergy_llm.csv")
COEFFICIENTS_JSON = Path(__file__).with_name(text.COEFFICIENTS_FILE)
PROJECT_GPUS_CSV = Path(__file__).resolve().parents[1] / "data" / "gpus.csv"

# ML.ENERGY GPU names -> catalog gpu_id (the catalog's aliases column is searched too).
GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}

BYTES_PER_PARAM = {"bfloat16": 2.0, "float16": 2.0, "fp8": 1.0, "mxfp4": 0.5}

# Prompt lengths of each benchmark workload (tokens): mean, and the coefficient of variation
# giving the second moment s2 = m^2 (1 + cv^2) that the quadratic attention term needs.
# ``None``: not published; fitted as a latent mean within ``LATENT_BOUNDS``. Sources in
# docs/calibration.md section 1.
PROMPT_CV = 1.0  # assumption: exponential-like spread of prompt lengths
WORKLOAD_PROMPTS: dict[str, float | None] = {
    # LM-Arena single-turn prompts: LMSYS-Chat-1M mean user prompt 69.5 tokens (Zheng et al.,
    # ICLR 2024, arXiv:2309.11998, Table 1) + ~30 tokens of chat template.
    "arena_chat": 100.0,
    # ShareGPT first turns kept by ML.ENERGY v2 (4-800 tokens): vLLM's ShareGPT sample has a mean
    # prompt of 161 tokens (Kwon et al., SOSP 2023, arXiv:2309.06180, Fig. 11) + ~40 tokens of
    # system prompt and template.
    "sharegpt": 200.0,
    # GPQA (Rein et al. 2023, arXiv:2311.12022): a graduate-level question and four options in
    # ML.ENERGY's prompt template; estimate, not identifiable (outputs of ~8,000 tokens).
    "gpqa": 250.0,
    "humaneval": None,
    "llava": None,
    "image_chat": None,
    "video_chat": None,
    "fim": None,
}
LATENT_WORKLOADS = tuple(w for w, m in WORKLOAD_PROMPTS.items() if m is None)
LATENT_BOUNDS = (20.0, 20_000.0)
TASK_WORKLOAD = {
    "v2-chat(ShareGPT)": "sharegpt",
    "v3-lm-arena-chat": "arena_chat",
    "v3-gpqa": "gpqa",
    "v2-code(HumanEval+)": "humaneval",
    "v2-vlm-chat(LLaVA)": "llava",
    "v3-image-chat": "image_chat",
    "v3-video-chat": "video_chat",
    "v3-sourcegraph-fim": "fim",
}
WORKLOADS = tuple(WORKLOAD_PROMPTS)

# Prompt assumed when a request gives no input_tokens: the median prompt of conversation
# requests in Azure's production LLM inference trace (1,020 tokens; Patel et al., "Splitwise",
# ISCA 2024, arXiv:2311.18677, sec. 3).
TYPICAL_PROMPT_TOKENS = 1020.0

# Prefill MFU: not identifiable from ML.ENERGY (only prompt length / MFU is, and the prompt
# lengths of the prompt-heavy workloads are not published). 0.4 is the middle of the range
# reached by large dense BF16 GEMMs (Llama 3 405B training: 38-43% MFU on H100, Dubey et al.
# 2024, arXiv:2407.21783, sec. 3.3.4).
PREFILL_MFU = 0.4

# Published architectures (config.json of each model on Hugging Face): active and total
# parameters (billions), layers, query heads, head dimension. ``A = layers * heads * head_dim``.
ARCHITECTURES: tuple[tuple[str, float, float, int, int, int], ...] = (
    ("meta-llama/Llama-3.1-8B", 8.03, 8.03, 32, 32, 128),
    ("meta-llama/Llama-3.1-70B", 70.6, 70.6, 80, 64, 128),
    ("meta-llama/Llama-3.1-405B", 405.9, 405.9, 126, 128, 128),
    ("mistralai/Mistral-7B-v0.1", 7.24, 7.24, 32, 32, 128),
    ("Qwen/Qwen3-8B", 8.2, 8.2, 36, 32, 128),
    ("Qwen/Qwen3-14B", 14.8, 14.8, 40, 40, 128),
    ("Qwen/Qwen3-32B", 32.8, 32.8, 64, 64, 128),
    ("Qwen/Qwen3-30B-A3B", 3.3, 30.5, 48, 32, 128),
    ("Qwen/Qwen3-235B-A22B", 22.0, 235.0, 94, 64, 128),
    ("openai/gpt-oss-120b", 5.1, 116.8, 36, 64, 64),
)

# Prefill speed of 4-bit weights on GPUs without FP4 tensor cores (H100 and every generation
# but Blackwell): the weights are dequantised to BF16 in the GEMM (W4A16 kernels such as Marlin,
# Frantar et al. 2024, arXiv:2408.11743), so compute runs at the BF16 peak. Not fitted: the
# mxfp4 rows on H100 (GPQA, ~250-token prompts) do not identify it.
SPEED_4BIT_WITHOUT_FP4 = 1.0

# Robust, model-balanced least squares in log space.
HUBER_DELTA = 0.15
LM_MAX_ITER = 200  # Levenberg-Marquardt iterations and relative cost tolerance
LM_TOLERANCE = 1e-10
IRLS_ROUNDS = 6
LOMO_ROUNDS = 2

# Bounded parameters: value = lo + (hi - lo) * sigmoid(z).
BOUNDS = {
    "bytes_8bit": (1.0, 2.0),  # at least its byte, at most a 16-bit weight's traffic
    "bytes_4bit": (0.5, 2.0),
    "speed_8bit": (1.0, 2.0),  # up to the 2x FP8 tensor-core peak
    "speed_4bit": (1.0, 4.0),  # up to the 4x FP4 tensor-core peak (Blackwell)
}

ENERGY_PARAMS = (
    "ln_e_b",
    "ln_a_0_v3",
    "ln_a_0_v2",
    "ln_a_s_v3",
    "ln_a_s_v2",
    "nu",
    "ln_g",
    "ln_a_kv",
    "kappa",
    "z_bytes_8bit",
    "z_bytes_4bit",
    "z_speed_8bit",
    "z_bytes_8bit_blackwell",
    "z_bytes_4bit_blackwell",
    "z_speed_8bit_blackwell",
    "z_bytes_8bit_block",
    "z_speed_8bit_block",
    "z_bytes_8bit_block_blackwell",
    "z_speed_8bit_block_blackwell",
    "z_speed_4bit_blackwell",
    *(f"ln_prompt_{w}" for w in LATENT_WORKLOADS),
)
ENERGY_START = np.array(
    [-1.6, 0.8, 1.7, -3.3, -2.5, 1.2, -1.0, -2.0, 0.5, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0]
    + [math.log(500.0)] * len(LATENT_WORKLOADS)
)
TIME_PARAMS = ("ln_c_w", "ln_c_0_v3", "ln_c_0_v2", "ln_c_s_v3", "ln_c_s_v2", "mu", "gamma")
TIME_START = np.array([0.3, 1.5, 2.7, -2.7, -0.9, 0.5, 0.4])

Columns = dict[str, np.ndarray]


# ----------------------------------------------------------------------------------- data ----
def load_rows(path: Path = DATA_CSV) -> list[dict[str, str]]:
    """The measured configurations (one dict per CSV row)."""
    return fitting.load_rows(path)


def data_sha256(path: Path = DATA_CSV) -> str:
    """SHA-256 of the measurement file the coefficients are fitted on."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def gpu_spec_file() -> Path:
    """The project catalog's gpus.csv."""
    if not PROJECT_GPUS_CSV.exists():
        raise FileNotFoundError(f"GPU catalog not found: {PROJECT_GPUS_CSV}")
    return PROJECT_GPUS_CSV


def load_gpu_specs(path: Path | None = None) -> dict[str, dict[str, float]]:
    """Specs of the three measured GPUs from the catalog, keyed by the ML.ENERGY GPU name."""
    path = gpu_spec_file() if path is None else path
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    by_id = {r["gpu_id"]: r for r in table}
    specs: dict[str, dict[str, float]] = {}
    for name, gpu_id in GPU_IDS.items():
        row = by_id.get(gpu_id)
        if row is None:
            row = next(
                (
                    r
                    for r in table
                    if name.lower()
                    in [
                        a.strip().lower()
                        for a in (r.get("aliases") or "").replace(";", "|").split("|")
                    ]
                ),
                None,
            )
        if row is None:
            raise KeyError(f"no catalog row for {name} (gpu_id {gpu_id})")
        specs[name] = {
            "tdp_w": float(row["tdp_w"]),
            "memory_gb": float(row["memory_gb"]),
            "memory_bandwidth_tbps": float(row["memory_bandwidth_tbps"]),
            "bf16_dense_tflops": float(row["bf16_dense_tflops"]),
        }
    return specs


def columns(rows: list[dict[str, str]], specs: dict[str, dict[str, float]]) -> Columns:
    """Float64 feature and target columns of the measured rows."""

    def col(name: str) -> np.ndarray:
        return np.array([float(r[name]) for r in rows])

    def optional(name: str) -> np.ndarray:
        return np.array([float(r[name]) if r.get(name) else np.nan for r in rows])

    gpu = [r["gpu"] for r in rows]
    x = {
        "active_b": col("active_params_b"),
        "total_b": col("total_params_b"),
        "bytes": np.array([BYTES_PER_PARAM[r["weight_precision"]] for r in rows]),
        "n": col("num_gpus"),
        "batch": col("avg_batch_size"),
        "out": col("avg_output_tokens"),
        "tdp": np.array([specs[g]["tdp_w"] for g in gpu]),
        "bw": np.array([specs[g]["memory_bandwidth_tbps"] for g in gpu]),
        "tflops": np.array([specs[g]["bf16_dense_tflops"] for g in gpu]),
        "mem": np.array([specs[g]["memory_gb"] for g in gpu]),
        "v2": np.array([0.0 if "v3" in r["benchmark"] else 1.0 for r in rows]),
        "blackwell": np.array([1.0 if r["gpu"] == "B200" else 0.0 for r in rows]),
        "workload": np.array([WORKLOADS.index(TASK_WORKLOAD[r["task"]]) for r in rows]),
        "fim": np.array([1.0 if r["task"] == "v3-sourcegraph-fim" else 0.0 for r in rows]),
        "e_tok": col("energy_per_output_token_J"),
        "tok_s": col("output_tokens_per_s"),
        "itl_s": col("itl_ms") * 1e-3,
        "max_batch": col("max_batch_size"),
        # Published architecture (NaN where not applicable): experts, hybrid state-space layers.
        "experts": optional("number_of_experts"),
        "params_per_expert": optional("params_per_expert_b"),
        "kv_fraction": optional("kv_layer_fraction"),
        "state_gb": optional("recurrent_state_gb"),
        "block_scaled": np.array([r["fp8_scaling"] == "block" for r in rows]),
    }
    # Latency per output token of a request by Little's law (concurrent requests / token rate):
    # includes the request's prefill and the stalls from co-batched prefills.
    x["tau_s"] = x["batch"] / x["tok_s"]
    # Average GPU power of the replica as a fraction of its TDP (J/token x tokens/s).
    x["power_frac"] = x["e_tok"] * x["tok_s"] / (x["n"] * x["tdp"])
    return x


def architecture(x: Columns) -> text.Architecture:
    """The engine's :class:`text.Architecture` of each row: shared parameters
    ``P_t - E * p_e`` of the mixtures of experts, the hybrid models' KV-layer share and state."""
    return text.Architecture(
        shared_params_billions=x["total_b"] - x["experts"] * x["params_per_expert"],
        kv_layer_fraction=x["kv_fraction"],
        recurrent_state_gb=x["state_gb"],
    )


def moe_routed_fraction(x: Columns) -> float:
    """Share of the active parameters that are routed experts, median over the published
    mixtures of experts of the data (one value per distinct architecture): the engine's
    default for a mixture of experts whose experts are not published (closed models)."""
    shared = x["total_b"] - x["experts"] * x["params_per_expert"]
    routed = (x["active_b"] - shared) / x["active_b"]
    distinct = np.unique(np.round(routed[np.isfinite(routed)], 4))
    return round(float(np.median(distinct)), 3)


def prefill_power_fraction(x: Columns) -> float:
    """GPU power while prefill dominates: median power/TDP of the v3 FIM rows (long
    code-context prompts, ~250-token outputs)."""
    return round(float(np.median(x["power_frac"][x["fim"] > 0])), 2)


def attention_width_fit() -> tuple[float, float]:
    """``A [millions] = coef * sqrt(P_a P_t)^exponent``, least squares in logs on ARCHITECTURES."""
    size = np.array([math.sqrt(a * t) for _, a, t, *_ in ARCHITECTURES])
    width = np.array([layers * heads * dim / 1e6 for *_, layers, heads, dim in ARCHITECTURES])
    exponent, intercept = np.polyfit(np.log(size), np.log(width), 1)
    return float(math.exp(intercept)), float(exponent)


# ---------------------------------------------------------------------------- the physics ----
def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-min(max(z, -50.0), 50.0)))


def _bounded(name: str, z: float) -> float:
    lo, hi = BOUNDS[name]
    return lo + (hi - lo) * _sigmoid(z)


def _unpack(theta: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
    return dict(zip(names, (float(t) for t in theta), strict=True))


def workload_prompt_tokens(p: dict[str, float], workload: np.ndarray) -> np.ndarray:
    """Mean prompt length of each row's workload (tokens): stated, or the fitted latent mean."""
    lo, hi = LATENT_BOUNDS
    per = []
    for w in WORKLOADS:
        stated = WORKLOAD_PROMPTS[w]
        per.append(
            stated if stated is not None else min(max(math.exp(p[f"ln_prompt_{w}"]), lo), hi)
        )
    return np.array(per)[workload]


def physics(
    p: dict[str, float],
    q: dict[str, float] | None,
    k: dict[str, float],
    v2: np.ndarray | float,
) -> text.TextPhysics:
    """The engine's coefficient object for fitted parameters ``p`` (energy) and ``q`` (time);
    the stack-dependent overheads are per-row arrays when ``v2`` is an array."""

    def stack(name: str, params: dict[str, float]) -> np.ndarray | float:
        return math.exp(params[f"{name}_v3"]) * (1 - v2) + math.exp(params[f"{name}_v2"]) * v2

    q = q if q is not None else dict(zip(TIME_PARAMS, TIME_START.tolist(), strict=True))
    return text.TextPhysics(
        j_per_gb=math.exp(p["ln_e_b"]),
        step_overhead_ms=stack("ln_a_0", p),
        sequence_overhead_ms=stack("ln_a_s", p),
        decode_compute=math.exp(p["ln_g"]),
        gpu_count_exponent=p["nu"],
        kv_gb_per_ktoken=math.exp(p["ln_a_kv"]),
        kv_exponent=p["kappa"],
        moe_routed_fraction=k["moe_routed_fraction"],
        bytes_8bit=_bounded("bytes_8bit", p["z_bytes_8bit"]),
        bytes_8bit_blackwell=_bounded("bytes_8bit", p["z_bytes_8bit_blackwell"]),
        bytes_4bit=_bounded("bytes_4bit", p["z_bytes_4bit"]),
        bytes_4bit_blackwell=_bounded("bytes_4bit", p["z_bytes_4bit_blackwell"]),
        speed_8bit=_bounded("speed_8bit", p["z_speed_8bit"]),
        speed_8bit_blackwell=_bounded("speed_8bit", p["z_speed_8bit_blackwell"]),
        speed_4bit=SPEED_4BIT_WITHOUT_FP4,
        speed_4bit_blackwell=_bounded("speed_4bit", p["z_speed_4bit_blackwell"]),
        bytes_8bit_block=_bounded("bytes_8bit", p["z_bytes_8bit_block"]),
        speed_8bit_block=_bounded("speed_8bit", p["z_speed_8bit_block"]),
        bytes_8bit_block_blackwell=_bounded("bytes_8bit", p["z_bytes_8bit_block_blackwell"]),
        speed_8bit_block_blackwell=_bounded("speed_8bit", p["z_speed_8bit_block_blackwell"]),
        prefill_mfu=PREFILL_MFU,
        prefill_power_fraction=k["prefill_power_fraction"],
        attention_width_coef=k["attention_width_coef"],
        attention_width_exponent=k["attention_width_exponent"],
        time_weight=math.exp(q["ln_c_w"]),
        time_step_overhead_ms=stack("ln_c_0", q),
        time_gpu_count_exponent=q["mu"],
        time_sequence_ms=stack("ln_c_s", q),
        time_context_exponent=q["gamma"],
        typical_prompt_tokens=TYPICAL_PROMPT_TOKENS,
    )


# The nine positional inputs of text.coefficients (active B ... GPU memory GB).
EngineArgs = tuple[
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
    np.ndarray,
]


def _engine_args(x: Columns) -> EngineArgs:
    return (
        x["active_b"],
        x["total_b"],
        x["bytes"],
        x["n"],
        x["batch"],
        x["tdp"],
        x["bw"],
        x["tflops"],
        x["mem"],
    )


def energy_per_token(ph: text.TextPhysics, x: Columns, prompt: np.ndarray) -> np.ndarray:
    """Modelled J per output token of each row: decode at the workload's mean context plus the
    prefill of its prompts (mean and second moment) spread over the output tokens."""
    ph = text.for_generation(ph, x["blackwell"] > 0, x["block_scaled"])
    context = prompt + 0.5 * x["out"]
    decode = text.decode_energy_per_token_j(*_engine_args(x), context, ph, architecture(x))
    linear = text.prefill_j_per_token(x["active_b"], x["bytes"], x["tdp"], x["tflops"], ph)
    attention = text.prefill_attention_j_per_token_sq(
        x["active_b"], x["total_b"], x["tdp"], x["tflops"], ph
    )
    second_moment = prompt**2 * (1.0 + PROMPT_CV**2)
    return decode + (prompt * linear + second_moment * attention) / x["out"]


def time_per_token(ph: text.TextPhysics, x: Columns, prompt: np.ndarray) -> np.ndarray:
    """Modelled latency per output token of a request (s), co-batched prefill included."""
    ph = text.for_generation(ph, x["blackwell"] > 0, x["block_scaled"])
    context = prompt + 0.5 * x["out"]
    arch = architecture(x)
    step = text.step_time_ms(
        x["active_b"], x["total_b"], x["bytes"], x["n"], x["batch"], x["bw"], context, ph, arch
    )
    c = text.coefficients(*_engine_args(x), ph, arch=arch)
    second_moment = prompt**2 * (1.0 + PROMPT_CV**2)
    prefill = prompt * c.prefill_ms_per_token + second_moment * c.prefill_attention_ms
    return 1e-3 * (step + prefill / x["out"])


# ------------------------------------------------------------------------------- fitting ----
def constants(x: Columns) -> dict[str, float]:
    """Values read off the data or the architectures, not fitted to energy."""
    coef, exponent = attention_width_fit()
    return {
        "prefill_power_fraction": prefill_power_fraction(x),
        "moe_routed_fraction": moe_routed_fraction(x),
        "attention_width_coef": coef,
        "attention_width_exponent": exponent,
    }


def _fit_arrays(
    x: Columns,
    model_ids: np.ndarray,
    k: dict[str, float],
    theta_e0: np.ndarray = ENERGY_START,
    theta_t0: np.ndarray = TIME_START,
    rounds: int = IRLS_ROUNDS,
    fix_prompts: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy parameters, then time parameters (which reuse the latent prompt lengths).
    ``fix_prompts`` keeps the latent prompt lengths of ``theta_e0``."""
    w = fitting.model_weights(model_ids)
    free = np.array([not (fix_prompts and n.startswith("ln_prompt_")) for n in ENERGY_PARAMS])

    def full(t: np.ndarray) -> np.ndarray:
        theta = np.array(theta_e0, dtype=np.float64)
        theta[free] = t
        return theta

    def energy(t: np.ndarray) -> np.ndarray:
        p = _unpack(full(t), ENERGY_PARAMS)
        prompt = workload_prompt_tokens(p, x["workload"])
        return np.log(energy_per_token(physics(p, None, k, x["v2"]), x, prompt))

    theta_e = full(
        fitting.robust_fit(
            energy,
            np.log(x["e_tok"]),
            w,
            np.asarray(theta_e0)[free],
            rounds,
            HUBER_DELTA,
            LM_MAX_ITER,
            LM_TOLERANCE,
        )
    )
    p = _unpack(theta_e, ENERGY_PARAMS)
    prompt = workload_prompt_tokens(p, x["workload"])

    def time(t: np.ndarray) -> np.ndarray:
        ph = physics(p, _unpack(t, TIME_PARAMS), k, x["v2"])
        return np.log(time_per_token(ph, x, prompt))

    theta_t = fitting.robust_fit(
        time, np.log(x["tau_s"]), w, theta_t0, rounds, HUBER_DELTA, LM_MAX_ITER, LM_TOLERANCE
    )
    return theta_e, theta_t


def fit(
    rows: list[dict[str, str]] | None = None, specs: dict[str, dict[str, float]] | None = None
) -> dict:
    """Fit every coefficient on ``rows`` (default: the shipped CSV).

    Returns ``coefficients`` (the engine's :class:`TextPhysics` fields, v3 stack),
    ``v2_stack`` (the v2 overheads, fitting only), ``prompt_tokens`` (mean prompt per workload,
    stated or fitted) and the raw parameter vectors ``theta_energy`` / ``theta_time``.
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    x = columns(rows, specs)
    k = constants(x)
    theta_e, theta_t = _fit_arrays(x, np.array([r["model_id"] for r in rows]), k)
    p, q = _unpack(theta_e, ENERGY_PARAMS), _unpack(theta_t, TIME_PARAMS)
    v3 = physics(p, q, k, 0.0)
    v2 = physics(p, q, k, 1.0)
    prompts = workload_prompt_tokens(p, np.arange(len(WORKLOADS)))
    return {
        "coefficients": {f.name: float(getattr(v3, f.name)) for f in dataclasses.fields(v3)},
        "v2_stack": {
            name: float(getattr(v2, name))
            for name in (
                "step_overhead_ms",
                "sequence_overhead_ms",
                "time_step_overhead_ms",
                "time_sequence_ms",
            )
        },
        "prompt_tokens": {
            w: {"mean": float(m), "source": "stated" if WORKLOAD_PROMPTS[w] else "fitted"}
            for w, m in zip(WORKLOADS, prompts, strict=True)
        },
        "theta_energy": theta_e.tolist(),
        "theta_time": theta_t.tolist(),
    }


# ----------------------------------------------------------------------------- baselines ----
def powerlaw_baseline(x: Columns, gpu: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Six-coefficient power law fitted on the ``train`` rows of each benchmark version::

        ln e = ln k_gpu + a ln P_a + b ln bytes + c ln B + d ln n

    one intercept per GPU type (H100 and B200 in v3) and four exponents (methodology-notes
    sec. 3.4 form), least squares in logs with the model weights; each row is predicted by the
    law of its own version (v3 law for v3 rows, v2 law for v2 rows)."""
    out = np.empty(len(gpu))
    for version in (0.0, 1.0):
        rows = x["v2"] == version
        names = sorted(set(gpu[rows].tolist()))
        design = np.column_stack(
            [(gpu == g).astype(float) for g in names]
            + [np.log(x["active_b"]), np.log(x["bytes"]), np.log(x["batch"]), np.log(x["n"])]
        )
        fit_rows = train & rows
        w = np.sqrt(x["weight"][fit_rows])
        beta, *_ = np.linalg.lstsq(
            design[fit_rows] * w[:, None], np.log(x["e_tok"][fit_rows]) * w, rcond=None
        )
        out[rows] = np.exp(design[rows] @ beta)
    return out


def ecologits_j_per_token(x: Columns, measured_gpus: bool = False) -> np.ndarray:
    """EcoLogits 0.11.3 GPU energy per output token of the replica (J), as it computes it.

    Per GPU ``alpha * exp(beta * B) * P_a + gamma`` Wh with B the configured max batch, times
    its GPU count ``2^ceil(log2(ceil(1.2 * P_t * 16/8 / 80)))`` (16-bit weights, 80 GB GPUs)
    or, with ``measured_gpus``, the measured count (methodology-notes sec. 2.2).
    """
    alpha, beta, gamma = 1.1665273e-6, -0.0112059, 4.0529281e-5
    n = x["n"] if measured_gpus else np.exp2(np.ceil(np.log2(np.ceil(1.2 * x["total_b"] * 2 / 80))))
    return n * (alpha * np.exp(beta * x["max_batch"]) * x["active_b"] + gamma) * 3600.0


# ----------------------------------------------------------------------------- reporting ----
def _bias(predicted: np.ndarray, measured: np.ndarray) -> float:
    """Median of predicted / measured."""
    return float(np.exp(np.median(np.log(predicted / measured))))


def lomo_errors(
    rows: list[dict[str, str]] | None = None,
    specs: dict[str, dict[str, float]] | None = None,
    fitted: dict | None = None,
    refit_prompts: bool = False,
) -> dict:
    """In-sample and leave-one-model-out errors (multiplicative: exp|ln(pred/meas)|).

    Every model_id is left out in turn, all coefficients (latent prompt lengths included) are
    refitted on the other models and its rows are predicted with the v3 stack (what the engine
    does) and with their own stack. Returns per-version summaries (``v3``, ``v2``: median/p90
    and the median bias per GPU), the same for the power-law baseline (LOMO) and EcoLogits,
    time errors, the engine's own in-sample error, per-row arrays and per-group tables.
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    fitted = fit(rows, specs) if fitted is None else fitted
    x = columns(rows, specs)
    k = constants(x)
    ids = np.array([r["model_id"] for r in rows])
    x["weight"] = fitting.model_weights(ids)
    gpu = np.array([r["gpu"] for r in rows])
    theta_e, theta_t = np.array(fitted["theta_energy"]), np.array(fitted["theta_time"])

    def predict(
        te: np.ndarray, tt: np.ndarray, xx: Columns, v3_stack: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        p, q = _unpack(te, ENERGY_PARAMS), _unpack(tt, TIME_PARAMS)
        ph = physics(p, q, k, np.zeros_like(xx["v2"]) if v3_stack else xx["v2"])
        prompt = workload_prompt_tokens(p, xx["workload"])
        return energy_per_token(ph, xx, prompt), time_per_token(ph, xx, prompt)

    e_in, t_in = predict(theta_e, theta_t, x, False)
    lo_e, lo_t, lo_e3 = (np.empty(len(rows)) for _ in range(3))
    base = np.empty(len(rows))
    for m in np.unique(ids):
        test = ids == m
        xtr = {key: v[~test] for key, v in x.items()}
        xte = {key: v[test] for key, v in x.items()}
        te, tt = _fit_arrays(
            xtr, ids[~test], k, theta_e, theta_t, LOMO_ROUNDS, fix_prompts=not refit_prompts
        )
        lo_e[test], lo_t[test] = predict(te, tt, xte, False)
        lo_e3[test], _ = predict(te, tt, xte, True)
        base[test] = powerlaw_baseline(x, gpu, ~test)[test]
    prompt = workload_prompt_tokens(_unpack(theta_e, ENERGY_PARAMS), x["workload"])
    engine_e = energy_per_token(text.PHYSICS, x, prompt)
    err = {
        "energy_in": fitting.multiplicative_error(e_in, x["e_tok"]),
        "energy_lomo": fitting.multiplicative_error(lo_e, x["e_tok"]),
        "energy_lomo_v3_stack": fitting.multiplicative_error(lo_e3, x["e_tok"]),
        "energy_engine": fitting.multiplicative_error(engine_e, x["e_tok"]),
        "powerlaw_lomo": fitting.multiplicative_error(base, x["e_tok"]),
        "time_in": fitting.multiplicative_error(t_in, x["tau_s"]),
        "time_lomo": fitting.multiplicative_error(lo_t, x["tau_s"]),
        "ecologits": fitting.multiplicative_error(ecologits_j_per_token(x), x["e_tok"]),
    }
    preds = {"energy_lomo": lo_e, "energy_lomo_v3_stack": lo_e3, "powerlaw_lomo": base}
    version = np.where(x["v2"] > 0, "v2", "v3")
    summary: dict[str, dict] = {}
    for v in ("v3", "v2"):
        sel = version == v
        summary[v] = {
            "rows": int(sel.sum()),
            "models": len(set(ids[sel].tolist())),
            **{key: fitting.median_p90(e[sel]) for key, e in err.items()},
            "bias_by_gpu": {
                g: {
                    key: _bias(pred[sel & (gpu == g)], x["e_tok"][sel & (gpu == g)])
                    for key, pred in preds.items()
                }
                for g in sorted(set(gpu[sel].tolist()))
            },
        }
    groups = {"gpu": gpu, "task": np.array([r["task"] for r in rows]), "model": ids}
    tables: dict[str, dict[str, dict]] = {}
    for gname, labels in groups.items():
        tables[gname] = {}
        for label in sorted(set(labels.tolist())):
            sel = labels == label
            tables[gname][label] = {
                "rows": int(sel.sum()),
                **{key: fitting.median_p90(v[sel]) for key, v in err.items()},
            }
    return {
        "rows": len(rows),
        "summary": summary,
        "errors": err,
        "tables": tables,
        "lomo_pred_energy": lo_e,
        "lomo_pred_time": lo_t,
    }


def coefficients_document(fitted: dict, res: dict) -> dict:
    """The content of text_coefficients.json."""

    def pair(v: tuple[float, float]) -> list[float]:
        return [round(v[0], 4), round(v[1], 4)]

    return {
        "script": "python -m ai_impact.calibration.fit_text --write",
        "script_version": SCRIPT_VERSION,
        "data": DATA_CSV.name,
        "data_sha256": data_sha256(),
        "data_rows": res["rows"],
        "coefficients": {k: float(f"{v:.6g}") for k, v in fitted["coefficients"].items()},
        "v2_stack_fitting_only": {k: float(f"{v:.6g}") for k, v in fitted["v2_stack"].items()},
        "prompt_tokens": {
            w: {"mean": round(d["mean"], 1), "source": d["source"]}
            for w, d in fitted["prompt_tokens"].items()
        },
        "errors": {
            v: {
                "rows": s["rows"],
                "energy_lomo_v3_stack_median_p90": pair(s["energy_lomo_v3_stack"]),
                "energy_lomo_median_p90": pair(s["energy_lomo"]),
                "energy_insample_median_p90": pair(s["energy_in"]),
                "time_lomo_median_p90": pair(s["time_lomo"]),
                "powerlaw_lomo_median_p90": pair(s["powerlaw_lomo"]),
                "bias_by_gpu_lomo_v3_stack": {
                    g: round(b["energy_lomo_v3_stack"], 4) for g, b in s["bias_by_gpu"].items()
                },
            }
            for v, s in res["summary"].items()
        },
    }


def write_coefficients(document: dict, path: Path = COEFFICIENTS_JSON) -> None:
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _print_summary(res: dict, out: Callable[[str], None]) -> None:
    for v, s in res["summary"].items():
        out(
            f"\n{v} rows ({s['rows']} configurations, {s['models']} models), "
            "exp|ln(pred/meas)|, median / p90:"
        )
        lines = (
            ("energy LOMO, v3 stack (the engine)", s["energy_lomo_v3_stack"]),
            ("energy LOMO, own stack", s["energy_lomo"]),
            ("energy in-sample", s["energy_in"]),
            ("energy engine.text as shipped", s["energy_engine"]),
            ("baseline: 6-coefficient power law, LOMO", s["powerlaw_lomo"]),
            ("EcoLogits 0.11.3", s["ecologits"]),
            ("busy time LOMO (Little's-law latency)", s["time_lomo"]),
        )
        for label, (med, p90) in lines:
            out(f"  {label:44s} {med:.3f} / {p90:.3f}")
        out("  median bias (pred/meas) by GPU: LOMO v3 stack | own stack | power law")
        for g, b in s["bias_by_gpu"].items():
            out(
                f"    {g:16s} {b['energy_lomo_v3_stack']:.3f} | {b['energy_lomo']:.3f} | "
                f"{b['powerlaw_lomo']:.3f}"
            )


def main(argv: list[str] | None = None) -> int:
    """Fit, print the coefficients, the errors and the per-group tables; ``--write`` stores
    them in text_coefficients.json."""
    argv = sys.argv[1:] if argv is None else argv
    fitted = fit()
    print(f"GPU specs: {gpu_spec_file()}")
    print("Coefficients (v3 stack), ai_impact.engine.text.TextPhysics:")
    for name, value in fitted["coefficients"].items():
        print(f"  {name:28s} {value:.5g}")
    print(
        "v2 stack (fitting only): "
        + ", ".join(f"{k} {v:.4g}" for k, v in fitted["v2_stack"].items())
    )
    print(
        "Mean prompt per workload (tokens): "
        + ", ".join(
            f"{w} {d['mean']:.0f} ({d['source']})" for w, d in fitted["prompt_tokens"].items()
        )
    )
    res = lomo_errors(fitted=fitted)
    _print_summary(res, print)
    keys = ("energy_in", "energy_lomo_v3_stack", "powerlaw_lomo", "time_lomo", "ecologits")
    for gname in ("gpu", "task", "model"):
        print(f"\nBy {gname}: rows | " + " | ".join(keys))
        for label, t in res["tables"][gname].items():
            cells = " | ".join("{:.2f}/{:.2f}".format(*t[key]) for key in keys)
            print(f"  {label[:50]:50s} {t['rows']:4d} | {cells}")
    if "--strict" in argv:
        strict = lomo_errors(fitted=fitted, refit_prompts=True)["summary"]
        for v, s in strict.items():
            med, p90 = s["energy_lomo_v3_stack"]
            print(f"\n{v} energy LOMO, latent prompt means refitted too: {med:.3f} / {p90:.3f}")
    if "--write" in argv:
        write_coefficients(coefficients_document(fitted, res))
        print(f"\nwrote {COEFFICIENTS_JSON}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
