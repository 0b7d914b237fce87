"""What every door (Python, BigQuery, REST) does with unknown keys, rows without quantities and
oversized input. In-process: the Cloud Function's own Flask app, no server."""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson
import pytest
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

import ai_impact
from ai_impact import bigquery, http
from ai_impact.errors import MAX_MESSAGE_BYTES
from conftest import ROOT, in_process_app

ROW = {"model_id": "llama_31_8b", "input_tokens": 100, "output_tokens": 500}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, str]]:
    yield from in_process_app(tmp_path_factory, "edges")


def rest_rows(client: tuple[FlaskClient, str], rows: list, query: str = "") -> list[dict]:
    test_client, token = client
    answer = test_client.post(
        "/v1/impact" + query, json={"rows": rows}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.data
    return answer.get_json()["rows"]


def bigquery_rows(client: tuple[FlaskClient, str], rows: list, debug: str = "false") -> list:
    envelope = {
        "requestId": "r",
        "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
        "sessionUser": "u@example.com",
        "userDefinedContext": {"debug": debug},
        "calls": [[row] for row in rows],
    }
    answer = client[0].post("/", data=orjson.dumps(envelope), content_type="application/json")
    assert answer.status_code == 200, answer.data
    return answer.get_json()["replies"]


def every_door(client: tuple[FlaskClient, str], rows: list) -> dict[str, list[dict]]:
    return {
        "python": ai_impact.estimate(rows),
        "bigquery": bigquery_rows(client, rows),
        "rest": rest_rows(client, rows),
    }


@pytest.mark.parametrize(
    ("typo", "field"),
    [
        ("output_token", "output_tokens"),
        ("input_token", "input_tokens"),
        ("modelid", "model_id"),
        ("gpuid", "gpu_id"),
        ("Model_ID", "model_id"),
    ],
)
def test_a_typo_of_a_field_is_a_row_error_naming_both(client, typo: str, field: str) -> None:
    value = ROW.get(field, "h100")
    row = {**{k: v for k, v in ROW.items() if k != field}, typo: value}
    for door, (bad, good) in every_door(client, [row, ROW]).items():
        error = bad["error"]
        assert error["code"] == "invalid_field", door
        assert error["details"]["field"] == typo, door
        assert typo in error["message"] and field in error["message"], door
        assert bad["total_impact"]["usage_energy_wh"] == 0.0, door
        assert good.get("error") is None, door


def test_other_unknown_keys_are_listed_in_debug(client) -> None:
    row = {**ROW, "colour": "blue", "latency_bucket": 3}
    (python,) = ai_impact.estimate([row], debug=True)
    assert python["error"] is None
    assert python["debug"]["ignored_fields"] == ["colour", "latency_bucket"]
    (reply,) = bigquery_rows(client, [row], debug="true")
    assert reply["debug"]["ignored_fields"] == ["colour", "latency_bucket"]
    (extended,) = rest_rows(client, [row], "?debug=true&extensions=true")
    assert extended["debug"]["ignored_fields"] == ["colour", "latency_bucket"]
    (plain,) = rest_rows(client, [row], "?debug=true")  # the SDK's DebugInfo forbids the key
    assert "error" not in plain and "ignored_fields" not in plain["debug"]
    assert ai_impact.estimate([row]) == ai_impact.estimate([ROW])


@pytest.mark.parametrize(
    "row",
    [
        {"model_id": "llama_31_8b"},
        {"model_id": "llama_31_8b", "country": "US", "input_steps": 4},
        {"model_total_params_billions": 7},
        {"model_id": "llama_31_8b", "output_images": []},
    ],
)
def test_a_row_without_any_quantity_is_missing_field(client, row: dict) -> None:
    for door, (reply,) in every_door(client, [row]).items():
        assert reply["error"]["code"] == "missing_field", door
        assert reply["error"]["details"]["field"] == "output_tokens", door


def test_explicit_zero_and_implicit_images_are_quantities() -> None:
    zero, image = ai_impact.estimate(
        [{"model_id": "llama_31_8b", "output_tokens": 0}, {"model_id": "stable_diffusion_xl"}]
    )
    assert zero["error"] is None and image["error"] is None
    assert image["inference_impact"]["usage_energy_wh"] > 0


def test_booleans_are_not_numbers_on_every_door(client) -> None:
    row = {"model_id": "llama_31_8b", "output_tokens": True}
    for door, (reply,) in every_door(client, [row]).items():
        assert reply["error"]["details"]["field"] == "output_tokens", door


# --- bounded inputs ----------------------------------------------------------------------------


def test_echoed_input_is_cut(client) -> None:
    huge = "m" * 1_000_000
    rows = [{"model_id": huge, "output_tokens": 5}, {"task": huge, **ROW}]
    for door, replies in every_door(client, rows).items():
        assert all(r["error"] for r in replies), door
        assert len(orjson.dumps(replies)) < 4_000, door
        assert all(len(r["error"]["message"].encode()) <= MAX_MESSAGE_BYTES for r in replies)
    (reply,) = ai_impact.estimate([{huge: 1, **ROW}], debug=True)
    assert len(reply["debug"]["ignored_fields"][0]) < 300
    headers = {"Authorization": f"Bearer {client[1]}"}
    long_id = client[0].get("/model/" + "x" * 8000, headers=headers)
    assert long_id.status_code == 404 and len(long_id.data) < 1_000


def test_a_body_over_32_mib_is_refused_on_both_doors(client) -> None:
    body = b'{"rows": ["' + b"x" * http.MAX_BODY_BYTES + b'"]}'
    headers = {"Authorization": f"Bearer {client[1]}"}
    answer = client[0].post(
        "/v1/impact", data=body, content_type="application/json", headers=headers
    )
    assert answer.status_code == 413
    assert answer.get_json()["code"] == "payload_too_large"
    answer = client[0].post("/", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert "32 MiB" in answer.get_json()["errorMessage"]
    assert http.MAX_BODY_BYTES == 32 * 1024 * 1024


def test_a_long_url_is_414(client) -> None:
    answer = client[0].get("/gpu?filter=" + "a" * http.MAX_URL_BYTES)
    assert answer.status_code == 414
    assert answer.get_json()["code"] == "uri_too_long"
    assert client[0].get("/status?x=" + "a" * 100).status_code == 200


def test_calls_per_request_are_capped_above_the_sql_batch_size() -> None:
    batch_sizes = [
        int(m)
        for path in (ROOT / "sql" / "functions").glob("*.sql")
        for m in re.findall(r"max_batching_rows\s*=\s*(\d+)", path.read_text())
    ]
    assert max(batch_sizes) == 5000
    assert 2 * max(batch_sizes) <= bigquery.MAX_CALLS
    many = orjson.dumps({"requestId": "r", "calls": [[ROW]] * (bigquery.MAX_CALLS + 1)})
    outcome = bigquery.handle(many, lambda project: ai_impact.estimate)
    assert outcome.status == 400
    assert "at most 10,000" in orjson.loads(outcome.body)["errorMessage"]


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=900, max_size=3000) | st.text(alphabet='\x00\x1f"\\é€𝄞', max_size=3000))
def test_error_message_is_at_most_1000_bytes(message: str) -> None:
    body = bigquery.error_body(message)
    assert len(body) <= bigquery.MAX_ERROR_BYTES
    text = orjson.loads(body)["errorMessage"]
    assert message.startswith(text.removesuffix("..."))


def test_error_message_of_an_envelope_echo_is_cut_by_bytes() -> None:
    envelope = {"calls": [], "userDefinedContext": {"signature": "\x00" * 3000}}
    outcome = bigquery.handle(orjson.dumps(envelope), lambda project: ai_impact.estimate)
    assert outcome.status == 400 and len(outcome.body) <= bigquery.MAX_ERROR_BYTES


@pytest.mark.parametrize("value", ["maybe", "2", "on"])
def test_switches_read_alike_on_both_doors(client, value: str) -> None:
    headers = {"Authorization": f"Bearer {client[1]}"}
    rest_answer = client[0].post(f"/v1/impact?debug={value}", json={"rows": []}, headers=headers)
    assert rest_answer.status_code == 400
    envelope = {"calls": [], "userDefinedContext": {"debug": value}}
    assert bigquery.handle(orjson.dumps(envelope), lambda p: ai_impact.estimate).status == 400
