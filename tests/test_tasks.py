"""Every task of the API has a documented behaviour (tasks.py, docs/methodology.md §12)."""

from __future__ import annotations

import numpy as np
import pytest

import ai_impact
from ai_impact import tasks
from ai_impact.engine import modalities
from ai_impact.fields import TASKS

INPUTS = {
    tasks.TEXT: {"input_tokens": 300, "output_tokens": 200},
    tasks.IMAGE_GENERATION: {"output_images": ["1024x1024"], "input_steps": 30},
    tasks.ENCODER: {"input_tokens": 300, "input_images": ["640x480"], "input_audio_seconds": 5},
    tasks.SPEECH_TO_TEXT: {"input_audio_seconds": 60, "output_tokens": 150},
    tasks.AUDIO_GENERATION: {"input_tokens": 50, "output_audio_seconds": 10},
}
PARAMS = {
    tasks.TEXT: 8.0,
    tasks.IMAGE_GENERATION: 3.5,
    tasks.ENCODER: 0.3,
    tasks.SPEECH_TO_TEXT: 0.8,
    tasks.AUDIO_GENERATION: 0.5,
}


def one(row: dict, debug: bool = True) -> dict:
    (out,) = ai_impact.estimate([row], debug=debug)
    return out


def test_every_task_has_a_method() -> None:
    assert set(tasks.TASK_METHOD) == set(TASKS)
    assert len(TASKS) == 31


@pytest.mark.parametrize("task", TASKS)
def test_every_task_is_estimated_or_refused_explicitly(task: str) -> None:
    method = tasks.TASK_METHOD[task]
    if method == tasks.UNSUPPORTED:
        out = one({"task": task, "model_total_params_billions": 1, "input_tokens": 10})
        assert out["error"]["code"] == "unsupported_task"
        assert out["error"]["details"]["field"] == "task"
        assert task in out["error"]["message"]
        return
    row = {"task": task, "model_total_params_billions": PARAMS[method], **INPUTS[method]}
    out = one(row)
    assert out["error"] is None, out["error"]
    assert out["inference_impact"]["usage_energy_wh"] > 0
    assert out["inference_impact"]["embodied_emissions_gco2e"] > 0
    assert out["debug"]["assumptions"]["method"] == method
    assert out["debug"]["steps"], "debug.steps lists the parts"


def test_mixed_row_sums_its_parts_and_lists_them() -> None:
    base = {"model_id": "llama_31_8b", "input_tokens": 200, "output_tokens": 100}
    text_only = one(base)
    with_image = one({**base, "input_images": ["1024x1024", "512x512"]})
    with_audio = one({**base, "input_audio_seconds": 30})
    both = one({**base, "input_images": ["1024x1024", "512x512"], "input_audio_seconds": 30})
    energy = [
        r["debug"]["energy_breakdown"]["gpu_wh"] for r in (text_only, with_image, with_audio, both)
    ]
    assert energy[0] < energy[1] < energy[3]
    assert energy[0] < energy[2] < energy[3]
    # Image and audio tokens join the same prompt: the parts add up at the token level, and the
    # prompt beyond a chat prompt is processed at prefill cost, so the whole is at least the sum.
    image_part = energy[1] - energy[0]
    audio_part = energy[2] - energy[0]
    assert energy[0] + image_part + audio_part <= energy[3] <= 1.2 * (energy[1] + audio_part)
    descriptions = [s["description"] for s in both["debug"]["steps"]]
    assert descriptions == [
        "text: prompt processing and token generation",
        "input images: image tokens in the prompt",
        "input audio: audio tokens in the prompt",
    ]
    assert both["debug"]["steps"][1]["inferences"] == 2


def test_image_tokens_follow_the_documented_tile_rule() -> None:
    # 1024x1024 -> shortest side 768 -> 768x768 -> 2x2 tiles -> 85 + 4*170 = 765 tokens.
    # 512x512 -> 1 tile -> 255; 4096x2048 -> fit 2048x1024 -> 1536x768 -> 3x2 tiles -> 1105.
    tokens = modalities.llm_image_tokens(
        np.array([1024.0, 512, 4096]), np.array([1024.0, 512, 2048])
    )
    assert tokens.tolist() == [765.0, 255.0, 1105.0]


def test_vision_encoder_patches() -> None:
    tokens = modalities.vision_encoder_tokens(np.array([224.0, 1024]), np.array([224.0, 512]))
    assert tokens.tolist() == [196.0, 32.0 * 16.0]


def test_video_lines_are_16_by_9() -> None:
    width, height = modalities.video_size_px(np.array([1080.0, 480.0]))
    assert width.tolist() == [1920.0, 853.0]
    assert height.tolist() == [1080.0, 480.0]


def test_image_generation_scales_with_images_steps_and_pixels() -> None:
    row = {"model_id": "stable_diffusion_xl", "output_images": ["1024x1024"], "input_steps": 25}
    single = one(row)["debug"]["energy_breakdown"]["gpu_wh"]
    double = one({**row, "output_images": ["1024x1024"] * 2})["debug"]["energy_breakdown"]["gpu_wh"]
    steps = one({**row, "input_steps": 50})["debug"]["energy_breakdown"]["gpu_wh"]
    small = one({**row, "output_images": ["512x512"]})["debug"]["energy_breakdown"]["gpu_wh"]
    assert double == pytest.approx(2 * single)
    assert steps > 1.5 * single
    assert small < single


def test_image_generation_defaults_come_from_the_catalog() -> None:
    out = one({"model_id": "stable_diffusion_xl"})
    assert out["error"] is None
    (step,) = out["debug"]["steps"][1:] or out["debug"]["steps"]
    assert step["inferences"] > 0


def test_video_generation_and_its_order_of_magnitude() -> None:
    # Wan2.1 14B class, 832x480 is 480 lines (16:9 gives 853 px), 81 frames, 50 steps:
    # ML.ENERGY measured 289 kJ (80 Wh) on one H100 (published_figures MLE-VID-1).
    row = {
        "task": "image-generation",
        "model_total_params_billions": 14,
        "gpu_id": "h100",
        "output_video_frames": 81,
        "output_video_resolution": 480,
        "input_steps": 50,
    }
    out = one(row)
    assert out["error"] is None, out["error"]
    gpu_wh = out["debug"]["energy_breakdown"]["gpu_wh"]
    assert 80 / 3 < gpu_wh < 80 * 3
    assert "video" in out["debug"]["steps"][-1]["description"]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"model_id": "llama_31_8b", "output_images": ["512x512"]}, "output_images"),
        ({"model_id": "llama_31_8b", "output_video_frames": 24}, "output_images"),
        ({"task": "text-embedding", "model_total_params_billions": 0.1}, "input_tokens"),
        ({"task": "speech-to-text", "model_total_params_billions": 0.8}, "input_audio_seconds"),
    ],
)
def test_inputs_a_method_cannot_use_are_row_errors(row: dict, field: str) -> None:
    out = one(row, debug=False)
    assert out["error"]["details"]["field"] == field


def test_mixed_modalities_keep_the_engine_on_columns() -> None:
    rows = [
        {"model_id": "llama_31_8b", "input_tokens": 100, "output_tokens": 50},
        {"model_id": "stable_diffusion_xl", "output_images": ["1024x1024"]},
        {"task": "speech-to-text", "model_total_params_billions": 0.8, "input_audio_seconds": 9},
        {"task": "text-embedding", "model_total_params_billions": 0.1, "input_tokens": 512},
    ] * 50
    out = ai_impact.estimate(rows)
    assert all(r["error"] is None for r in out)
    assert out[:4] == [one(r, debug=False) for r in rows[:4]]


def test_encoders_stay_below_the_batch_1_measurements() -> None:
    # Luccioni et al. 2024 (published_figures PHP-1, PHP-7): 0.002 kWh per 1,000 text
    # classifications, 0.004 per 1,000 token classifications, on an A100 node at batch 1 with
    # idle GPUs included: an upper bound for batched serving on the same GPU.
    row = {
        "model_id": "distilbert-base-uncased-finetuned-sst-2-english",
        "input_tokens": 128,
        "gpu_id": "a100_80gb",
    }
    out = one(row)
    assert out["error"] is None, out["error"]
    assert out["debug"]["assumptions"]["method"] == tasks.ENCODER
    facility_wh = out["inference_impact"]["usage_energy_wh"]
    assert 0 < facility_wh < 0.002 * 1000 / 1000  # Wh per inference


def test_speech_to_text_matches_its_derivation() -> None:
    # Derived from Whisper large-v3-turbo at 404x real time, batch 32, one H100 (ASR-1): at the
    # engine's 84% of TDP, 700 W * 0.84 / 404 = 1.46 J of GPU energy per audio second.
    row = {
        "model_id": "whisper_large_v3_turbo",
        "input_audio_seconds": 600,
        "gpu_id": "h100",
        "gpu_count": 1,
        "batch_size": 32,
    }
    out = one(row)
    assert out["error"] is None, out["error"]
    gpu_j_per_s = out["debug"]["energy_breakdown"]["gpu_wh"] * 3600 / 600
    assert gpu_j_per_s == pytest.approx(700 * 0.84 / 404, rel=0.02)
