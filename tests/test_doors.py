"""AI_IMPACT_DOORS: the function Terraform deploys for BigQuery answers the BigQuery protocol and
nothing of the REST API, the REST function nothing of the BigQuery protocol, so that a public
REST API never exposes POST / (whose body's `caller` selects a customer's catalog)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from ai_impact import http

BATCH = orjson.dumps(
    {
        "requestId": "r1",
        "caller": "//bigquery.googleapis.com/projects/p/jobs/p:US.j",
        "sessionUser": "a@example.com",
        "calls": [[{"model_id": "gpt-4o", "output_tokens": 10}]],
    }
)


@pytest.fixture(autouse=True)
def _store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A store of the test's own, never the user's."""
    monkeypatch.setenv("AI_IMPACT_DB", str(tmp_path / "store.sqlite3"))
    monkeypatch.delenv("AI_IMPACT_BIGQUERY_DATASET", raising=False)


def send(method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
    environ = EnvironBuilder(path=path, method=method, data=body).get_environ()
    response = http.route(Request(environ))
    return response.status_code, orjson.loads(response.get_data())


def test_all_doors_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(http.ENV_DOORS, raising=False)
    status, body = send("POST", "/", BATCH)
    assert status == 200 and len(body["replies"]) == 1
    assert send("GET", "/openapi.json")[0] == 200


def test_the_bigquery_function_serves_no_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http.ENV_DOORS, "bigquery")
    status, body = send("POST", "/", BATCH)
    assert status == 200 and len(body["replies"]) == 1
    assert send("GET", "/status") == (200, {"ready": True})
    for method, path in (("GET", "/openapi.json"), ("POST", "/v1/impact"), ("GET", "/model")):
        assert send(method, path)[0] == 404, path


def test_the_rest_function_serves_no_bigquery_protocol(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http.ENV_DOORS, "rest")
    status, body = send("POST", "/", BATCH)
    assert status == 405 and "replies" not in body  # "/" is only GET /status's there
    environ = EnvironBuilder(path="/", method="POST", data=BATCH).get_environ()
    assert http.route(Request(environ)).headers["Allow"] == "GET, HEAD"
    assert send("GET", "/openapi.json")[0] == 200


def test_a_misspelt_door_is_an_error_not_an_open_door(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http.ENV_DOORS, "bigqeury")
    status, body = send("POST", "/", BATCH)
    assert status == 400 and http.ENV_DOORS in body["errorMessage"]
