"""The local BigQuery emulator (bqemulator, PyPI) on 127.0.0.1, and a client for it.

The emulator runs from its own virtualenv, installed by scripts/setup_bqemulator.py (run here
if needed: a missing emulator is installed, or the tests fail saying why, never skipped). It is
started under ``timeout`` so that it stops by itself even if the test run dies, with HOME set
to the virtualenv's home, where the setup put DuckDB's spatial extension.

What the emulator cannot do, and what the tests do about it (reference notes, section 5.1):
remote functions (``REMOTE WITH CONNECTION``) and ``OPTIONS`` in ``CREATE FUNCTION`` are not
parsed, and nothing is ever called over HTTP; so the remote functions are replaced by a SQL stub
of the same signature, and the SQL functions of sql/ carry no OPTIONS. Its JSON encodings of
NUMERIC and TIMESTAMP differ from BigQuery's; the SQL of sql/ formats timestamps itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.api_core.retry import Retry
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "scripts" / "setup_bqemulator.py"
VENV = ROOT / ".venv" / "bq"
PROJECT = "test-proj"
LIFETIME_S = 900  # the emulator stops by itself after this, whatever happens to the tests
# The emulator answers unsupported statements with HTTP 500, which the client would retry for
# minutes: a short deadline, and no job retries.
RETRY = Retry(deadline=10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Emulator:
    url: str
    project: str = PROJECT

    def client(self) -> bigquery.Client:
        return client(self.url, self.project)

    def run(self, sql: str, params: list | None = None) -> list[dict]:
        """Run ``sql`` (a statement or a script) and return the rows of its result."""
        config = bigquery.QueryJobConfig(query_parameters=params or [])
        job = self.client().query(sql, job_config=config, retry=RETRY, job_retry=None)
        return [dict(row) for row in job.result(retry=RETRY)]


def client(url: str, project: str = PROJECT) -> bigquery.Client:
    return bigquery.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=url),
    )


def _wait(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bqemulator exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(
                f"{url}/bigquery/v2/projects/{PROJECT}/datasets", timeout=2
            ):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"bqemulator did not answer within {timeout_s} s:\n{log.read_text()}")


@contextmanager
def running(log_dir: Path) -> Iterator[Emulator]:
    """An emulator on free loopback ports for the duration of the block."""
    subprocess.run([sys.executable, str(SETUP)], check=True)
    rest, grpc = _free_port(), _free_port()
    log = log_dir / "bqemulator.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                "timeout",
                str(LIFETIME_S),
                str(VENV / "bin" / "bqemulator"),
                "start",
                "--rest-host=127.0.0.1",
                f"--rest-port={rest}",
                "--grpc-host=127.0.0.1",
                f"--grpc-port={grpc}",
                f"--project={PROJECT}",
                "--log-level=warning",
            ],
            env={**os.environ, "HOME": str(VENV / "home")},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{rest}"
    try:
        _wait(url, process, log)
        yield Emulator(url)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
