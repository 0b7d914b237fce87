"""Parsing rows into columns: every bad value is a row error naming its field."""

import math

import numpy as np
import pytest

from ai_impact.parse import parse_rows


def only_error(row: dict) -> tuple[str | None, str | None]:
    usage = parse_rows([row])
    return usage.errors.code[0], usage.errors.field[0]


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"input_tokens": -1}, "input_tokens"),
        ({"output_tokens": "many"}, "output_tokens"),
        ({"output_tokens": True}, "output_tokens"),
        ({"output_tokens": [1]}, "output_tokens"),
        ({"output_tokens": 1.5}, "output_tokens"),
        ({"output_tokens": 100_000_001}, "output_tokens"),
        ({"output_tokens": "NaN"}, "output_tokens"),
        ({"output_tokens": "Infinity"}, "output_tokens"),
        ({"output_tokens": math.nan}, "output_tokens"),
        ({"input_audio_seconds": -0.5}, "input_audio_seconds"),
        ({"input_steps": 0}, "input_steps"),
        ({"output_video_resolution": 0}, "output_video_resolution"),
        ({"output_video_frames": 100_000_001}, "output_video_frames"),
        ({"output_video_frames": -1}, "output_video_frames"),
        ({"output_audio_seconds": -2}, "output_audio_seconds"),
        ({"model_total_params_billions": 0}, "model_total_params_billions"),
        ({"model_total_params_billions": 1e9}, "model_total_params_billions"),
        ({"batch_size": 0}, "batch_size"),
        ({"gpu_count": 0}, "gpu_count"),
        ({"model_id": 42}, "model_id"),
        ({"country": "USA"}, "country"),
        ({"region": "N1"}, "region"),
        ({"task": "dreaming"}, "task"),
        ({"model_datatype": "fp7"}, "model_datatype"),
        ({"utc_datetime": "yesterday"}, "utc_datetime"),
        ({"utc_datetime": "2024-13-01T00:00:00Z"}, "utc_datetime"),
        ({"input_images": ["1024x"]}, "input_images"),
        ({"input_images": ["0x0"]}, "input_images"),
        ({"output_images": ["512x512"] * 101}, "output_images"),
        ({"output_images": 7}, "output_images"),
        (
            {"model_total_params_billions": 7, "model_active_params_billions": 8},
            "model_active_params_billions",
        ),
    ],
)
def test_bad_values_are_row_errors_naming_the_field(row: dict, field: str) -> None:
    assert only_error(row) == ("invalid_field", field)


def test_bigquery_encodings_are_accepted() -> None:
    usage = parse_rows(
        [
            {
                "input_tokens": "120",  # INT64 as string
                "output_tokens": 7.0,
                "input_audio_seconds": "1.25",  # NUMERIC as string
                "utc_datetime": "2024-03-05 10:00:00+00",  # TIMESTAMP text
                "input_images": "512x512, 1024x768",  # list as comma-delimited STRING
                "country": "us",
                "task": "Chat",
                "model_id": "  ",  # blank string = absent
            }
        ]
    )
    assert usage.errors.code[0] is None
    assert usage.number("input_tokens")[0] == 120
    assert usage.number("input_audio_seconds")[0] == 1.25
    assert usage.year[0] == 2024
    assert usage.images["input_images"].count[0] == 2
    assert usage.string("country")[0] == "US"
    assert usage.string("task")[0] == "chat"
    assert usage.string("model_id")[0] is None


def test_timestamps_of_both_encodings() -> None:
    usage = parse_rows(
        [
            {"utc_datetime": "2026-11-27T15:17:30.293051Z"},
            {"utc_datetime": "2019-01-01T00:00:00+01:00"},
            {"utc_datetime": "2023-06-30"},
            {},
        ]
    )
    assert usage.year.tolist() == [2026, 2019, 2023, 0]
    assert not usage.errors.any.any()


def test_one_bad_row_leaves_the_others_intact() -> None:
    usage = parse_rows([{"output_tokens": 5}, {"output_tokens": -5}, "not a row", None])
    assert usage.errors.code.tolist() == [None, "invalid_field", "invalid_field", "invalid_field"]
    assert usage.number("output_tokens")[0] == 5
    assert np.isnan(usage.number("output_tokens")[1])


def test_first_error_of_a_row_wins_and_messages_are_clear() -> None:
    usage = parse_rows([{"input_tokens": -1, "output_tokens": "x"}])
    assert usage.errors.field[0] == "input_tokens"
    assert "input_tokens" in usage.errors.message[0]
    assert "100,000,000" in usage.errors.message[0]


def test_empty_batch() -> None:
    usage = parse_rows([])
    assert usage.n_rows == 0
    assert len(usage.errors) == 0
