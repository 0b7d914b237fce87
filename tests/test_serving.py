"""Serving profiles of hosted services (data/services.csv, docs/methodology.md section 3a) and
the bound on the GPU count the text physics runs on."""

import pytest

import ai_impact
from ai_impact import catalog

SERVICES = catalog.default().services


def one(row: dict) -> dict:
    (out,) = ai_impact.estimate([row], debug=True)
    assert out["error"] is None, out["error"]
    return out


def test_every_profile_value_is_sourced_or_flagged_as_an_assumption() -> None:
    for i, service in enumerate(SERVICES["service_id"]):
        assumed = set((SERVICES["serving_assumption"][i] or "").split("|")) - {""}
        assert assumed <= {"accelerator", "batch_size", "datatype", "location"}, service
        assert "serving:" in SERVICES["notes"][i], service  # the reasoning per row
        assert "serving:" in SERVICES["source"][i], service  # and its sources


def test_hosted_text_model_takes_the_service_profile() -> None:
    out = one({"model_id": "gpt-4o", "managed_service_id": "openai", "output_tokens": 300})
    a = out["debug"]["assumptions"]
    assert a["batch_size"] == 256
    assert a["bytes_per_param"] == 1.0  # fp8
    assert "assumed: accelerator, batch_size, datatype, location" in a["serving_profile"]


def test_the_row_wins_over_the_profile() -> None:
    row = {
        "model_id": "gpt-4o",
        "managed_service_id": "openai",
        "output_tokens": 300,
        "batch_size": 32,
        "model_datatype": "bf16",
    }
    a = one(row)["debug"]["assumptions"]
    assert (a["batch_size"], a["bytes_per_param"]) == (32, 2.0)


def test_a_service_never_upcasts_a_low_bit_checkpoint() -> None:
    # gpt-oss is published in MXFP4 (catalog fp4); an fp8 service keeps it in 4 bits.
    row = {"model_id": "gpt_oss_120b", "managed_service_id": "aws-bedrock", "output_tokens": 300}
    assert one(row)["debug"]["assumptions"]["bytes_per_param"] == 0.5


def test_profile_batch_is_for_text_models_only() -> None:
    row = {"model_id": "stable_diffusion_v1_5", "managed_service_id": "replicate"}
    assert one(row)["debug"]["assumptions"]["batch_size"] == 1


def test_tpu_replica_is_sized_at_the_served_datatype() -> None:
    row = {"model_id": "gemini-2.5-flash", "managed_service_id": "google-gemini"}
    int8 = one({**row, "output_tokens": 300})["debug"]["assumptions"]["gpu_count"]
    bf16 = one({**row, "output_tokens": 300, "model_datatype": "bf16"})["debug"]["assumptions"]
    assert int8 * 2 == bf16["gpu_count"]


def test_gpu_count_beyond_the_fitted_range_is_bounded() -> None:
    base = {
        "model_id": "llama_31_405b",
        "node_id": "aws:p5.48xlarge",
        "batch_size": 64,
        "input_tokens": 400,
        "output_tokens": 500,
    }
    sixteen = one({**base, "gpu_count": 16})
    sixty_four = one({**base, "gpu_count": 64})
    # The replica's size is reported as given, the physics runs on its 16-GPU group.
    assert sixty_four["debug"]["assumptions"]["gpu_count"] == 64
    assert sixty_four["debug"]["energy_breakdown"]["gpu_wh"] == pytest.approx(
        sixteen["debug"]["energy_breakdown"]["gpu_wh"]
    )
