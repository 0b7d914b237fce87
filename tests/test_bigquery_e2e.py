"""BigQuery remote-function protocol end to end: the real server process, a BigQuery-like client."""

from __future__ import annotations

import urllib.request

import orjson
import pytest

from ai_impact.bigquery import MAX_CALLS, MAX_REPLY_BYTES, SCOPE3_ARGS
from bigquery_driver import BigQueryDriver, QueryFailed

GOOD_ROW = {
    "model_id": "llama_31_70b",
    "input_tokens": 400,
    "output_tokens": 500,
    "cloud_id": "aws",
    "cloud_instance_id": "p5.48xlarge",
    "country": "US",
    "utc_datetime": "2024-06-01T12:00:00Z",
}
GOOD_POSITIONAL = [
    "gpt-4o",
    None,
    None,
    None,
    "2024-06-01T12:00:00Z",
    None,
    None,
    None,
    None,
    "openai",
    "US",
    None,
    "chat",
    300,
    200,
    None,
    None,
    None,
    None,
    None,
    None,
]


def row_driver(server: str, **context: str) -> BigQueryDriver:
    return BigQueryDriver(server + "/", "JSON", {"signature": "row", **context})


def scope3_driver(server: str, **context: str) -> BigQueryDriver:
    return BigQueryDriver(server + "/", "STRING", {"signature": "scope3", **context})


def assert_modeled_row(reply: dict) -> None:
    for block in ("inference_impact", "training_impact", "fine_tuning_impact", "total_impact"):
        assert sorted(reply[block]) == sorted(
            [
                "usage_energy_wh",
                "usage_emissions_gco2e",
                "usage_water_ml",
                "embodied_emissions_gco2e",
                "embodied_water_ml",
            ]
        )
        assert all(v >= 0 for v in reply[block].values())


def test_row_signature_good_row(server: str) -> None:
    (reply,) = row_driver(server).run([[GOOD_ROW]])
    assert reply["error"] is None
    assert_modeled_row(reply)
    assert reply["inference_impact"]["usage_energy_wh"] > 0


def test_row_signature_accepts_a_json_string_argument(server: str) -> None:
    as_object, as_string = row_driver(server).run([[GOOD_ROW], [orjson.dumps(GOOD_ROW).decode()]])
    assert as_object == as_string


def test_scope3_signature_replies_are_strings_by_default(server: str) -> None:
    (reply,) = scope3_driver(server).run([GOOD_POSITIONAL])
    decoded = orjson.loads(reply)
    assert decoded["error"] is None
    assert decoded["inference_impact"]["usage_energy_wh"] > 0


def test_scope3_signature_17_arguments(server: str) -> None:
    (reply,) = scope3_driver(server).run([GOOD_POSITIONAL[:17]])
    assert orjson.loads(reply)["error"] is None


def test_null_in_every_position_of_both_signatures(server: str) -> None:
    calls = []
    for position in range(len(SCOPE3_ARGS)):
        call = list(GOOD_POSITIONAL)
        call[position] = None
        calls.append(call)
    replies = scope3_driver(server).run(calls)
    for position, reply in enumerate(replies):
        decoded = orjson.loads(reply)
        assert_modeled_row(decoded)
        if SCOPE3_ARGS[position] == "model_id":
            assert decoded["error"]["code"] == "missing_field"
        else:
            assert decoded["error"] is None, SCOPE3_ARGS[position]
    row_calls = [[None]] + [[{**GOOD_ROW, key: None}] for key in GOOD_ROW]
    replies = row_driver(server).run(row_calls)
    assert replies[0]["error"]["code"] == "missing_field"
    for key, reply in zip(GOOD_ROW, replies[1:], strict=True):
        assert_modeled_row(reply)
        assert (reply["error"] is None) == (key != "model_id"), key


def test_wrong_types_and_huge_ints_are_row_errors(server: str) -> None:
    calls = [
        [{**GOOD_ROW, "output_tokens": "lots"}],
        [{**GOOD_ROW, "output_tokens": "9007199254740993"}],  # INT64 beyond 2^53
        [{**GOOD_ROW, "input_tokens": 2**60}],
        [{**GOOD_ROW, "model_id": {"nested": True}}],
        [{**GOOD_ROW, "country": 12}],
        [[1, 2, 3]],
        ["{not json"],
        [GOOD_ROW, GOOD_ROW],  # two arguments for a one-argument function
    ]
    replies = row_driver(server).run(calls)
    fields = [r["error"]["details"]["field"] for r in replies]
    assert fields == [
        "output_tokens",
        "output_tokens",
        "input_tokens",
        "model_id",
        "country",
        "calls",
        "calls",
        "calls",
    ]
    for reply in replies:
        assert reply["error"]["code"] == "invalid_field"
        assert reply["total_impact"]["usage_energy_wh"] == 0


def test_unicode_round_trips(server: str) -> None:
    (reply,) = row_driver(server).run([[{**GOOD_ROW, "model_id": "模型-😀"}]])
    assert reply["error"]["code"] == "unknown_model"
    assert "模型-😀" in reply["error"]["message"]


def test_empty_calls(server: str) -> None:
    assert row_driver(server).run([]) == []
    driver = row_driver(server)
    assert driver.call_batch([]) == []


def test_one_row_batches_equal_one_big_batch(server: str) -> None:
    calls = [[{**GOOD_ROW, "output_tokens": n}] for n in range(1, 40)]
    single = row_driver(server)
    single.max_batching_rows = 1
    assert single.run(calls) == row_driver(server).run(calls)
    assert single.requests_sent == len(calls)


def test_fifty_thousand_calls_in_the_largest_batches_accepted(server: str) -> None:
    calls = [[{**GOOD_ROW, "output_tokens": 1 + n % 2000}] for n in range(50_000)]
    driver = row_driver(server)
    driver.max_batching_rows = MAX_CALLS
    replies = driver.run(calls)
    assert driver.requests_sent == 5
    assert len(replies) == 50_000
    assert all(r["error"] is None for r in replies)
    energies = [r["inference_impact"]["usage_energy_wh"] for r in replies[:2000]]
    assert energies == sorted(energies)  # more output tokens, more energy


def test_duplicate_requests_get_identical_replies(server: str) -> None:
    driver = scope3_driver(server, debug="true")
    body = orjson.dumps(driver.envelope([GOOD_POSITIONAL, GOOD_POSITIONAL[:17]]))
    first, second = driver.post(body), driver.post(body)
    assert first[0] == 200
    assert first == second


def test_good_rows_are_unaffected_by_bad_rows(server: str) -> None:
    good = [[{**GOOD_ROW, "output_tokens": n}] for n in (10, 100, 1000)]
    bad = [[{**GOOD_ROW, "output_tokens": -1}], [{"model_id": "no-such-model"}], [None]]
    mixed = [good[0], bad[0], good[1], bad[1], bad[2], good[2]]
    replies = row_driver(server).run(mixed)
    alone = row_driver(server).run(good)
    assert [replies[0], replies[2], replies[5]] == alone
    assert [r["error"]["code"] for r in (replies[1], replies[3], replies[4])] == [
        "invalid_field",
        "unknown_model",
        "missing_field",
    ]


def test_debug_and_return_type_string_for_rows(server: str) -> None:
    driver = BigQueryDriver(
        server + "/", "STRING", {"signature": "row", "return_type": "string", "debug": "true"}
    )
    (reply,) = driver.run([[GOOD_ROW]])
    debug = orjson.loads(reply)["debug"]
    assert debug["hardware_node"]["id"] == "aws:p5.48xlarge"
    assert debug["energy_breakdown"]["gpu_wh"] <= debug["energy_breakdown"]["it_wh"]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"requestId": "r1"}',
        b'{"calls": {"a": 1}}',
        b'{"calls": [], "userDefinedContext": {"signature": "matrix"}}',
        b'{"calls": [], "userDefinedContext": {"return_type": "xml"}}',
    ],
)
def test_malformed_envelopes_fail_fast_with_400(server: str, body: bytes) -> None:
    driver = row_driver(server)
    status, answer = driver.post(body)
    assert status == 400
    assert len(answer) < 1024
    assert isinstance(orjson.loads(answer)["errorMessage"], str)


def test_a_permanent_error_fails_the_query_without_retries(server: str) -> None:
    driver = row_driver(server, signature="matrix")
    with pytest.raises(QueryFailed) as failure:
        driver.run([[GOOD_ROW]])
    assert failure.value.status == 400
    assert b"signature" in failure.value.body
    assert driver.requests_sent == 1


def test_status(server: str) -> None:
    with urllib.request.urlopen(server + "/status") as response:
        assert orjson.loads(response.read()) == {"ready": True}


def positional(length: int = 21, **fields: object) -> list:
    """A call of the scope3 signature with ``fields`` at their positions, NULL elsewhere."""
    call: list = [None] * length
    for name, value in fields.items():
        call[SCOPE3_ARGS.index(name)] = value
    return call


def test_scope3_signature_images_video_and_audio(server: str) -> None:
    image = positional(
        model_id="stable_diffusion_xl", utc_datetime="2025-01-01T00:00:00Z", country="FR",
        task="text-to-image", output_images="1024x1024,512x512", input_steps=30,
    )  # fmt: skip
    video = positional(
        model_id="wan2.1-t2v-14b", task="image-generation", output_video_resolution="480",
        output_video_frames="81", input_steps="50",
    )  # fmt: skip
    speech = positional(
        20, model_id="whisper-1", managed_service_id="openai", task="speech-to-text",
        output_tokens=120, input_audio_seconds="90",
    )  # fmt: skip
    chat = positional(
        17, model_id="gpt-4o", managed_service_id="openai", task="chat", input_tokens=100,
        output_tokens=50, input_images="1024x768,640x480",
    )  # fmt: skip
    replies = scope3_driver(server, debug="true").run([image, video, speech, chat])
    decoded = [orjson.loads(r) for r in replies]
    for reply in decoded:
        assert reply["error"] is None, reply["error"]
        assert reply["inference_impact"]["usage_energy_wh"] > 0
    image_step = decoded[0]["debug"]["steps"][-1]
    assert image_step["inferences"] == 60  # 2 images x 30 steps
    assert "video" in decoded[1]["debug"]["steps"][-1]["description"]
    assert decoded[3]["debug"]["steps"][1]["inferences"] == 2  # two input images


def test_a_batch_whose_reply_is_over_the_limit_fails_once_with_a_message(server: str) -> None:
    """A hand-made routine batching 3,000 rows with debug and ranges (~5.9 KB a reply, ~18 MB
    in all): BigQuery would reject such a reply and fail the query without saying why. The
    function answers 400, which BigQuery does not retry, naming the size, the limit and
    max_batching_rows; the same rows in batches of 2,000 are answered."""
    calls = [[GOOD_ROW]] * 3000
    driver = row_driver(server, debug="true", ranges="true")
    driver.max_batching_rows = len(calls)
    with pytest.raises(QueryFailed) as failed:
        driver.run(calls)
    assert failed.value.status == 400 and driver.requests_sent == 1
    message = orjson.loads(failed.value.body)["errorMessage"]
    size = int(message.split(" would be ")[1].split(" bytes")[0].replace(",", ""))
    assert size > MAX_REPLY_BYTES
    assert f"limit of {MAX_REPLY_BYTES:,} bytes" in message and "max_batching_rows" in message
    driver.max_batching_rows = 2000
    replies = driver.run(calls)
    assert len(replies) == len(calls) and all("ranges" in r and "debug" in r for r in replies)
