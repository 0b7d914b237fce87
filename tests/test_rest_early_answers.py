"""Answers given before an endpoint reads the body, against a real server on 127.0.0.1: a body
over 32 MiB is the JSON 413 whatever else is wrong with the request (never the framework's
plain-text 500), and every path answers HEAD as GET and an unknown method with 405 and Allow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from ai_impact import http
from ai_impact.http import MAX_BODY_BYTES
from conftest import ROOT, Tokens, call, raw

PAD = b"a" * (MAX_BODY_BYTES + 1)


def post_raw(server: str, head: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``head`` (request line and headers, CRLF-separated, no blank line) and ``body`` on
    one connection; the first answer."""
    return raw(int(server.rsplit(":", 1)[1]), head.encode() + b"\r\n\r\n" + body)


def assert_413(answer: tuple[int, dict[str, str], bytes]) -> None:
    status, headers, body = answer
    assert status == 413, body[:300]
    assert headers["Content-Type"] == "application/json"
    error = orjson.loads(body)
    assert error["code"] == "payload_too_large" == error["details"]["reason"]
    assert "32 MiB" in error["message"]


def _cases(tokens: Tokens) -> list[tuple[str, str, str | None, str]]:
    """(method, path, token, content type): each would get an early answer (401, 415, 404,
    405) if its body were small."""
    return [
        ("POST", "/v1/impact", None, "application/json"),
        ("POST", "/v1/impact", "aii_not-a-token", "application/json"),
        ("POST", "/gpu", None, "application/json"),
        ("POST", "/gpu", "aii_not-a-token", "application/json"),
        ("POST", "/v1/impact", tokens.owner, "text/plain"),
        ("POST", "/no/such/path", tokens.owner, "application/json"),
        ("POST", "/status", None, "application/json"),
        ("PUT", "/v1/impact", tokens.owner, "application/json"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_a_declared_body_over_32_mib_is_413_before_any_other_answer(
    server: str, tokens: Tokens, case: int
) -> None:
    method, path, token, content_type = _cases(tokens)[case]
    head = f"{method} {path} HTTP/1.1\r\nHost: t\r\nContent-Type: {content_type}\r\n"
    head += f"Content-Length: {len(PAD)}"
    if token is not None:
        head += f"\r\nAuthorization: Bearer {token}"
    assert_413(post_raw(server, head, PAD))


# Run in a fresh interpreter: functions-framework puts the app's error handlers (ai_impact.http's
# decorators) on the app only when create_app is the first to import ai_impact.http, as main.py
# is under the server; this test process imported it already.
FRESH_APP = """
import io, sys
import orjson
from functions_framework import create_app
from werkzeug.exceptions import InternalServerError
from werkzeug.test import Client, EnvironBuilder

app = create_app("ai_impact", "main.py")
from ai_impact.http import MAX_BODY_BYTES

if sys.argv[1] == "chunked":
    environ = EnvironBuilder(
        path="/v1/impact",
        method="POST",
        input_stream=io.BytesIO(b"a" * (MAX_BODY_BYTES + 1)),
        content_type="application/json",
        environ_base={"wsgi.input_terminated": True},  # a chunked body, as gunicorn marks it
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    answer = Client(app).open(environ)
    status, headers, body = answer.status_code, dict(answer.headers), answer.get_data()
else:
    with app.test_request_context("/v1/impact", method="POST"):
        failure = InternalServerError(original_exception=RuntimeError("boom"))
        answer = app.make_response(app.handle_user_exception(failure))
    status, headers, body = answer.status_code, dict(answer.headers), answer.get_data()
sys.stdout.write("\\n" + orjson.dumps([status, headers, body.decode()]).decode())
"""


def fresh_app(case: str, tmp_path: Path) -> tuple[tuple[int, dict[str, str], bytes], str]:
    """(status, headers, body) of ``case`` in a fresh app, and what it logged."""
    env = {**os.environ, "AI_IMPACT_DB": str(tmp_path / "store.sqlite3")}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_APP, case],
        cwd=ROOT / "function",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    log, _, last = done.stdout.rpartition("\n")
    status, headers, body = orjson.loads(last)
    return (status, headers, body.encode()), log


def test_a_body_of_undeclared_size_over_32_mib_is_413_not_a_500(tmp_path: Path) -> None:
    """A chunked body declares no size: the 401 is ready before anything reads it, and the
    framework's after-request hook, which reads it whole, meets the limit. (``make run``'s
    server reads chunked bodies itself; functions-framework's gunicorn, as deployed, passes the
    stream, as here.)"""
    answer, _ = fresh_app("chunked", tmp_path)
    assert_413(answer)


def test_any_other_failure_outside_the_routing_is_a_json_500(tmp_path: Path) -> None:
    """The framework's 500 handler is replaced: JSON, the crash header it set, the trace
    logged."""
    (status, headers, body), log = fresh_app("crash", tmp_path)
    assert status == 500 and headers[http.CRASH_HEADER] == "crash"
    assert orjson.loads(body) == {
        "code": "internal_error",
        "message": "internal error",
        "details": {"reason": "internal_error"},
    }
    assert "RuntimeError('boom')" in log


def test_the_bigquery_door_refuses_a_declared_body_over_32_mib_with_its_400(server: str) -> None:
    head = f"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {len(PAD)}"
    status, _, body = post_raw(server, head, PAD)
    assert status == 400 and "larger than" in orjson.loads(body)["errorMessage"]


@pytest.mark.parametrize("path", ["/status", "/", "/gpu", "/model/gpt-4o", "/openapi.json"])
def test_head_answers_as_get_without_a_body(server: str, tokens: Tokens, path: str) -> None:
    got = call(server + path, "GET", tokens.owner)
    head = call(server + path, "HEAD", tokens.owner)
    assert got.status == head.status == 200
    assert head.body == b"" and got.body
    assert head.headers["Content-Type"] == "application/json"
    assert int(head.headers["Content-Length"]) == len(got.body)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("POST", "/status", "GET, HEAD"),
        ("PUT", "/status", "GET, HEAD"),
        ("DELETE", "/status", "GET, HEAD"),
        ("OPTIONS", "/status", "GET, HEAD"),
        ("PUT", "/", "GET, HEAD, POST"),
        ("DELETE", "/", "GET, HEAD, POST"),
        ("OPTIONS", "/gpu", "GET, HEAD, POST"),
        ("PATCH", "/gpu/h100", "DELETE, GET, HEAD, PUT"),
        ("POST", "/openapi.json", "GET, HEAD"),
        ("GET", "/v1/impact", "POST"),
    ],
)
def test_a_method_a_path_lacks_is_405_with_allow(
    server: str, tokens: Tokens, method: str, path: str, allow: str
) -> None:
    answer = call(server + path, method, tokens.owner, data=b"{}")
    assert answer.status == 405, answer.body
    assert sorted(answer.headers["Allow"].split(", ")) == allow.split(", ")
    error = orjson.loads(answer.body)
    assert error["code"] == "method_not_allowed" and method in error["message"]
