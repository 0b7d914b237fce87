"""Text physics: every prompt token charged, attention growing with context, prefix-cache hits,
quantised datatypes, reasoning tokens, and the fitted coefficients file the engine loads."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import ai_impact
from ai_impact import catalog
from ai_impact.engine import text
from ai_impact.fields import DATATYPE_BYTES
from measured import gpu_wh as measured_gpu_wh
from measured import median_error

CALIBRATION_CSV = Path(ai_impact.__file__).parent / "calibration" / "mlenergy_llm.csv"
LLAMA_70B_4XH100 = {
    "active_params_billions": 70.6,
    "total_params_billions": 70.6,
    "bytes_per_param": 2.0,
    "gpu_count": 4.0,
    "batch_size": 64.0,
    "gpu_tdp_w": 700.0,
    "gpu_memory_bandwidth_tbps": 3.35,
    "gpu_bf16_tflops": 989.0,
    "gpu_memory_gb": 80.0,
}


def _args(n: int, **overrides: float) -> dict[str, np.ndarray]:
    return {k: np.full(n, float(v)) for k, v in (LLAMA_70B_4XH100 | overrides).items()}


def _energy(t_in: float, t_out: float, cached: float = 0.0, **overrides: float) -> float:
    return float(
        text.gpu_energy_j(
            np.array([t_in]),
            np.array([t_out]),
            **_args(1, **overrides),
            cached_tokens=np.array([cached]),
        )[0]
    )


def test_every_prompt_token_is_charged() -> None:
    # A 1-token answer to a 400-token prompt pays the prompt's compute: 2 * 70.6e9 FLOPs per
    # token at MFU 0.4 of 989 TFLOP/s and 0.84 x 700 W is ~0.21 J per token, ~84 J in all.
    assert _energy(400, 1) > 60.0
    # A 0-token prompt costs no prefill; a prompt costs more than no prompt.
    assert _energy(0, 500) < _energy(1, 500) < _energy(400, 500)
    prefill_only = _energy(400, 0)
    assert prefill_only == pytest.approx(
        float(
            text.prefill_energy_j(
                np.array([400.0]),
                np.array([70.6]),
                np.array([70.6]),
                np.array([2.0]),
                np.array([700.0]),
                np.array([989.0]),
            )[0]
        )
    )


def test_long_prompts_grow_faster_than_linearly() -> None:
    # Attention FLOPs grow with the square of the prompt: 100k tokens cost more than 10x 10k.
    ten_k, hundred_k = _energy(10_000, 0), _energy(100_000, 0)
    assert hundred_k > 10.5 * ten_k
    # The quadratic part is physical: 2 * A * T^2 FLOPs with A = layers x attention width.
    width = float(text.attention_width_millions(np.array([70.6]), np.array([70.6]))[0]) * 1e6
    assert 0.5 * 80 * 8192 < width < 2 * 80 * 8192  # Llama 3.1 70B: 80 layers x 8192
    # Epoch AI's prefill analysis: a 10k-token prompt costs several times a 500-token answer.
    assert _energy(10_000, 0) > 2 * _energy(0, 500)


def test_decode_energy_grows_with_context() -> None:
    a = _args(3)
    per_token = text.decode_energy_per_token_j(**a, context_tokens=np.array([0.0, 1e3, 1e5]))
    assert np.all(np.diff(per_token) > 0)


def test_cached_prompt_tokens_skip_prefill_but_keep_attention() -> None:
    full, cached = _energy(10_000, 200), _energy(10_000, 200, cached=9_000)
    fresh_tail = _energy(1_000, 200)
    assert cached < full
    # The 1,000 new tokens still attend to the 9,000 cached ones, and decoding reads their KV.
    assert cached > fresh_tail
    # Fully cached: no prefill compute at all, only decode.
    assert _energy(5_000, 100, cached=5_000) < _energy(5_000, 100)
    busy = text.busy_time_s(
        np.array([10_000.0, 10_000.0]),
        np.array([200.0, 200.0]),
        **_args(2),
        cached_tokens=np.array([0.0, 9_000.0]),
    )
    assert busy[1] < busy[0]


@pytest.mark.parametrize(
    "name",
    [
        "bf16",
        "FP16",
        "fp8",
        "fp8_e4m3",
        "Fp8-E4M3",
        "int8",
        "fp4",
        "MXFP4",
        "nvfp4",
        "int4",
        "awq",
        "GPTQ",
        "FP8_BLOCK",
    ],
)
def test_datatypes_named_as_model_cards_do_are_accepted(name: str) -> None:
    (out,) = ai_impact.estimate(
        [{"model_id": "llama_31_70b", "output_tokens": 100, "model_datatype": name}], debug=True
    )
    assert out["error"] is None, out["error"]
    assert out["debug"]["assumptions"]["bytes_per_param"] == DATATYPE_BYTES[name.lower()]


def test_unknown_datatype_is_a_row_error_naming_the_field() -> None:
    good = {"model_id": "llama_31_70b", "output_tokens": 100}
    out = ai_impact.estimate([{**good, "model_datatype": "fp5"}, good])
    assert out[0]["error"]["details"]["field"] == "model_datatype"
    assert out[1]["error"] is None


def test_quantised_weights_cost_less_than_bf16_on_the_same_replica() -> None:
    bf16 = _energy(400, 500)
    fp8 = _energy(400, 500, bytes_per_param=1.0)
    fp4 = _energy(400, 500, bytes_per_param=0.5)
    assert fp4 <= fp8 <= bf16
    # Fitted, within the physical bounds of the fit, per GPU generation and FP8 scaling.
    p = text.PHYSICS
    for suffix in ("", "_blackwell"):
        assert 1.0 <= getattr(p, "bytes_8bit" + suffix) <= 2.0
        assert 1.0 <= getattr(p, "bytes_8bit_block" + suffix) <= 2.0
        assert 0.5 <= getattr(p, "bytes_4bit" + suffix) <= 2.0
        assert 1.0 <= getattr(p, "speed_8bit" + suffix) <= 2.0
        assert 1.0 <= getattr(p, "speed_8bit_block" + suffix) <= 2.0
    # No FP4 tensor cores before Blackwell: 4-bit weights compute at the BF16 peak there.
    assert p.speed_4bit == 1.0 and 1.0 <= p.speed_4bit_blackwell <= 4.0


def test_absent_prompt_is_the_documented_typical_prompt() -> None:
    base = {"model_id": "llama_31_70b", "gpu_id": "h100", "gpu_count": 4, "output_tokens": 500}
    absent, typical, empty = ai_impact.estimate(
        [
            base,
            {**base, "input_tokens": int(text.TYPICAL_PROMPT_TOKENS)},
            {**base, "input_tokens": 0},
        ],
        debug=True,
    )
    assert absent["debug"]["assumptions"]["input_tokens"] == text.TYPICAL_PROMPT_TOKENS
    metric = "usage_energy_wh"
    assert absent["inference_impact"][metric] == pytest.approx(typical["inference_impact"][metric])
    assert empty["inference_impact"][metric] < absent["inference_impact"][metric]


def test_cached_and_reasoning_tokens_on_rows() -> None:
    base = {"model_id": "llama_31_70b", "input_tokens": 8000, "output_tokens": 500}
    plain, cached, reasoning = ai_impact.estimate(
        [base, {**base, "input_cached_tokens": 7000}, {**base, "output_reasoning_tokens": 400}]
    )
    metric = "usage_energy_wh"
    assert cached["error"] is None and reasoning["error"] is None
    assert cached["inference_impact"][metric] < plain["inference_impact"][metric]
    # Reasoning tokens are part of output_tokens: same energy.
    assert reasoning["inference_impact"][metric] == pytest.approx(plain["inference_impact"][metric])


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"input_tokens": 10, "input_cached_tokens": 11}, "input_cached_tokens"),
        ({"output_tokens": 10, "output_reasoning_tokens": 11}, "output_reasoning_tokens"),
        ({"input_tokens": 10, "input_cached_tokens": -1}, "input_cached_tokens"),
    ],
)
def test_token_parts_must_fit_their_whole(row: dict, field: str) -> None:
    good = {"model_id": "llama_31_70b", "output_tokens": 20}
    out = ai_impact.estimate([{**good, **row}, good])
    assert out[0]["error"]["details"]["field"] == field
    assert out[1]["error"] is None


def _one(**values: float | bool) -> dict[str, np.ndarray]:
    return {k: np.array([v]) for k, v in values.items()}


def test_moe_weights_read_from_the_published_experts() -> None:
    # Llama 4 Maverick: 400 B total, 17 B active, 128 routed experts of 3.02 B (one per token)
    # and a shared part of 400 - 128 x 3.02 = 13.4 B read at every step.
    shared = 400.0 - 128 * 3.02
    arch = text.Architecture(np.array([shared]), np.array([np.nan]), np.array([np.nan]))
    a = _one(active_params_billions=17.0, total_params_billions=400.0, bytes_per_param=1.0)
    p = text.PHYSICS
    for batch in (1.0, 8.0, 64.0):
        got = text.weight_gb_per_step(**a, batch_size=np.array([batch]), arch=arch)[0]
        routed_share = (17.0 - shared) / (400.0 - shared)
        touched = 1.0 - (1.0 - routed_share) ** batch
        assert got == pytest.approx(p.bytes_8bit * (shared + (400.0 - shared) * touched))
    # Without published experts the fitted routed share of the active parameters is used; a
    # top-1-of-128 model touches far fewer weights at small batches than that default implies.
    default = text.weight_gb_per_step(**a, batch_size=np.array([8.0]))[0]
    published = text.weight_gb_per_step(**a, batch_size=np.array([8.0]), arch=arch)[0]
    assert published < 0.6 * default
    # The catalog's experts reach the engine: Maverick on 8 H100 costs less per token than
    # the same sizes given inline (no experts known).
    row = {"gpu_id": "h100", "gpu_count": 8, "batch_size": 8, "input_tokens": 100,
           "output_tokens": 400, "model_datatype": "fp8"}  # fmt: skip
    by_id, inline = ai_impact.estimate(
        [
            {**row, "model_id": "llama_4_maverick"},
            {**row, "model_total_params_billions": 400, "model_active_params_billions": 17},
        ]
    )
    assert by_id["error"] is None and inline["error"] is None
    assert (
        by_id["inference_impact"]["usage_energy_wh"] < inline["inference_impact"]["usage_energy_wh"]
    )


def test_hybrid_state_space_layers_keep_a_fixed_state_instead_of_a_growing_cache() -> None:
    # Nemotron-H style: 4 of 56 layers attend over a KV cache; the Mamba-2 layers read and
    # write a fixed state per sequence at every step, whatever the context.
    a = _args(1, active_params_billions=9.0, total_params_billions=9.0, gpu_count=1.0)
    state_gb = 0.1435
    hybrid = text.Architecture(np.array([np.nan]), np.array([4 / 56]), np.array([state_gb]))
    dense = [text.decode_energy_per_token_j(**a, context_tokens=c) for c in (0.0, 1e4)]
    hyb = [text.decode_energy_per_token_j(**a, context_tokens=c, arch=hybrid) for c in (0.0, 1e4)]
    e_b = text.PHYSICS.j_per_gb
    assert hyb[0][0] - dense[0][0] == pytest.approx(2 * e_b * state_gb)
    assert hyb[1][0] - hyb[0][0] == pytest.approx((dense[1][0] - dense[0][0]) * 4 / 56)


def test_the_engine_applies_the_datatype_factors_of_the_gpu_generation() -> None:
    # B200 is a Blackwell GPU (gpus.csv generation): its fp8 rows take the factors fitted on
    # B200, its bf16 rows none; the estimate is the formula with blackwell=True.
    rows = [
        {"model_id": "llama_31_70b", "gpu_id": "b200", "gpu_count": 2, "batch_size": 64,
         "input_tokens": 400, "output_tokens": 500, "model_datatype": dtype}
        for dtype in ("fp8", "bf16")
    ]  # fmt: skip
    out = ai_impact.estimate(rows, debug=True)
    specs = {"gpu_tdp_w": 1000.0, "gpu_memory_bandwidth_tbps": 8.0, "gpu_bf16_tflops": 2250.0,
             "gpu_memory_gb": 180.0}  # fmt: skip
    for o, nbytes in zip(out, (1.0, 2.0), strict=True):
        a = _one(active_params_billions=70.55, total_params_billions=70.55,
                 bytes_per_param=nbytes, gpu_count=2.0, batch_size=64.0, **specs)  # fmt: skip
        for blackwell, same in ((True, True), (False, nbytes == 2.0)):
            c = text.coefficients(**a, blackwell=np.array([blackwell]))
            j = text.request_gpu_j_and_busy_s(
                np.array([400.0]), np.array([500.0]), c, np.zeros(1, int)
            )[0][0]
            got = o["debug"]["energy_breakdown"]["gpu_wh"] * 3600
            assert bool(got == pytest.approx(j, rel=1e-9)) is same, (nbytes, blackwell)


def test_block_scaled_fp8_takes_its_own_fitted_factors() -> None:
    rows = [
        {"model_id": "llama_31_70b", "gpu_id": "h100", "gpu_count": 4, "batch_size": 64,
         "input_tokens": 400, "output_tokens": 500, "model_datatype": dtype}
        for dtype in ("fp8", "fp8_block")
    ]  # fmt: skip
    channel, block = (
        o["debug"]["energy_breakdown"]["gpu_wh"] for o in ai_impact.estimate(rows, debug=True)
    )
    p = text.PHYSICS
    assert (block > channel) is (p.bytes_8bit_block > p.bytes_8bit)
    a = _args(1, bytes_per_param=1.0, active_params_billions=70.55, total_params_billions=70.55)
    c = text.coefficients(**a, block_scaled=np.array([True]))
    j = text.request_gpu_j_and_busy_s(np.array([400.0]), np.array([500.0]), c, np.zeros(1, int))[0][
        0
    ]
    assert block * 3600 == pytest.approx(j, rel=1e-9)


def test_every_gpu_names_its_generation() -> None:
    from ai_impact import catalog

    gpus = catalog.default().gpus
    generations = dict(zip(gpus["gpu_id"], gpus["generation"], strict=True))
    assert all(generations.values())
    blackwell = {g for g, gen in generations.items() if gen in text.BLACKWELL_GENERATIONS}
    assert blackwell == {"b200", "gb200", "b300", "rtx_pro_6000_bse"}
    assert generations["h100"] == "hopper" and generations["a100_80gb"] == "ampere"


def test_catalog_experts_and_fp8_scaling_match_the_calibrated_configurations() -> None:
    """The catalog serves a calibrated model as it was measured: the experts recorded from its
    config.json with the ML.ENERGY rows (routed experts only; a shared expert is part of the
    always-active parameters) and, for FP8 checkpoints, the same scaling (DeepSeek-V3.x:
    128x128 block scales, arXiv:2412.19437 section 3.3 -> datatype fp8_block)."""
    models = catalog.default().models
    checked = set()
    with open(CALIBRATION_CSV, newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            row = models.find(r["model_id"])
            if row is None or not r["number_of_experts"]:
                continue
            model_id = str(models["model_id"][row])
            assert models["number_of_experts"][row] == float(r["number_of_experts"]), model_id
            assert models["params_per_expert_billions"][row] == pytest.approx(
                float(r["params_per_expert_b"]), rel=0.01
            ), model_id
            datatype = str(models["datatype"][row])
            if r["weight_precision"] == "fp8" and datatype.startswith("fp8"):
                assert (datatype == "fp8_block") is (r["fp8_scaling"] == "block"), model_id
            checked.add(model_id)
    assert {"deepseek_v31", "deepseek_r1", "qwen3_coder_480b", "llama_4_maverick"} <= checked


def test_catalog_hybrid_layers_bring_nemotron_h_nearer_its_measurements() -> None:
    """Nemotron-Nano-9B-v2 keeps a KV cache in 4 of its 56 layers and a fixed Mamba-2 state in
    27 (catalog kv_layer_fraction, recurrent_state_gb; scripts/catalog/architectures.csv). Named
    by its id, the engine reads them; given inline with the same size it is a transformer.
    Against ML.ENERGY's measured energy per request, the hybrid is nearer (median error)."""
    checkpoint = "nvidia/NVIDIA-Nemotron-Nano-9B-v2"
    hybrid, measured, _ = measured_gpu_wh({checkpoint: {"model_id": checkpoint}})
    dense, _, _ = measured_gpu_wh({checkpoint: {"model_total_params_billions": 8.89}})
    error_hybrid, error_dense = median_error(hybrid, measured), median_error(dense, measured)
    assert error_hybrid < error_dense, (error_hybrid, error_dense)
    assert error_hybrid < 1.3, error_hybrid
