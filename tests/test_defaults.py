"""Modelling defaults: applied where the row and the catalog are silent, and documented."""

from __future__ import annotations

from pathlib import Path

import pytest

import ai_impact
from ai_impact import catalog as _catalog
from ai_impact.catalog import defaults

ROOT = Path(__file__).resolve().parents[1]


def _assumptions(row: dict) -> dict:
    (out,) = ai_impact.estimate([row], debug=True)
    assert out["error"] is None
    return out["debug"]["assumptions"]


def test_methodology_names_the_defaults_and_their_module() -> None:
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    assert "catalog/defaults.py" in text
    for value in (defaults.DEFAULT_NODE_ID, "bf16", "H200", "64"):
        assert value in text


@pytest.mark.parametrize(
    ("row", "batch"),
    [
        # docs/methodology.md §3 and §12: text and encoders 64 (EcoLogits), image generation 1
        # (ML.ENERGY's serving runs), speech to text 32 (the Whisper measurement's batch).
        ({"model_id": "llama_31_8b", "output_tokens": 100}, 64),
        ({"model_id": "stable_diffusion_xl", "output_images": ["1024x1024"]}, 1),
        ({"model_id": "whisper_large_v3_turbo", "input_audio_seconds": 30}, 32),
        ({"model_id": "llama_31_8b", "output_tokens": 100, "batch_size": 8}, 8),
    ],
)
def test_batch_size_defaults_per_method(row: dict, batch: float) -> None:
    assert _assumptions(row)["batch_size"] == batch


def test_rows_naming_no_hardware_run_on_the_reference_node_in_16_bits() -> None:
    (out,) = ai_impact.estimate([{"model_id": "llama_31_8b", "output_tokens": 100}], debug=True)
    assert out["debug"]["hardware_node"]["id"] == "aws:p5.48xlarge"
    assert out["debug"]["assumptions"]["bytes_per_param"] == 2.0
    assert out["debug"]["assumptions"]["hardware_resolved_by"] == "default node"


def test_a_custom_gpu_is_scaled_from_the_h200() -> None:
    cat = _catalog.default()
    h200 = cat.gpus.row(cat.gpus.find("h200"))
    row = {"tdp_w": 350.0}
    defaults.complete_gpu(row, 0.5, cat)
    # gpus.csv h200 row: 141 GB, 4.8 TB/s, 989 TFLOPS, idle 80.1 W of 700 W.
    assert row["memory_gb"] == pytest.approx(0.5 * 141)
    assert row["memory_bandwidth_tbps"] == pytest.approx(0.5 * 4.8)
    assert row["bf16_dense_tflops"] == pytest.approx(0.5 * 989)
    assert row["idle_power_w"] == pytest.approx(350 * 80.1 / 700)
    assert defaults.ratio_to_h200(h200, cat) == 1.0
    given = {"tdp_w": 350.0, "memory_gb": 24.0}
    defaults.complete_gpu(given, 0.5, cat)
    assert given["memory_gb"] == 24.0  # what the caller gives is kept


def test_a_custom_node_takes_the_reference_node_per_gpu() -> None:
    cat = _catalog.default()
    row = {"gpu_count": 2, "use_life_years": 4.0}
    defaults.complete_node(row, cat)
    # nodes.csv aws:p5.48xlarge: 8 GPUs, 856.2 W host, 5,699 kg and 38,272.5 L ex GPU, u = 0.7.
    assert row["idle_power_w_ex_gpu"] == pytest.approx(856.2 * 2 / 8)
    assert row["embodied_emissions_kgco2e_ex_gpu"] == pytest.approx(5699 * 2 / 8)
    assert row["embodied_water_l_ex_gpu"] == pytest.approx(38272.5 * 2 / 8)
    assert row["use_life_years"] == 4.0
    assert row["average_utilization_rate"] == 0.7


def test_missing_reference_rows_are_named() -> None:
    cat = _catalog.default()
    with pytest.raises(ValueError, match="'nope'"):
        defaults.reference_row(cat, "gpus", "nope")
