"""The text-generation energy model: calibration reproducibility, accuracy and sanity."""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest

from ai_impact.calibration import fit_text
from ai_impact.engine import text

H100 = {
    "gpu_tdp_w": 700.0,
    "gpu_memory_bandwidth_tbps": 3.35,
    "gpu_bf16_tflops": 989.0,
    "gpu_memory_gb": 80.0,
}


@pytest.fixture(scope="module")
def fitted() -> dict:
    return fit_text.fit()


@pytest.fixture(scope="module")
def errors(fitted: dict) -> dict:
    return fit_text.lomo_errors(fitted=fitted)


def _args(n: int = 1, **overrides: float) -> dict[str, np.ndarray]:
    base = {
        "active_params_billions": 70.0,
        "total_params_billions": 70.0,
        "bytes_per_param": 2.0,
        "gpu_count": 4.0,
        "batch_size": 64.0,
        **H100,
    }
    base.update(overrides)
    return {k: np.full(n, float(v)) for k, v in base.items()}


def test_refit_reproduces_the_committed_coefficients(fitted: dict) -> None:
    """One physics: the fit calls engine.text and its result is the file the engine loads."""
    document = json.loads(fit_text.COEFFICIENTS_JSON.read_text(encoding="utf-8"))
    assert document["data_sha256"] == fit_text.data_sha256()
    assert document["script_version"] == fit_text.SCRIPT_VERSION
    assert set(document["coefficients"]) == {f.name for f in dataclasses.fields(text.TextPhysics)}
    for name, value in document["coefficients"].items():
        assert fitted["coefficients"][name] == pytest.approx(value, rel=1e-3, abs=1e-6), name
        assert float(getattr(text.PHYSICS, name)) == value, name


def test_lomo_energy_error_on_v3_rows(errors: dict) -> None:
    v3 = errors["summary"]["v3"]
    median, p90 = v3["energy_lomo_v3_stack"]
    # The target, 1.15 / 1.5 (measured 1.142 / 1.498, docs/calibration.md section 4).
    assert median <= 1.15 and p90 <= 1.5
    # Better than the six-coefficient power law and EcoLogits on the same held-out rows.
    base, eco = v3["powerlaw_lomo"], v3["ecologits"]
    assert median < base[0] and p90 < base[1]
    assert median < eco[0] and p90 < eco[1]
    # No GPU generation biased by more than 10% (median of predicted / measured).
    for gpu, bias in v3["bias_by_gpu"].items():
        assert 1 / 1.1 <= bias["energy_lomo_v3_stack"] <= 1.1, gpu


def test_lomo_v2_rows_reported_separately(errors: dict) -> None:
    v2 = errors["summary"]["v2"]
    assert v2["rows"] == 299
    # With its own stack terms the older stack is predicted as well as the current one.
    median, p90 = v2["energy_lomo"]
    assert median <= 1.2 and p90 <= 1.6


def test_lomo_covers_every_row_and_model(errors: dict) -> None:
    rows = fit_text.load_rows()
    assert errors["rows"] == len(rows) == 932
    assert len(errors["tables"]["model"]) == len({r["model_id"] for r in rows})
    assert np.isfinite(errors["lomo_pred_energy"]).all()
    assert np.isfinite(errors["lomo_pred_time"]).all()


def test_busy_time_error_reported(errors: dict) -> None:
    median, p90 = errors["summary"]["v3"]["time_lomo"]
    assert 1.0 <= median <= 1.3 and p90 < 2.5


def test_shipped_data_keeps_sources() -> None:
    with open(fit_text.DATA_CSV, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["source"].startswith("https://github.com/ml-energy/") for r in rows)


def test_llama_70b_4xh100_batch64_matches_v3_measurement(fitted: dict) -> None:
    rows = fit_text.load_rows()
    row = next(
        r
        for r in rows
        if r["model_id"] == "meta-llama/Llama-3.1-70B-Instruct"
        and r["gpu"] == "H100-SXM5-80GB"
        and r["num_gpus"] == "4"
        and r["max_batch_size"] == "64"
        and r["task"] == "v3-lm-arena-chat"
    )
    measured = float(row["energy_per_output_token_J"])
    prompt = fitted["prompt_tokens"]["arena_chat"]["mean"]
    out = float(row["avg_output_tokens"])
    a = _args(batch_size=float(row["avg_batch_size"]))
    predicted = text.gpu_energy_j(np.array([prompt]), np.array([out]), **a)[0] / out
    assert 1 / 1.3 <= predicted / measured <= 1.3


def test_monotone_in_tokens() -> None:
    tokens = np.array([1.0, 10.0, 100.0, 400.0, 401.0, 1e3, 1e4, 1e5, 1e6])
    n = len(tokens)
    a = _args(n)
    fixed = np.full(n, 500.0)
    for f in (text.gpu_energy_j, text.busy_time_s):
        by_input = f(tokens, fixed, **a)
        by_output = f(fixed, tokens, **a)
        assert np.all(np.diff(by_input) >= 0), f.__name__
        assert np.all(np.diff(by_output) > 0), f.__name__
    prefill = text.prefill_energy_j(
        tokens,
        a["active_params_billions"],
        a["total_params_billions"],
        a["bytes_per_param"],
        a["gpu_tdp_w"],
        a["gpu_bf16_tflops"],
    )
    assert np.all(np.diff(prefill) > 0)


@pytest.mark.parametrize(
    "model",
    [
        {"active_params_billions": 8.0, "total_params_billions": 8.0},
        {"active_params_billions": 22.0, "total_params_billions": 235.0},
        {"active_params_billions": 5.0, "total_params_billions": 117.0, "bytes_per_param": 0.5},
    ],
)
def test_energy_per_token_falls_and_busy_time_rises_with_batch(model: dict[str, float]) -> None:
    batch = np.array([1.0, 8.0, 64.0, 256.0, 1024.0, 4096.0])
    a = _args(len(batch), gpu_count=1.0, **model)
    a["batch_size"] = batch
    per_token = text.decode_energy_per_token_j(**a)
    assert np.all(np.diff(per_token) < 0)
    ones = np.ones(len(batch))
    assert np.all(np.diff(text.busy_time_s(400 * ones, 600 * ones, **a)) > 0)
    # Batch size matters a lot: batch 8 vs 512 spans more than x3 (ML.ENERGY: x6.5).
    big = text.decode_energy_per_token_j(
        **_args(2, gpu_count=1.0, **model) | {"batch_size": np.array([8.0, 512.0])}
    )
    assert big[0] / big[1] > 3


def test_more_gpus_cost_more_energy_per_token() -> None:
    gpus = np.array([1.0, 2.0, 4.0, 8.0])
    a = _args(len(gpus))
    a["gpu_count"] = gpus
    assert np.all(np.diff(text.decode_energy_per_token_j(**a)) > 0)


def test_extreme_inputs_finite_and_non_negative() -> None:
    grid = np.array(
        np.meshgrid(
            [1.0, 1e8],  # input tokens
            [1.0, 1e8],  # output tokens
            [1.0, 4096.0],  # batch
            [1.0, 64.0],  # GPUs
            [0.5, 1.0, 2.0],  # bytes per param
            [0.1, 2000.0],  # active params (billions)
            indexing="ij",
        )
    ).reshape(6, -1)
    t_in, t_out, batch, gpus, bpp, active = grid
    specs = [(72.0, 0.3, 121.0, 24.0), (700.0, 3.35, 989.0, 80.0), (1000.0, 8.0, 2250.0, 180.0)]
    for tdp, bw, tflops, mem in specs:
        n = t_in.size
        args = (
            active,
            active * 10.0,
            bpp,
            gpus,
            batch,
            np.full(n, tdp),
            np.full(n, bw),
            np.full(n, tflops),
            np.full(n, mem),
        )
        outputs = (
            text.decode_energy_per_token_j(*args),
            text.prefill_energy_j(
                t_in, active, active * 10.0, bpp, np.full(n, tdp), np.full(n, tflops)
            ),
            text.gpu_energy_j(t_in, t_out, *args),
            text.busy_time_s(t_in, t_out, *args),
        )
        for out in outputs:
            assert out.shape == (n,)
            assert np.isfinite(out).all() and (out >= 0).all()


def test_zero_tokens_give_zero_energy() -> None:
    a = _args(1)
    zero = np.zeros(1)
    assert text.gpu_energy_j(zero, zero, **a)[0] == 0.0
    assert text.busy_time_s(zero, zero, **a)[0] == 0.0


def test_other_gpus_extrapolate_from_specs() -> None:
    # Llama 3.1 8B, 1 GPU, batch 32: slower low-power parts should land within a factor ~3 of
    # the H100 figure, not orders of magnitude away.
    h100 = text.decode_energy_per_token_j(
        **_args(
            active_params_billions=8.0, total_params_billions=8.0, gpu_count=1.0, batch_size=32.0
        )
    )[0]
    for tdp, bw, tflops, mem in [
        (72.0, 0.3, 121.0, 24.0),
        (350.0, 0.864, 362.0, 48.0),
        (700.0, 4.8, 989.0, 141.0),
        (750.0, 5.3, 1307.0, 192.0),
    ]:
        other = text.decode_energy_per_token_j(
            **_args(
                active_params_billions=8.0,
                total_params_billions=8.0,
                gpu_count=1.0,
                batch_size=32.0,
                gpu_tdp_w=tdp,
                gpu_memory_bandwidth_tbps=bw,
                gpu_bf16_tflops=tflops,
                gpu_memory_gb=mem,
            )
        )[0]
        assert 1 / 3 < other / h100 < 3
