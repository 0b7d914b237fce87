"""The limits of the server ``make run`` starts (``ai_impact.serve``), against a real process on
127.0.0.1 (issue 14, items 3 and 4): oversized headers and request lines answered as JSON, slow
clients that cannot starve the others and are cut at the read deadline, and the per-address
limit of requests without a valid token."""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import orjson
import pytest

from ai_impact import serve
from ai_impact.http import MAX_BODY_BYTES
from ai_impact.rest import ratelimit
from ai_impact.rest.errors import ApiError
from ai_impact.rest.ratelimit import MAX_BUCKETS, RateLimiter, client_address
from conftest import ROOT, ServerProcess, make_token, raw, read_answer

READ_TIMEOUT_S = 8
ANONYMOUS_RATE_PER_MINUTE = 3
ROW = {"model_id": "llama_31_8b", "input_tokens": 100, "output_tokens": 500}
ENVELOPE = {
    "requestId": "limits",
    "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
    "sessionUser": "u@example.com",
    "calls": [[ROW]],
}


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str]]:
    """``make run`` with a short read deadline, an anonymous limit of 3 a minute and one proxy
    hop (so that tests pick their client address with X-Forwarded-For); yields (port, token)."""
    db = tmp_path_factory.mktemp("limits") / "store.sqlite3"
    token = make_token(db, "--role", "user", "--customer", "limits")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(serve.ENV_READ_TIMEOUT, str(READ_TIMEOUT_S))
        patch.setenv("AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE", str(ANONYMOUS_RATE_PER_MINUTE))
        patch.setenv("AI_IMPACT_PROXY_HOPS", "1")
        server = ServerProcess(db).start()
    try:
        yield server.port, token
    finally:
        server.stop()


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def assert_rest_error(answer: tuple[int, dict[str, str], bytes], status: int, code: str) -> None:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["Content-Type"] == "application/json", headers
    error = orjson.loads(body)
    assert error["code"] == code and error["details"]["reason"] == code
    assert error["message"]


def test_a_10_kb_bearer_is_a_json_401(limited: tuple[int, str]) -> None:
    port, _ = limited
    headers = {"Authorization": "Bearer " + "a" * 10_000, "X-Forwarded-For": "198.51.100.1"}
    assert_rest_error(request(port, "GET", "/gpu", headers=headers), 401, "unauthorized")
    body = orjson.dumps({"rows": [ROW]})
    headers["Content-Type"] = "application/json"
    answer = request(port, "POST", "/v1/impact", body, headers)
    assert_rest_error(answer, 401, "unauthorized")


def test_an_oversized_header_is_a_json_431(limited: tuple[int, str]) -> None:
    port, _ = limited
    big = "a" * (serve.MAX_HEADER_FIELD_BYTES + 1)
    answer = request(port, "GET", "/gpu", headers={"Authorization": f"Bearer {big}"})
    assert_rest_error(answer, 431, "request_header_fields_too_large")
    many = "".join(f"X-H{i}: {i}\r\n" for i in range(serve.MAX_HEADER_FIELDS + 1))
    answer = raw(port, f"GET /status HTTP/1.1\r\nHost: t\r\n{many}\r\n".encode())
    assert_rest_error(answer, 431, "request_header_fields_too_large")


def test_a_long_request_line_is_a_json_414(limited: tuple[int, str]) -> None:
    port, _ = limited
    path = "/gpu?x=" + "y" * serve.MAX_REQUEST_LINE_BYTES
    assert_rest_error(request(port, "GET", path), 414, "uri_too_long")


@pytest.mark.parametrize(
    "data",
    [
        b"HELLO\r\n\r\n",
        b"GET /status HTTP/9.9\r\nHost: t\r\n\r\n",
        b"GET /status HTTP/1.1\r\nBad Header\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_a_malformed_request_is_a_json_400(limited: tuple[int, str], data: bytes) -> None:
    assert_rest_error(raw(limited[0], data), 400, "invalid_request")


def test_a_path_the_framework_does_not_route_is_a_json_404(limited: tuple[int, str]) -> None:
    """The app's own error handlers are on the app the server runs (a newline in the path never
    reaches the routing function)."""
    answer = request(limited[0], "GET", "/node/a%0Ab")
    assert_rest_error(answer, 404, "not_found")


def test_a_declared_body_over_the_limit_is_refused_unread(limited: tuple[int, str]) -> None:
    """The server reads bodies whole before the app runs, but not one declared too large: the
    app answers 413 (REST) or a 400 errorMessage (BigQuery) at once."""
    port, token = limited
    head = (
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n"
    )
    answer = raw(port, head.format(path="/v1/impact").encode() + b'{"rows": [')
    assert_rest_error(answer, 413, "payload_too_large")
    status, _, body = raw(port, head.format(path="/").encode() + b'{"calls": [')
    assert status == 400 and "larger than" in orjson.loads(body)["errorMessage"]


def test_slow_clients_neither_starve_others_nor_stay(limited: tuple[int, str]) -> None:
    """Eight connections trickle a body one byte every 2 s: meanwhile the other doors answer
    (well before the read deadline could free a thread), and each slow one gets a JSON 408 at
    the deadline and is closed."""
    port, token = limited
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    rows = orjson.dumps({"rows": [ROW]})

    def quick_requests(timeout_s: float) -> None:
        status, _, body = request(port, "GET", "/status", timeout_s=timeout_s)
        assert status == 200 and orjson.loads(body)["ready"] is True
        answer = request(port, "POST", "/", orjson.dumps(ENVELOPE), timeout_s=timeout_s)
        assert answer[0] == 200 and len(orjson.loads(answer[2])["replies"]) == 1
        assert request(port, "POST", "/v1/impact", rows, auth, timeout_s=timeout_s)[0] == 200

    quick_requests(60)  # first estimates load what they need: not timed against the deadline
    slow = [
        socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S + 60) for _ in range(8)
    ]
    head = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(2.0):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(b" ")

    def refused(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
        """The answer, then the server's close; closed at once (the server lingers up to 2 s
        for the client's close, one connection after the other)."""
        answer = read_answer(sock)
        assert sock.recv(1) == b""
        sock.close()
        return answer

    trickler = threading.Thread(target=trickle, daemon=True)
    try:
        for sock in slow:
            sock.sendall(head + b"Content-Length: 1000\r\n\r\n{")
        trickler.start()
        time.sleep(1.0)  # the server has taken the slow connections
        quick_requests(READ_TIMEOUT_S / 2)  # starved clients would wait for the deadline
        stop.set()  # no byte after the server closes (a reset would hide its answer)
        with ThreadPoolExecutor(len(slow)) as pool:
            for answer in pool.map(refused, slow):
                assert_rest_error(answer, 408, "request_timeout")
    finally:
        stop.set()
        for sock in slow:
            sock.close()


def test_requests_without_a_valid_token_are_limited_per_address(limited: tuple[int, str]) -> None:
    port, token = limited
    me = {"X-Forwarded-For": "203.0.113.9"}  # one proxy hop: the address it appended
    bad = {**me, "Authorization": "Bearer aii_not-a-token"}
    codes = [request(port, "GET", "/gpu?limit=1", headers=bad)[0] for _ in range(4)]
    assert codes == [401] * ANONYMOUS_RATE_PER_MINUTE + [429]
    answer = request(port, "GET", "/gpu?limit=1", headers=me)  # no token at all: same bucket
    assert_rest_error(answer, 429, "rate_limited")
    assert int(answer[1]["Retry-After"]) >= 1
    spoofed = {**bad, "X-Forwarded-For": "192.0.2.1, 203.0.113.9"}  # the client wrote the left
    assert request(port, "GET", "/gpu?limit=1", headers=spoofed)[0] == 429
    # A valid token from the same address is not limited by it, nor is the BigQuery door.
    good = {**me, "Authorization": f"Bearer {token}"}
    assert request(port, "GET", "/gpu?limit=1", headers=good)[0] == 200
    assert request(port, "POST", "/", orjson.dumps(ENVELOPE), me)[0] == 200
    # Another address has its own bucket.
    other = {**bad, "X-Forwarded-For": "203.0.113.10"}
    assert request(port, "GET", "/gpu?limit=1", headers=other)[0] == 401


@pytest.mark.parametrize(
    ("peer", "forwarded", "hops", "address"),
    [
        ("10.0.0.1", None, 0, "10.0.0.1"),
        ("10.0.0.1", "203.0.113.9", 0, "10.0.0.1"),  # no proxy: the header is the client's
        ("10.0.0.1", "203.0.113.9", 1, "203.0.113.9"),
        ("10.0.0.1", "192.0.2.1, 203.0.113.9", 1, "203.0.113.9"),
        ("10.0.0.1", "192.0.2.1, 203.0.113.9, 10.1.1.1", 2, "203.0.113.9"),
        ("10.0.0.1", "203.0.113.9", 3, "203.0.113.9"),
        ("10.0.0.1", " , ", 1, "10.0.0.1"),
        ("10.0.0.1", None, 1, "10.0.0.1"),
    ],
)
def test_client_address(peer: str, forwarded: str | None, hops: int, address: str) -> None:
    assert client_address(peer, forwarded, hops) == address


def test_address_buckets_refill_and_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE", "2")
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limiter.check_address("a")
    limiter.check_address("a")
    with pytest.raises(ApiError) as refused:
        limiter.check_address("a")
    assert refused.value.status == 429 and refused.value.headers["Retry-After"] == "30"
    limiter.check_address("b")  # its own bucket
    now[0] = 30.0  # one request refilled (2 a minute)
    limiter.check_address("a")
    for i in range(MAX_BUCKETS):
        limiter.check_address(f"flood-{i}")
    now[0] = 200.0
    limiter.check_address("last")  # past MAX_BUCKETS: refilled buckets are dropped
    assert len(limiter._buckets) == 1


@pytest.mark.parametrize("value", ["-1", "many"])
def test_a_bad_limit_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE", value)
    with pytest.raises(ValueError, match="AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE"):
        RateLimiter().check_address("a")


def test_the_limits_the_docs_state_are_the_code_s() -> None:
    """docs/api.md (Limits) and the README state these figures: they change together."""
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    limits = api[api.index("## Limits") :]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    field_kib = f"{serve.MAX_HEADER_FIELD_BYTES // 1024} KiB"
    read_s = f"{serve.READ_TIMEOUT_S:g} s"
    anonymous = f"{ratelimit.DEFAULT_ANONYMOUS_RATE_PER_MINUTE} a minute"
    for text in (limits, readme):
        for figure in (field_kib, read_s, anonymous, f"{serve.THREADS} threads"):
            assert figure in text, figure
    assert f"over {serve.MAX_HEADER_FIELDS} fields" in limits
    assert f"{serve.KEEPALIVE_S} s keep-alive" in limits
