"""Paths with an empty segment (`//`) are a REST 404 in the REST error shape on every method,
never the BigQuery door or an internal redirect logged as an unhandled ERROR (issue 14, item 3)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from ai_impact import http


@pytest.fixture(autouse=True)
def _store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AI_IMPACT_DB", str(tmp_path / "store.sqlite3"))
    monkeypatch.delenv("AI_IMPACT_BIGQUERY_DATASET", raising=False)
    monkeypatch.delenv(http.ENV_DOORS, raising=False)


@pytest.mark.parametrize(
    "path", ["//", "//gpu", "/gpu//x", "/model//", "//v1/impact", "/v1//impact"]
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_double_slash_is_a_rest_404(
    path: str, method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = EnvironBuilder(method=method, data=b"{}", content_type="application/json")
    environ_dict = environ.get_environ()
    environ_dict["PATH_INFO"] = path  # as the server passes it (a builder would read // as a host)
    response = http.route(Request(environ_dict))
    body = orjson.loads(response.get_data())
    assert response.status_code == 404
    assert body["code"] == "not_found" and "errorMessage" not in body
    assert '"severity":"ERROR"' not in capsys.readouterr().out
