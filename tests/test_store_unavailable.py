"""A store that is configured but cannot be opened: both doors answer a retryable 503 (never
200 from the bundled catalog alone, which would turn a customer's custom model into an
unknown_model that BigQuery does not retry), and /status says why."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from ai_impact import http
from ai_impact.rest import service

BATCH = orjson.dumps(
    {
        "requestId": "r1",
        "caller": "//bigquery.googleapis.com/projects/p/jobs/p:US.j",
        "sessionUser": "a@example.com",
        "calls": [[{"model_id": "gpt-4o", "output_tokens": 10}]],
    }
)


@pytest.fixture(autouse=True)
def _unopenable_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$AI_IMPACT_DB names a directory: SQLite cannot open it as a database."""
    monkeypatch.setenv("AI_IMPACT_DB", str(tmp_path))
    monkeypatch.delenv("AI_IMPACT_BIGQUERY_DATASET", raising=False)
    monkeypatch.delenv(http.ENV_DOORS, raising=False)
    monkeypatch.setattr(service, "_service", None)


def send(method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, dict]:
    environ = EnvironBuilder(
        path=path, method=method, data=body, headers=headers, content_type="application/json"
    ).get_environ()
    response = http.route(Request(environ))
    return response.status_code, orjson.loads(response.get_data())


def test_bigquery_door_answers_503(capsys: pytest.CaptureFixture[str]) -> None:
    status, body = send("POST", "/", BATCH)
    assert status == 503 and "replies" not in body
    assert "store cannot be used" in body["errorMessage"]
    assert len(orjson.dumps(body)) <= 1000
    assert '"severity":"ERROR","message":"store unavailable"' in capsys.readouterr().out


def test_rest_answers_503() -> None:
    row = orjson.dumps({"rows": [{"model_id": "gpt-4o", "output_tokens": 10}]})
    status, body = send("POST", "/v1/impact", row, Authorization="Bearer x")
    assert status == 503 and body["code"] == "store_unavailable"


def test_status_says_the_store_is_unavailable() -> None:
    status, body = send("GET", "/status")
    assert status == 200 and body["ready"] is False
    assert body["reason"].startswith("store unavailable:")
