"""What error bodies and catalog objects tell clients: no ``details.field: null`` (the spec's
field is a string), no server path when the store cannot be opened (the log has it), a model's
datatype accepted as a row's is, and an unknown cloud instance said as what is missing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from flask import Request
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

import ai_impact
from ai_impact import http
from ai_impact.rest import openapi, service
from ai_impact.rest.resources import DATATYPES
from conftest import ROOT, in_process_app

ROW = {"model_id": "gpt-4o", "output_tokens": 10}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlaskClient, dict]]:
    for app, token in in_process_app(tmp_path_factory, "messages"):
        yield app, {"Authorization": f"Bearer {token}"}


def test_an_error_about_no_field_has_no_field_key(client: tuple[FlaskClient, dict]) -> None:
    test_client, auth = client
    for answer in (
        test_client.get("/gpu"),  # 401
        test_client.get("/nowhere", headers=auth),  # 404
        test_client.post("/v1/impact", data=b"{", headers=auth, content_type="application/json"),
    ):
        error = answer.get_json()
        assert answer.status_code >= 400 and error["details"] == {"reason": error["code"]}
    named = test_client.post("/v1/impact?debug=maybe", json={"rows": [ROW]}, headers=auth)
    assert named.status_code == 400 and named.get_json()["details"]["field"] == "debug"
    details = openapi.document()["components"]["schemas"]["ErrorDetails"]["properties"]
    assert details["field"] == {"type": "string"} and details["reason"] == {"type": "string"}


def test_the_committed_openapi_says_the_same() -> None:
    committed = orjson.loads((ROOT / "docs" / "openapi.json").read_bytes())
    details = committed["components"]["schemas"]["ErrorDetails"]["properties"]
    assert details["field"] == {"type": "string"}


@pytest.mark.parametrize("datatype", ["mxfp4", "fp4", "nvfp4", "awq", "FP8", "BF16"])
def test_a_model_takes_every_datatype_a_row_takes(
    client: tuple[FlaskClient, dict], datatype: str
) -> None:
    test_client, auth = client
    model_id = f"msg-model-{datatype.lower()}"
    body = {"id": model_id, "total_params_billions": 8, "datatype": datatype}
    created = test_client.post("/model", json=body, headers=auth)
    assert created.status_code == 201, created.data
    stored = datatype.lower()
    extended = test_client.get(f"/model/{model_id}?extensions=true", headers=auth).get_json()
    assert extended["datatype"] == stored
    plain = test_client.get(f"/model/{model_id}", headers=auth).get_json()
    assert plain.get("datatype") == (stored if stored in DATATYPES else None)
    row = {"model_id": model_id, "output_tokens": 10, "model_datatype": datatype}
    answer = test_client.post("/v1/impact", json={"rows": [row]}, headers=auth).get_json()
    assert answer["has_errors"] is False


def test_a_datatype_no_row_takes_is_refused_on_datatype(client: tuple[FlaskClient, dict]) -> None:
    test_client, auth = client
    body = {"id": "msg-model-bad", "datatype": "fp5"}
    answer = test_client.post("/model", json=body, headers=auth)
    assert answer.status_code == 400 and answer.get_json()["details"]["field"] == "datatype"


def test_an_unknown_instance_without_cloud_id_says_so() -> None:
    alone, with_cloud = ai_impact.estimate(
        [
            {**ROW, "cloud_instance_id": "p9.huge"},
            {**ROW, "cloud_instance_id": "p9.huge", "cloud_id": "aws"},
        ]
    )
    assert alone["error"]["message"] == (
        "cloud instance 'p9.huge' of any cloud (no cloud_id given) is not in the catalog"
    )
    assert "None" not in alone["error"]["message"]
    assert (
        with_cloud["error"]["message"]
        == "cloud instance 'p9.huge' of cloud 'aws' is not in the catalog"
    )


def _route(method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    environ = EnvironBuilder(
        path=path,
        method=method,
        data=body,
        headers={"Authorization": "Bearer x"},
        content_type="application/json",
    ).get_environ()
    response = http.route(Request(environ))
    return response.status_code, response.get_data()


def test_an_unopenable_store_shows_clients_no_server_path(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """$AI_IMPACT_DB lies under a file: the detail (``[Errno 17] File exists: '/tmp/...'``)
    goes to the log only."""
    (tmp_path / "plain-file").write_text("")
    monkeypatch.setenv("AI_IMPACT_DB", str(tmp_path / "plain-file" / "store.sqlite3"))
    monkeypatch.delenv(http.ENV_DOORS, raising=False)
    monkeypatch.setattr(service, "_service", None)
    envelope = {
        "requestId": "r1",
        "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
        "sessionUser": "a@example.com",
        "calls": [[ROW]],
    }
    answers = [
        _route("GET", "/status"),
        _route("POST", "/v1/impact", orjson.dumps({"rows": [ROW]})),
        _route("GET", "/gpu"),
        _route("POST", "/", orjson.dumps(envelope)),
    ]
    assert [status for status, _ in answers] == [200, 503, 503, 503]
    for _, body in answers:
        assert str(tmp_path) not in body.decode(), body
        assert "store" in body.decode()
    assert str(tmp_path) in capsys.readouterr().out  # the log keeps the detail
