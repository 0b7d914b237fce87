"""Fit the text-generation GPU energy and busy-time model on ML.ENERGY measurements.

Run ``python -m ai_impact.calibration.fit_text`` (with ``function/`` on ``sys.path``). It reads
``mlenergy_llm.csv`` next to this file (932 configurations of ML.ENERGY v2 and v3: GPU energy
per output token of the whole replica, GPU-only boundary, source URL on every row) and the GPU
specifications of the project catalog (``ai_impact/data/gpus.csv``), re-derives every
coefficient held by ``ai_impact.engine.text`` with numpy only, and prints the coefficients, the
in-sample and leave-one-model-out (LOMO) errors for energy and busy time, EcoLogits' errors on
the same rows and per-version / per-GPU / per-task / per-model tables.

Model of one measured row (docs/calibration.md gives the derivation)::

    W     = b_eff * [P_a + (P_t - P_a) * (1 - (1 - P_a/P_t)^B)]       GB of weights per step
    ctx   = (T_in + T_out/2) / (L0 + T_chat/2)                          context / chat context
    e_dec = 1e-3 * TDP * [(a_w * W/BW + a_0 * n^nu) / B + a_s * n^nu + a_kv * P_a^kappa/BW * ctx]
    e_pre = 2 * P_a / (FLOPS * MFU) * 1e-3 * u_pre * TDP                J per prompt token
    e     = e_dec + T_in * e_pre / T_out                                J per output token
    tau   = 1e-3 * [c_w * W/(n*BW) + c_0 * n^mu + B * c_s * ctx^gamma
                    + B * (T_in/T_out) * 2 * P_a/(n * FLOPS * MFU)]     s per output token

P in billions, B concurrent requests, n GPUs, BW in TB/s, FLOPS dense BF16 TFLOP/s, TDP in W.
b_eff is the bytes per parameter (8-bit formats: fitted ``b8``). a_0, a_s, c_0, c_s have one
value per serving stack (v2 = vLLM 0.5.4, v3 = current); the engine uses the v3 values. T_in of
each benchmark workload other than chat is not published and is fitted as a latent average
prompt length (used only to fit; the engine uses each request's own input tokens).
"""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np

from ai_impact.calibration import fitting
from ai_impact.calibration.fitting import rounded

DATA_CSV = Path(__file__).with_name("mlenergy_llm.csv")
PROJECT_GPUS_CSV = Path(__file__).resolve().parents[1] / "data" / "gpus.csv"

# ML.ENERGY GPU names -> catalog gpu_id (the catalog's aliases column is searched too).
GPU_IDS = {"A100-SXM4-40GB": "a100_40gb", "H100-SXM5-80GB": "h100", "B200": "b200"}

BYTES_PER_PARAM = {
    "bfloat16": 2.0,
    "float16": 2.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "mxfp4": 0.5,
    "fp4": 0.5,
    "int4": 0.5,
}

# Benchmark task -> workload. "chat" prompts have the fixed length CHAT_PROMPT_TOKENS; the
# others have a latent fitted average prompt length. GPQA (single-turn questions, ~8,000
# output tokens) is grouped with chat: its prompt length is not identifiable on its own.
WORKLOADS = ("chat", "humaneval", "llava", "image_chat", "video_chat", "fim")
TASK_WORKLOAD = {
    "v2-chat(ShareGPT)": "chat",
    "v3-lm-arena-chat": "chat",
    "v3-gpqa": "chat",
    "v2-code(HumanEval+)": "humaneval",
    "v2-vlm-chat(LLaVA)": "llava",
    "v3-image-chat": "image_chat",
    "v3-video-chat": "video_chat",
    "v3-sourcegraph-fim": "fim",
}
CHAT_TASK = "v3-lm-arena-chat"

# Chat-typical prompt length already amortised in ML.ENERGY's chat J/token. The data cannot pin
# it down alone (prefill and per-token terms trade off); LOMO error is flat and lowest for
# 300-500 tokens over a 0-1000 scan (docs/calibration.md), inside the range of single-turn chat
# prompts of the benchmarks (ShareGPT first turns capped at 800 tokens by ML.ENERGY v2's
# filter_dataset.py). The fit holds it fixed.
CHAT_PROMPT_TOKENS = 400.0

# Prefill MFU: not identifiable from ML.ENERGY (only T_in / MFU is). 0.4 is the middle of the
# range reached by large dense BF16 GEMMs (Llama 3 405B training: 38-43% MFU on H100, Dubey et
# al. 2024, arXiv:2407.21783, sec. 3.3.4); methodology-notes sec. 5.2 default.
PREFILL_MFU = 0.4

# Robust, model-balanced least squares in log space.
HUBER_DELTA = 0.15
LM_MAX_ITER = 200  # Levenberg-Marquardt iterations and relative cost tolerance
LM_TOLERANCE = 1e-10
IRLS_ROUNDS = 6

ENERGY_PARAMS = (
    "ln_a_w",
    "ln_a_0_v3",
    "ln_a_0_v2",
    "ln_a_s_v3",
    "ln_a_s_v2",
    "ln_a_kv",
    "kappa",
    "nu",
    "ln_b8",
    *(f"ln_tin_{w}" for w in WORKLOADS[1:]),
)
ENERGY_START = np.array(
    [0.0, 0.8, 1.7, -3.3, -2.5, -3.3, 0.7, 1.2, 0.7] + [1.0] * (len(WORKLOADS) - 1)
)
TIME_PARAMS = ("ln_c_w", "ln_c_0_v3", "ln_c_0_v2", "ln_c_s_v3", "ln_c_s_v2", "mu", "gamma")
TIME_START = np.array([0.3, 1.5, 2.7, -2.7, -0.9, 0.5, 0.4])

Columns = dict[str, np.ndarray]


# ----------------------------------------------------------------------------------- data ----
def load_rows(path: Path = DATA_CSV) -> list[dict[str, str]]:
    """The measured configurations (one dict per CSV row)."""
    return fitting.load_rows(path)


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
        "workload": np.array([WORKLOADS.index(TASK_WORKLOAD[r["task"]]) for r in rows]),
        "chat_v3": np.array([1.0 if r["task"] == CHAT_TASK else 0.0 for r in rows]),
        "fim": np.array([1.0 if r["task"] == "v3-sourcegraph-fim" else 0.0 for r in rows]),
        "e_tok": col("energy_per_output_token_J"),
        "tok_s": col("output_tokens_per_s"),
        "itl_s": col("itl_ms") * 1e-3,
        "max_batch": col("max_batch_size"),
    }
    # Latency per output token of a request by Little's law (concurrent requests / token rate):
    # includes the request's prefill and the stalls from co-batched prefills (the median ITL
    # of v3 does not).
    x["tau_s"] = x["batch"] / x["tok_s"]
    # Average GPU power of the replica as a fraction of its TDP (J/token x tokens/s).
    x["power_frac"] = x["e_tok"] * x["tok_s"] / (x["n"] * x["tdp"])
    return x


def derived_constants(x: Columns) -> dict[str, float]:
    """Constants read off the data rather than fitted."""
    return {
        # Chat-typical output length: median over the v3 LM-Arena chat rows.
        "chat_output_tokens": round(float(np.median(x["out"][x["chat_v3"] > 0]))),
        # GPU power while prefill dominates: median power/TDP of the v3 FIM rows (long
        # code-context prompts, ~250-token outputs).
        "prefill_power_fraction": round(float(np.median(x["power_frac"][x["fim"] > 0])), 2),
    }


# ---------------------------------------------------------------------------- the physics ----
def weight_gb_per_step(
    active_b: np.ndarray, total_b: np.ndarray, bytes_eff: np.ndarray, batch: np.ndarray
) -> np.ndarray:
    """GB of weights read per decode step; MoE: expected share of experts touched by B tokens."""
    total = np.maximum(total_b, active_b)
    share = np.minimum(active_b / total, 1.0 - 1e-12)
    touched = -np.expm1(batch * np.log1p(-share))
    touched = np.where(active_b >= total, 1.0, touched)
    return bytes_eff * (active_b + (total - active_b) * touched)


def effective_bytes(bytes_per_param: np.ndarray, b8: float) -> np.ndarray:
    """Realised bytes per parameter: 8-bit formats behave like ``b8`` bytes (fitted in [1, 2]:
    an 8-bit weight moves at least its byte and, physically, no more than a 16-bit one)."""
    b8 = min(max(b8, 1.0), 2.0)
    return np.where(np.abs(bytes_per_param - 1.0) < 1e-9, b8, bytes_per_param)


def context_ratio(t_in: np.ndarray, t_out: np.ndarray, chat_output_tokens: float) -> np.ndarray:
    """Average context during decoding relative to a chat request's."""
    return (t_in + 0.5 * t_out) / (CHAT_PROMPT_TOKENS + 0.5 * chat_output_tokens)


def prefill_j_per_token(
    active_b: np.ndarray, tdp: np.ndarray, tflops: np.ndarray, power_frac: float
) -> np.ndarray:
    """Energy of one prompt token: 2 P_a FLOPs at PREFILL_MFU, GPUs at ``power_frac`` x TDP."""
    return 2.0 * active_b / (tflops * PREFILL_MFU) * 1e-3 * power_frac * tdp


def _unpack(theta: np.ndarray, names: tuple[str, ...]) -> dict[str, float]:
    return dict(zip(names, (float(t) for t in theta), strict=True))


def workload_prompt_tokens(p: dict[str, float], workload: np.ndarray) -> np.ndarray:
    """Average prompt length of each row's workload (tokens): chat fixed, others latent."""
    per = [CHAT_PROMPT_TOKENS] + [100.0 * math.exp(p[f"ln_tin_{w}"]) for w in WORKLOADS[1:]]
    return np.array(per)[workload]


def energy_per_token(
    p: dict[str, float], x: Columns, k: dict[str, float], v2: np.ndarray | None = None
) -> np.ndarray:
    """Modelled J per output token of each row (prefill of the workload's prompt included)."""
    v2 = x["v2"] if v2 is None else v2
    a_0 = np.exp(p["ln_a_0_v3"]) * (1 - v2) + np.exp(p["ln_a_0_v2"]) * v2
    a_s = np.exp(p["ln_a_s_v3"]) * (1 - v2) + np.exp(p["ln_a_s_v2"]) * v2
    t_in = workload_prompt_tokens(p, x["workload"])
    ctx = context_ratio(t_in, x["out"], k["chat_output_tokens"])
    w_gb = weight_gb_per_step(
        x["active_b"], x["total_b"], effective_bytes(x["bytes"], math.exp(p["ln_b8"])), x["batch"]
    )
    n_nu = x["n"] ** p["nu"]
    inner_ms = (
        (np.exp(p["ln_a_w"]) * w_gb / x["bw"] + a_0 * n_nu) / x["batch"]
        + a_s * n_nu
        + np.exp(p["ln_a_kv"]) * x["active_b"] ** p["kappa"] / x["bw"] * ctx
    )
    pre = t_in * prefill_j_per_token(
        x["active_b"], x["tdp"], x["tflops"], k["prefill_power_fraction"]
    )
    return 1e-3 * x["tdp"] * inner_ms + pre / x["out"]


def time_per_token(
    q: dict[str, float],
    x: Columns,
    t_in: np.ndarray,
    b8: float,
    k: dict[str, float],
    v2: np.ndarray | None = None,
) -> np.ndarray:
    """Modelled latency per output token of a request (s), co-batched prefill included."""
    v2 = x["v2"] if v2 is None else v2
    c_0 = np.exp(q["ln_c_0_v3"]) * (1 - v2) + np.exp(q["ln_c_0_v2"]) * v2
    c_s = np.exp(q["ln_c_s_v3"]) * (1 - v2) + np.exp(q["ln_c_s_v2"]) * v2
    ctx = context_ratio(t_in, x["out"], k["chat_output_tokens"])
    w_gb = weight_gb_per_step(
        x["active_b"], x["total_b"], effective_bytes(x["bytes"], b8), x["batch"]
    )
    prefill_ms = 2.0 * x["active_b"] / (x["n"] * x["tflops"] * PREFILL_MFU)
    ms = (
        np.exp(q["ln_c_w"]) * w_gb / (x["n"] * x["bw"])
        + c_0 * x["n"] ** q["mu"]
        + x["batch"] * c_s * ctx ** q["gamma"]
        + x["batch"] * t_in / x["out"] * prefill_ms
    )
    return 1e-3 * ms


# ------------------------------------------------------------------------------- fitting ----
def _fit_arrays(
    x: Columns,
    model_ids: np.ndarray,
    k: dict[str, float],
    theta_e0: np.ndarray = ENERGY_START,
    theta_t0: np.ndarray = TIME_START,
    rounds: int = IRLS_ROUNDS,
) -> tuple[np.ndarray, np.ndarray]:
    """Energy parameters, then time parameters (which reuse the latent prompt lengths)."""
    w = fitting.model_weights(model_ids)
    theta_e = fitting.robust_fit(
        lambda t: np.log(energy_per_token(_unpack(t, ENERGY_PARAMS), x, k)),
        np.log(x["e_tok"]),
        w,
        theta_e0,
        rounds,
        HUBER_DELTA,
        LM_MAX_ITER,
        LM_TOLERANCE,
    )
    p = _unpack(theta_e, ENERGY_PARAMS)
    t_in, b8 = workload_prompt_tokens(p, x["workload"]), math.exp(p["ln_b8"])
    theta_t = fitting.robust_fit(
        lambda t: np.log(time_per_token(_unpack(t, TIME_PARAMS), x, t_in, b8, k)),
        np.log(x["tau_s"]),
        w,
        theta_t0,
        rounds,
        HUBER_DELTA,
        LM_MAX_ITER,
        LM_TOLERANCE,
    )
    return theta_e, theta_t


def fit(
    rows: list[dict[str, str]] | None = None, specs: dict[str, dict[str, float]] | None = None
) -> dict[str, float]:
    """Fit every coefficient on ``rows`` (default: the shipped CSV); returns them by name.

    Keys: the raw fitted parameters (``ENERGY_PARAMS``, ``TIME_PARAMS``; logs of positive
    coefficients), the engine constants in natural units (``a_w``, ``a_0_ms``, ``a_s_ms``,
    ``a_kv``, ``kappa``, ``nu``, ``b8``, ``c_w``, ``c_0_ms``, ``c_s_ms``, ``mu``, ``gamma``),
    the fixed or data-read constants (``prefill_mfu``, ``prefill_power_fraction``,
    ``chat_prompt_tokens``, ``chat_output_tokens``) and the latent prompt lengths
    (``prompt_tokens_<workload>``).
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    x = columns(rows, specs)
    k = derived_constants(x)
    theta_e, theta_t = _fit_arrays(x, np.array([r["model_id"] for r in rows]), k)
    p, q = _unpack(theta_e, ENERGY_PARAMS), _unpack(theta_t, TIME_PARAMS)
    out: dict[str, float] = {**p, **q, **k}
    out.update(
        {
            "a_w": math.exp(p["ln_a_w"]),
            "a_0_ms": math.exp(p["ln_a_0_v3"]),
            "a_s_ms": math.exp(p["ln_a_s_v3"]),
            "a_kv": math.exp(p["ln_a_kv"]),
            "kappa": p["kappa"],
            "nu": p["nu"],
            "b8": min(max(math.exp(p["ln_b8"]), 1.0), 2.0),
            "c_w": math.exp(q["ln_c_w"]),
            "c_0_ms": math.exp(q["ln_c_0_v3"]),
            "c_s_ms": math.exp(q["ln_c_s_v3"]),
            "mu": q["mu"],
            "gamma": q["gamma"],
            "a_0_ms_v2": math.exp(p["ln_a_0_v2"]),
            "a_s_ms_v2": math.exp(p["ln_a_s_v2"]),
            "c_0_ms_v2": math.exp(q["ln_c_0_v2"]),
            "c_s_ms_v2": math.exp(q["ln_c_s_v2"]),
            "prefill_mfu": PREFILL_MFU,
            "chat_prompt_tokens": CHAT_PROMPT_TOKENS,
        }
    )
    for w in WORKLOADS[1:]:
        out[f"prompt_tokens_{w}"] = 100.0 * math.exp(p[f"ln_tin_{w}"])
    return out


# ----------------------------------------------------------------------------- reporting ----
def ecologits_j_per_token(x: Columns, measured_gpus: bool = False) -> np.ndarray:
    """EcoLogits 0.11.3 GPU energy per output token of the replica (J), as it computes it.

    Per GPU ``alpha * exp(beta * B) * P_a + gamma`` Wh with B the configured max batch, times
    its GPU count ``2^ceil(log2(ceil(1.2 * P_t * 16/8 / 80)))`` (16-bit weights, 80 GB GPUs)
    or, with ``measured_gpus``, the measured count (methodology-notes sec. 2.2).
    """
    alpha, beta, gamma = 1.1665273e-6, -0.0112059, 4.0529281e-5
    n = x["n"] if measured_gpus else np.exp2(np.ceil(np.log2(np.ceil(1.2 * x["total_b"] * 2 / 80))))
    return n * (alpha * np.exp(beta * x["max_batch"]) * x["active_b"] + gamma) * 3600.0


def engine_per_token(x: Columns, t_in: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """J and s per output token as ``ai_impact.engine.text`` computes them for prompt ``t_in``."""
    from ai_impact.engine import text

    args = (
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
    return (
        text.gpu_energy_j(t_in, x["out"], *args) / x["out"],
        text.busy_time_s(t_in, x["out"], *args) / x["out"],
    )


def lomo_errors(
    rows: list[dict[str, str]] | None = None, specs: dict[str, dict[str, float]] | None = None
) -> dict:
    """In-sample and leave-one-model-out errors (multiplicative: exp|ln(pred/meas)|).

    Every model_id is left out in turn, all coefficients (latent prompt lengths included) are
    refitted on the other models and its rows are predicted. Returns ``energy`` and ``time``
    (``insample``, ``lomo``: (median, p90)); ``energy_lomo_v3_stack`` (v2 rows predicted with
    the v3 stack, as the engine would); ``engine_insample`` (``engine.text`` itself, v3
    constants); EcoLogits' errors on the same rows; per-row error arrays (``errors``) and
    per-version/GPU/task/model tables (``tables``).
    """
    rows = load_rows() if rows is None else rows
    specs = load_gpu_specs() if specs is None else specs
    x = columns(rows, specs)
    k = derived_constants(x)
    ids = np.array([r["model_id"] for r in rows])
    theta_e, theta_t = _fit_arrays(x, ids, k)

    def predict(
        te: np.ndarray, tt: np.ndarray, xx: Columns, v3_stack: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        p, q = _unpack(te, ENERGY_PARAMS), _unpack(tt, TIME_PARAMS)
        v2 = np.zeros_like(xx["v2"]) if v3_stack else xx["v2"]
        t_in = workload_prompt_tokens(p, xx["workload"])
        return (
            energy_per_token(p, xx, k, v2),
            time_per_token(q, xx, t_in, math.exp(p["ln_b8"]), k, v2),
        )

    e_in, t_in_pred = predict(theta_e, theta_t, x, False)
    lo_e, lo_t, lo_e3, lo_t3 = (np.empty(len(rows)) for _ in range(4))
    for m in np.unique(ids):
        test = ids == m
        xtr = {key: v[~test] for key, v in x.items()}
        xte = {key: v[test] for key, v in x.items()}
        te, tt = _fit_arrays(xtr, ids[~test], k, theta_e, theta_t, rounds=3)
        lo_e[test], lo_t[test] = predict(te, tt, xte, False)
        lo_e3[test], lo_t3[test] = predict(te, tt, xte, True)
    eng_e, eng_t = engine_per_token(
        x, workload_prompt_tokens(_unpack(theta_e, ENERGY_PARAMS), x["workload"])
    )
    err = {
        "energy_in": fitting.multiplicative_error(e_in, x["e_tok"]),
        "energy_lomo": fitting.multiplicative_error(lo_e, x["e_tok"]),
        "energy_lomo_v3_stack": fitting.multiplicative_error(lo_e3, x["e_tok"]),
        "energy_engine": fitting.multiplicative_error(eng_e, x["e_tok"]),
        "time_in": fitting.multiplicative_error(t_in_pred, x["tau_s"]),
        "time_lomo": fitting.multiplicative_error(lo_t, x["tau_s"]),
        "time_lomo_v3_stack": fitting.multiplicative_error(lo_t3, x["tau_s"]),
        "time_lomo_vs_itl": fitting.multiplicative_error(lo_t, x["itl_s"]),
        "time_engine": fitting.multiplicative_error(eng_t, x["tau_s"]),
        "ecologits": fitting.multiplicative_error(ecologits_j_per_token(x), x["e_tok"]),
        "ecologits_measured_gpus": fitting.multiplicative_error(
            ecologits_j_per_token(x, True), x["e_tok"]
        ),
    }
    groups = {
        "version": np.where(x["v2"] > 0, "v2", "v3"),
        "gpu": np.array([r["gpu"] for r in rows]),
        "task": np.array([r["task"] for r in rows]),
        "model": ids,
    }
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
        "energy": {
            "insample": fitting.median_p90(err["energy_in"]),
            "lomo": fitting.median_p90(err["energy_lomo"]),
        },
        "energy_lomo_v3_stack": fitting.median_p90(err["energy_lomo_v3_stack"]),
        "engine_insample": {
            "energy": fitting.median_p90(err["energy_engine"]),
            "time": fitting.median_p90(err["time_engine"]),
        },
        "time": {
            "insample": fitting.median_p90(err["time_in"]),
            "lomo": fitting.median_p90(err["time_lomo"]),
            "lomo_v3_stack": fitting.median_p90(err["time_lomo_v3_stack"]),
            "lomo_vs_itl": fitting.median_p90(err["time_lomo_vs_itl"]),
        },
        "ecologits": fitting.median_p90(err["ecologits"]),
        "ecologits_measured_gpus": fitting.median_p90(err["ecologits_measured_gpus"]),
        "errors": err,
        "tables": tables,
        "lomo_pred_energy": lo_e,
        "lomo_pred_time": lo_t,
    }


# Engine constant name, fit key, significant digits (0/2: decimals).
ENGINE_CONSTANTS = (
    ("DECODE_WEIGHT_COEF", "a_w", 4),
    ("STEP_OVERHEAD_MS", "a_0_ms", 4),
    ("SEQUENCE_OVERHEAD_MS", "a_s_ms", 4),
    ("ATTENTION_COEF", "a_kv", 4),
    ("ATTENTION_EXPONENT", "kappa", 4),
    ("GPU_COUNT_EXPONENT", "nu", 4),
    ("EIGHT_BIT_EFFECTIVE_BYTES", "b8", 4),
    ("PREFILL_MFU", "prefill_mfu", 2),
    ("PREFILL_POWER_FRACTION", "prefill_power_fraction", 2),
    ("CHAT_PROMPT_TOKENS", "chat_prompt_tokens", 0),
    ("CHAT_OUTPUT_TOKENS", "chat_output_tokens", 0),
    ("TIME_WEIGHT_COEF", "c_w", 4),
    ("TIME_STEP_OVERHEAD_MS", "c_0_ms", 4),
    ("TIME_GPU_COUNT_EXPONENT", "mu", 4),
    ("TIME_SEQUENCE_MS", "c_s_ms", 4),
    ("TIME_CONTEXT_EXPONENT", "gamma", 4),
)


def main() -> int:
    """Print the coefficients, the errors and the per-group tables."""
    c = fit()
    print(f"GPU specs: {gpu_spec_file()}")
    print("Engine constants (v3 stack) for ai_impact/engine/text.py:")
    for const, key, digits in ENGINE_CONSTANTS:
        print(f"{const} = {rounded(c[key], digits)!r}")
    print(
        f"v2-stack terms (fitting only): a_0 {c['a_0_ms_v2']:.4g} ms, "
        f"a_s {c['a_s_ms_v2']:.4g} ms, c_0 {c['c_0_ms_v2']:.4g} ms, c_s {c['c_s_ms_v2']:.4g} ms"
    )
    print(
        "Latent average prompt length per workload (tokens): "
        + ", ".join(f"{w} {c['prompt_tokens_' + w]:.0f}" for w in WORKLOADS[1:])
    )
    res = lomo_errors()
    print(f"\nErrors on {res['rows']} rows, exp|ln(pred/meas)|, median / p90:")
    lines = (
        ("energy  in-sample", res["energy"]["insample"]),
        ("energy  LOMO", res["energy"]["lomo"]),
        ("energy  LOMO, all rows with the v3 stack", res["energy_lomo_v3_stack"]),
        ("energy  engine.text (v3 constants), in-sample", res["engine_insample"]["energy"]),
        ("time    in-sample (vs Little's-law latency)", res["time"]["insample"]),
        ("time    LOMO", res["time"]["lomo"]),
        ("time    LOMO, all rows with the v3 stack", res["time"]["lomo_v3_stack"]),
        ("time    LOMO vs T_out x reported ITL", res["time"]["lomo_vs_itl"]),
        ("time    engine.text (v3 constants), in-sample", res["engine_insample"]["time"]),
        ("EcoLogits 0.11.3 (its GPU-count rule)", res["ecologits"]),
        ("EcoLogits 0.11.3 (measured GPU count)", res["ecologits_measured_gpus"]),
    )
    for label, (med, p90) in lines:
        print(f"  {label:48s} {med:.3f} / {p90:.3f}")
    keys = ("energy_in", "energy_lomo", "energy_lomo_v3_stack", "time_lomo", "ecologits")
    for gname in ("version", "gpu", "task", "model"):
        print(f"\nBy {gname}: rows | " + " | ".join(keys))
        for label, t in res["tables"][gname].items():
            cells = " | ".join("{:.2f}/{:.2f}".format(*t[key]) for key in keys)
            print(f"  {label[:50]:50s} {t['rows']:4d} | {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
