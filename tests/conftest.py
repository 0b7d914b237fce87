"""Shared fixtures: a real server process on loopback, started the way README says, with its
store in a temporary file and tokens made by the ``ai-impact`` CLI."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
import pytest

from ai_impact import cli

if TYPE_CHECKING:
    from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[1]
# The server stops by itself after this many seconds even if the test run dies. The session's
# server lives as long as the whole run: on a loaded machine a run took 31 min, and 20 min
# killed the server under the later tests (196 "connection refused" failures).
SERVER_LIFETIME_S = 3600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test has its own id. Schemathesis (4.32 on pytest 9) names its tests
    ``test[GET /gpu]`` but leaves all of them the function's node id, and pytest-xdist, which
    sends tests to its workers by id, would then run one operation of the 26 and report the
    others as never collected. A duplicate id left after this fails the run."""
    for item in items:
        module, _, _ = item.nodeid.rpartition("::")
        if item.nodeid != f"{module}::{item.name}":
            item._id = type(item.id).parse(f"{module}::{item.name}")  # pytest 9's structured id
    seen: set[str] = set()
    duplicates = {item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)}
    if duplicates:
        raise pytest.UsageError(f"tests with the same id: {sorted(duplicates)[:5]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(
    base_url: str, process: subprocess.Popen, timeout_s: float = 60, ready: bytes = b'"ready":true'
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(base_url + "/status", timeout=2) as response:
                if ready in response.read():
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not become ready")


class ServerProcess:
    """``make run`` on a loopback port with the store file ``db``; restartable."""

    def __init__(self, db: Path, port: int | None = None) -> None:
        self.db = db
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, ready: bytes = b'"ready":true') -> ServerProcess:
        """Start and wait for ``ready`` in /status (``b'"ready":false'``: up, store unusable)."""
        env = {
            "AI_IMPACT_ANONYMOUS_RATE_PER_MINUTE": "0",  # unless a test sets it
            **os.environ,
            "PORT": str(self.port),
            "AI_IMPACT_DB": str(self.db),
            "AI_IMPACT_RATE_PER_MINUTE": "0",  # tests set rates per token
        }
        self.process = subprocess.Popen(
            [
                "timeout",
                str(SERVER_LIFETIME_S),
                "make",
                "--no-print-directory",
                "run",
                f"PORT={self.port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_ready(self.url, self.process, ready=ready)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.process is None:
            return
        group = self.process.pid
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        # `timeout` exits before the server it runs: wait until no process of the group is left,
        # so that a restart on the same port never talks to the old server while it dies.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            os.killpg(group, signal.SIGKILL)
        self.process = None


def make_token(db: Path, *args: str) -> str:
    """``ai-impact token create ARGS``: the printed secret."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["--db", str(db), "token", "create", *args]) == 0
    return out.getvalue().strip()


@dataclass(frozen=True)
class Tokens:
    admin: str
    owner: str  # a user of customer "acme"
    other: str  # a user of customer "globex"


@pytest.fixture(scope="session")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store") / "store.sqlite3"


@pytest.fixture(scope="session")
def tokens(store_path: Path) -> Tokens:
    return Tokens(
        admin=make_token(store_path, "--role", "admin", "--customer", "ops", "--name", "ops-admin"),
        owner=make_token(store_path, "--role", "user", "--customer", "acme", "--name", "acme-dev"),
        other=make_token(store_path, "--role", "user", "--customer", "globex"),
    )


@pytest.fixture(scope="session")
def server(store_path: Path) -> Iterator[str]:
    """``make run`` on a free loopback port; yields the base URL and stops the server after."""
    process = ServerProcess(store_path).start()
    try:
        yield process.url
    finally:
        process.stop()


def raw(port: int, data: bytes, timeout_s: float = 60) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as is on one connection to 127.0.0.1:``port``; the first answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        with contextlib.suppress(OSError):  # the server may answer before reading it all
            sock.sendall(data)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One answer: its head and its ``Content-Length`` bytes of body (or up to the close). Not
    waiting for the close: a server keeps a connection whose declared body it has not read for
    its keep-alive time (5 s)."""
    data = b""
    while b"\r\n\r\n" not in data and (chunk := sock.recv(65536)):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    length = int(headers["Content-Length"]) if "Content-Length" in headers else None
    while (length is None or len(body) < length) and (chunk := sock.recv(65536)):
        body += chunk
    return int(status_line.split()[1]), headers, body


def in_process_app(
    tmp_path_factory: pytest.TempPathFactory, customer: str
) -> Iterator[tuple[FlaskClient, str]]:
    """The Cloud Function's own Flask app in this process, on a store of its own with a user
    token of ``customer``: (test client, token). For a module fixture: ``yield from``."""
    from functions_framework import create_app

    from ai_impact.rest import service

    db = tmp_path_factory.mktemp(customer) / "store.sqlite3"
    token = make_token(db, "--role", "user", "--customer", customer)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AI_IMPACT_DB", str(db))
        patch.setattr(service, "_service", None)
        app = create_app("ai_impact", str(ROOT / "function" / "main.py"))
        yield app.test_client(), token


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return orjson.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    token: str | None = None,
    json: object = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """One HTTP request; any status is returned, never raised."""
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if json is not None:
        data = orjson.dumps(json)
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())
