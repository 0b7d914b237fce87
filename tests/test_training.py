"""One training rule for every model (docs/methodology.md section 8): training and fine-tuning
are charged in proportion to the request's inference at the fleet training:inference ratio."""

import pytest

import ai_impact
from ai_impact.catalog import defaults
from ai_impact.engine.columns import METRICS

WORKED = {
    "model_id": "llama_31_70b",
    "node_id": "aws:p5.48xlarge",
    "gpu_id": "h100",
    "gpu_count": 4,
    "batch_size": 64,
    "input_tokens": 400,
    "output_tokens": 500,
    "country": "US",
    "utc_datetime": "2024-06-01T12:00:00Z",
}


def one(row: dict, **kwargs: object) -> dict:
    (out,) = ai_impact.estimate([row], **kwargs)
    assert out["error"] is None, out["error"]
    return out


def test_ratios_are_the_fleet_disclosures() -> None:
    # Google 2019-2021: 40% training, 60% inference (Patterson et al. 2022, arXiv:2204.05149).
    assert pytest.approx(0.4 / 0.6) == defaults.TRAINING_RATIO_HIGH
    # Meta: data : experimentation/training : inference = 10 : 20 : 70 (Wu et al. 2022).
    assert pytest.approx(20 / 70) == defaults.TRAINING_RATIO_LOW
    assert defaults.TRAINING_RATIO_LOW < defaults.TRAINING_RATIO < defaults.TRAINING_RATIO_HIGH


def test_worked_example_training_is_a_fraction_of_inference() -> None:
    # Issue 10 item 6: Llama 3.1 70B, 400 in / 500 out: training between 0.2x and 0.8x of inference.
    out = one(WORKED)
    for metric in METRICS:
        ratio = out["training_impact"][metric] / out["inference_impact"][metric]
        assert 0.2 <= ratio <= 0.8, metric
    assert out["fine_tuning_impact"]["usage_energy_wh"] == 0.0


@pytest.mark.parametrize("ratio", [defaults.TRAINING_RATIO_LOW, defaults.TRAINING_RATIO_HIGH])
def test_low_and_high_scenarios_also_land_in_the_band(ratio: float) -> None:
    out = one(WORKED)
    training = ratio * out["inference_impact"]["usage_energy_wh"]
    assert 0.2 <= training / out["inference_impact"]["usage_energy_wh"] <= 0.8


def test_training_follows_the_request_not_a_flat_charge() -> None:
    short = one({**WORKED, "output_tokens": 1})
    long = one({**WORKED, "output_tokens": 10_000})
    # Proportional to the request: 10,000 tokens carry far more training than 1 token (the
    # 400-token prompt is in both), at the same fraction of their inference.
    assert (
        long["training_impact"]["usage_energy_wh"]
        > 100 * (short["training_impact"]["usage_energy_wh"])
    )
    for out in (short, long):
        assert out["training_impact"]["usage_energy_wh"] == pytest.approx(
            defaults.TRAINING_RATIO * out["inference_impact"]["usage_energy_wh"]
        )


@pytest.mark.parametrize(
    ("model", "service"),
    [("gpt-4o", "openai"), ("claude-sonnet-4", "anthropic"), ("gemini-2.5-flash", "google-gemini")],
)
def test_closed_models_get_a_training_estimate_flagged_as_such(model: str, service: str) -> None:
    out = one({"model_id": model, "managed_service_id": service, "output_tokens": 300}, debug=True)
    for metric in METRICS:
        assert out["training_impact"][metric] > 0, metric
    assert out["debug"]["assumptions"]["training_rule"].startswith("estimate:")


def test_fine_tune_splits_development_by_published_energy() -> None:
    # Llama 3.2 11B Vision: 172,284 kWh of its own training on top of Llama 3.1 8B's 1,022,000.
    out = one({"model_id": "llama_32_11b_vision", "output_tokens": 300})
    inference = out["inference_impact"]["usage_energy_wh"]
    share = 172_284 / (172_284 + 1_022_000)
    assert out["fine_tuning_impact"]["usage_energy_wh"] == pytest.approx(
        defaults.TRAINING_RATIO * share * inference
    )
    assert out["training_impact"]["usage_energy_wh"] == pytest.approx(
        defaults.TRAINING_RATIO * (1 - share) * inference
    )


def test_fine_tune_without_published_energy_takes_the_bloomz_share() -> None:
    out = one({"model_id": "deepseek_r1", "output_tokens": 300})
    development = (
        out["training_impact"]["usage_energy_wh"] + (out["fine_tuning_impact"]["usage_energy_wh"])
    )
    assert out["fine_tuning_impact"]["usage_energy_wh"] == pytest.approx(
        defaults.FINE_TUNING_SHARE * development
    )


def test_total_is_the_sum_of_the_three_blocks() -> None:
    out = one({"model_id": "llama_32_11b_vision", "output_tokens": 300})
    for metric in METRICS:
        parts = (
            out["inference_impact"][metric]
            + out["training_impact"][metric]
            + out["fine_tuning_impact"][metric]
        )
        assert out["total_impact"][metric] == pytest.approx(parts)
