"""ai_impact.estimate: the seed example, resolution, errors as data, and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_impact
import ai_impact.fields
from ai_impact.engine.columns import BLOCKS, METRICS

SEED = {
    "model_id": "llama_31_70b",
    "gpu_id": "h100",
    "gpu_count": 4,
    "input_tokens": 100,
    "output_tokens": 500,
    "country": "US",
}


def one(row: dict, debug: bool = False) -> dict:
    (out,) = ai_impact.estimate([row], debug=debug)
    return out


def test_seed_example_llama_70b_on_4_h100_us_grid() -> None:
    out = one(SEED, debug=True)
    assert out["error"] is None
    facility_wh = out["inference_impact"]["usage_energy_wh"]
    assert 0.1 <= facility_wh <= 0.5
    breakdown = out["debug"]["energy_breakdown"]
    assert breakdown["gpu_wh"] < breakdown["it_wh"] < breakdown["facility_wh"]
    assert breakdown["facility_wh"] == pytest.approx(facility_wh)
    gco2e = out["inference_impact"]["usage_emissions_gco2e"]
    intensity = out["debug"]["grid_mix"]["gco2e_per_kwh"]
    assert gco2e == pytest.approx(facility_wh * intensity / 1000)
    assert out["debug"]["grid_mix"]["country"] == "US"
    assert out["debug"]["assumptions"]["gpu_count"] == 4
    assert out["debug"]["hardware_node"]["gpu_id"] == "h100"


def test_total_is_the_sum_of_the_blocks() -> None:
    out = one({"model_id": "llama_31_8b", "output_tokens": 300, "managed_service_id": "together"})
    for metric in METRICS:
        parts = sum(out[b][metric] for b in BLOCKS[:3])
        assert out["total_impact"][metric] == pytest.approx(parts)
    # Every model carries a training share (docs/methodology.md section 8): never zero.
    assert out["training_impact"]["usage_emissions_gco2e"] > 0


@pytest.mark.parametrize(
    "row",
    [
        {"model_id": "gpt-4o", "output_tokens": 200, "managed_service_id": "openai"},
        {"model_id": "openai/gpt-4o", "output_tokens": 200},
        {"model_used_id": "gpt-4o-2024-08-06", "output_tokens": 200},
        {"model_id": "claude-3-5-sonnet-20241022", "output_tokens": 200},
        {"model_hugging_face_path": "meta-llama/Llama-3.1-8B-Instruct", "output_tokens": 200},
        {"model_id": "llama_31_8b", "output_tokens": 200, "node_id": "aws:p4d.24xlarge"},
        {
            "model_id": "llama_31_8b",
            "output_tokens": 200,
            "cloud_id": "gcp",
            "cloud_region": "europe-west1",
        },
        {"model_total_params_billions": 12, "output_tokens": 200},
    ],
)
def test_rows_clients_send_are_estimated(row: dict) -> None:
    out = one(row, debug=True)
    assert out["error"] is None, out["error"]
    assert out["inference_impact"]["usage_energy_wh"] > 0
    assert out["inference_impact"]["embodied_emissions_gco2e"] > 0
    assert out["inference_impact"]["usage_water_ml"] > 0


def test_debug_says_how_each_part_was_resolved() -> None:
    out = one(
        {
            "model_id": "openrouter/openai/gpt-4o",
            "output_tokens": 10,
            "managed_service_id": "openai",
        },
        debug=True,
    )
    assumptions = out["debug"]["assumptions"]
    assert "router prefix" in assumptions["model_resolved_by"]
    assert assumptions["hardware_resolved_by"] == "managed_service_id default node"
    assert assumptions["location_resolved_by"] == "managed_service_id default location"
    gcp = one(
        {
            "model_id": "llama_31_8b",
            "cloud_id": "gcp",
            "cloud_region": "europe-west1",
            "utc_datetime": "2022-05-01T00:00:00Z",
        },
        debug=True,
    )
    assert gcp["debug"]["assumptions"]["grid_year"] == 2022
    assert "provider-published" in gcp["debug"]["assumptions"]["location_resolved_by"]


def test_inline_fields_override_the_catalog() -> None:
    base = one({"model_id": "llama_31_70b", "output_tokens": 500}, debug=True)
    fp8 = one(
        {"model_id": "llama_31_70b", "output_tokens": 500, "model_datatype": "fp8"}, debug=True
    )
    assert fp8["debug"]["assumptions"]["bytes_per_param"] == 1
    assert fp8["debug"]["assumptions"]["gpu_count"] < base["debug"]["assumptions"]["gpu_count"]
    big_batch = one({"model_id": "llama_31_70b", "output_tokens": 500, "batch_size": 512})
    small_batch = one({"model_id": "llama_31_70b", "output_tokens": 500, "batch_size": 8})
    assert (
        small_batch["inference_impact"]["usage_energy_wh"]
        > 3 * big_batch["inference_impact"]["usage_energy_wh"]
    )


def test_grid_matters() -> None:
    sweden = one({**SEED, "country": "SE"})
    poland = one({**SEED, "country": "PL"})
    assert (
        poland["inference_impact"]["usage_emissions_gco2e"]
        > 5 * sweden["inference_impact"]["usage_emissions_gco2e"]
    )
    assert (
        poland["inference_impact"]["usage_energy_wh"]
        == sweden["inference_impact"]["usage_energy_wh"]
    )


def test_long_prompts_cost_more() -> None:
    short = one({**SEED, "input_tokens": 200})
    long = one({**SEED, "input_tokens": 20_000})
    assert (
        long["inference_impact"]["usage_energy_wh"] > short["inference_impact"]["usage_energy_wh"]
    )


@pytest.mark.parametrize(
    ("row", "code", "field"),
    [
        ({"model_id": "no-such-model", "output_tokens": 5}, "unknown_model", "model_id"),
        ({"output_tokens": 5}, "missing_field", "model_id"),
        ({**SEED, "node_id": "aws:nope"}, "unknown_node", "node_id"),
        ({**SEED, "gpu_id": "gtx_480"}, "unknown_gpu", "gpu_id"),
        (
            {**SEED, "cloud_id": "aws", "cloud_instance_id": "x9.huge"},
            "unknown_node",
            "cloud_instance_id",
        ),
        ({**SEED, "output_tokens": -3}, "invalid_field", "output_tokens"),
        ({**SEED, "output_tokens": "three"}, "invalid_field", "output_tokens"),
        ({**SEED, "output_tokens": math.nan}, "invalid_field", "output_tokens"),
        (
            {**SEED, "model_total_params_billions": 1e7},
            "invalid_field",
            "model_total_params_billions",
        ),
        ({**SEED, "task": "clustering"}, "unsupported_task", "task"),
    ],
)
def test_bad_rows_get_an_error_and_zeros(row: dict, code: str, field: str) -> None:
    out = one(row)
    assert out["error"]["code"] == code
    assert out["error"]["details"] == {"reason": code, "field": field}
    assert field in out["error"]["message"] or code in (
        "unknown_model",
        "unknown_node",
        "unknown_gpu",
        "unsupported_task",
    )
    for block in BLOCKS:
        assert set(out[block].values()) == {0.0}


def test_bad_rows_do_not_touch_good_rows() -> None:
    good = [{**SEED, "output_tokens": n} for n in (10, 20, 30)]
    bad = [{"model_id": "nope"}, {**SEED, "input_tokens": -1}, {"output_tokens": []}]
    mixed = [good[0], bad[0], good[1], bad[1], bad[2], good[2]]
    out = ai_impact.estimate(mixed)
    alone = ai_impact.estimate(good)
    assert [out[0], out[2], out[5]] == alone
    assert all(out[i]["error"] is not None for i in (1, 3, 4))


MODELS = ["llama_31_8b", "llama_31_70b", "gpt-4o", "mistral-large-2407", "qwen3-235b-a22b"]
ROWS = st.fixed_dictionaries(
    {
        "model_id": st.sampled_from(MODELS),
        "input_tokens": st.integers(0, 100_000_000),
        "output_tokens": st.integers(0, 100_000_000),
    },
    optional={
        "batch_size": st.integers(1, 100_000),
        "gpu_count": st.integers(1, 10_000),
        "country": st.sampled_from(["US", "FR", "IN", "ZZ", "CN"]),
        "managed_service_id": st.sampled_from(["openai", "anthropic", "groq", "mystery"]),
        "gpu_id": st.sampled_from(["h100", "a100_40gb", "l4", "t4", "mi300x", "b200"]),
        "utc_datetime": st.sampled_from(["2015-01-01T00:00:00Z", "2024-06-01T00:00:00Z"]),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROWS, min_size=1, max_size=20))
def test_properties(rows: list[dict]) -> None:
    out = ai_impact.estimate(rows)
    assert len(out) == len(rows)
    again = ai_impact.estimate(rows)
    assert out == again  # same input, same output
    for result in out:
        values = [result[b][m] for b in BLOCKS for m in METRICS]
        assert all(math.isfinite(v) and v >= 0 for v in values)
        for m in METRICS:
            assert result["total_impact"][m] == pytest.approx(sum(result[b][m] for b in BLOCKS[:3]))
    # Row order is kept: reversing the rows reverses the results.
    assert ai_impact.estimate(rows[::-1]) == out[::-1]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(MODELS),
    st.integers(0, 10_000_000),
    st.integers(0, 10_000_000),
    st.integers(0, 1000),
    st.integers(0, 1000),
)
def test_monotone_in_tokens(
    model: str, input_tokens: int, output_tokens: int, more_in: int, more_out: int
) -> None:
    base = {"model_id": model, "input_tokens": input_tokens, "output_tokens": output_tokens}
    bigger = {
        **base,
        "input_tokens": input_tokens + more_in,
        "output_tokens": output_tokens + more_out,
    }
    low, high = ai_impact.estimate([base, bigger])
    for block in ("inference_impact", "total_impact"):
        for m in METRICS:
            assert high[block][m] >= low[block][m] * (1 - 1e-12)


def test_many_rows_match_one_by_one() -> None:
    rng = np.random.default_rng(7)
    rows = [
        {
            "model_id": MODELS[i % len(MODELS)],
            "output_tokens": int(rng.integers(1, 5000)),
            "input_tokens": int(rng.integers(0, 50_000)),
        }
        for i in range(200)
    ]
    together = ai_impact.estimate(rows)
    assert together == [one(r) for r in rows]


PLAUSIBLE = st.sampled_from(
    [
        "llama_31_8b",
        "gpt-4o",
        "stable_diffusion_xl",
        "whisper-1",
        "h100",
        "US",
        "NY",
        "chat",
        "text-to-image",
        "speech-to-text",
        "text-embedding",
        "1024x1024",
        "512x512,64x64",
        "fp8",
        "openai",
        "aws",
        "p5.48xlarge",
        "us-east-1",
        "2024-05-01T00:00:00Z",
        "0x0",
        "NaN",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | PLAUSIBLE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)
FIELD_NAMES = st.sampled_from([*sorted(ai_impact.fields.ALL_FIELDS), "unknown_key"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=8) | JSON_VALUES, max_size=8))
def test_any_json_rows_never_raise(rows: list) -> None:
    """Whatever a client sends, every row gets an answer: impacts or an error naming a field."""
    out = ai_impact.estimate(rows, debug=True)
    assert len(out) == len(rows)
    for result in out:
        values = [result[b][m] for b in BLOCKS for m in METRICS]
        assert all(math.isfinite(v) and v >= 0 for v in values)
        if result["error"] is not None:
            assert result["error"]["details"]["field"]
            assert set(values) == {0.0}
