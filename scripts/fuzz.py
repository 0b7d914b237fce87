"""A standing fuzz and load campaign against a real `make run` server on 127.0.0.1.

    python scripts/fuzz.py [--requests 20000] [--seed 7] [--clients 8] [--batches 25] [--rows 1000]

It starts the server (its store in a temporary file, tokens made with the ``ai-impact`` CLI),
then sends, in a fixed-seed random order:

- BigQuery-door requests: envelopes with valid and invalid rows (random values for random
  fields, typo'd keys, both signatures and return types) and malformed envelopes;
- REST requests: random bodies, paths (``//`` included), methods, headers and bearer tokens;
- an isolation probe: customer ``acme`` creates a custom model, customer ``globex`` must not see
  or use it, on REST and on the BigQuery door;
- a determinism probe: a share of the successful requests is sent again and must answer the
  same bytes;
- a load scenario: ``--clients`` threads each send ``--batches`` BigQuery batches of ``--rows``.

It prints one line per failure column and the slowest response, and exits 1 when any failure
column is not 0. The failure columns: 5xx, reply-count mismatches, isolation violations,
nondeterministic answers, contract violations (an ``errorMessage`` over 1,000 bytes, a REST
error that is not the API's ``Error`` shape) and silent zeros (a reply without an error and
without energy, unless its call stated only zero quantities: ``output_tokens: 0`` rightly
answers 0 Wh, a call without any quantity must be a ``missing_field`` error). Every request
goes to 127.0.0.1 only; the loops are bounded in count, and the server is stopped at the end
(and by ``timeout`` if this script dies).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "function"))

from ai_impact import cli  # noqa: E402
from ai_impact.bigquery import SCOPE3_ARGS, SCOPE3_MIN_ARGS  # noqa: E402
from ai_impact.fields import QUANTITY_FIELDS  # noqa: E402

SERVER_LIFETIME_S = 3600
MAX_ERROR_MESSAGE_BYTES = 1000
GOOD_MODELS = ["llama_31_8b", "llama_31_70b", "gpt-4o", "mistral_7b", "sdxl", "whisper_large_v3"]
FIELDS = [
    "model_id",
    "input_tokens",
    "output_tokens",
    "input_images",
    "output_images",
    "input_audio_seconds",
    "output_audio_seconds",
    "output_video_frames",
    "output_video_resolution",
    "input_steps",
    "task",
    "node_id",
    "cloud_id",
    "cloud_region",
    "cloud_instance_id",
    "managed_service_id",
    "country",
    "region",
    "utc_datetime",
    "gpu_id",
    "gpu_count",
    "batch_size",
    "model_datatype",
    "model_total_params_billions",
    "request_duration_ms",
]
TYPOS = ["output_token", "input_token", "modelid", "gpuid", "outputTokens", "zzz"]
PATHS = [
    "/v1/impact",
    "/status",
    "/model",
    "/node",
    "/gpu",
    "/model/gpt-4o",
    "/node/aws-p5-48xlarge",
    "//v1/impact",
    "/v1//impact",
    "/nope",
    "/openapi.json",
    "/reload",
    "/" + "x" * 5000,
]


def _value(rng: random.Random) -> object:
    kind = rng.randrange(12)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.randint(-(2**40), 2**40)
    if kind == 3:
        return rng.choice([0, 1, 500, 10**9, -1])
    if kind == 4:
        return rng.uniform(-1e6, 1e6)
    if kind == 5:
        return rng.choice(["", "NaN", "inf", "1e400", "500", "2024-13-45", "US", "1024x1024"])
    if kind == 6:
        return "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 40)))
    if kind == 7:
        return [rng.choice(["512x512", "bad", 3, None]) for _ in range(rng.randrange(0, 4))]
    if kind == 8:
        return {"nested": rng.random()}
    if kind == 9:
        return rng.choice(GOOD_MODELS)
    if kind == 10:
        return "é" * rng.randrange(1, 3000)
    return rng.randrange(1, 4000)


def _row(rng: random.Random) -> object:
    if rng.random() < 0.03:
        return rng.choice([None, 5, "text", [1, 2]])
    row: dict[str, object] = {
        "model_id": rng.choice(GOOD_MODELS),
        "output_tokens": rng.randrange(1, 3000),
    }
    if rng.random() < 0.5:
        row["input_tokens"] = rng.randrange(0, 20000)
    for _ in range(rng.choice([0, 0, 1, 2, 4])):
        row[rng.choice(FIELDS)] = _value(rng)
    if rng.random() < 0.05:
        row[rng.choice(TYPOS)] = 500
    return row


def _envelope(rng: random.Random, n_calls: int, caller_project: str = "fuzz") -> dict:
    signature = rng.choice(["row", "row", "scope3"])
    context: dict[str, str] = {"signature": signature}
    if rng.random() < 0.3:
        context["return_type"] = rng.choice(["json", "string"])
    if rng.random() < 0.2:
        context["debug"] = "true"
    calls: list[list[object]] = []
    for _ in range(n_calls):
        row = _row(rng)
        if signature == "row":
            argument = orjson.dumps(row).decode() if rng.random() < 0.3 else row
            calls.append([argument])
        else:
            # The hosted API's positional arguments, the last four optional.
            source = row if isinstance(row, dict) else {}
            n_args = rng.randrange(SCOPE3_MIN_ARGS, len(SCOPE3_ARGS) + 1)
            calls.append([source.get(name) for name in SCOPE3_ARGS[:n_args]])
    return {
        "requestId": f"fuzz-{rng.randrange(10**9)}",
        "caller": f"//bigquery.googleapis.com/projects/{caller_project}/jobs/{caller_project}:US.j",
        "sessionUser": "fuzz@example.com",
        "userDefinedContext": context,
        "calls": calls,
    }


def _malformed(rng: random.Random) -> bytes:
    good = orjson.dumps(_envelope(rng, rng.randrange(1, 5)))
    kind = rng.randrange(6)
    if kind == 0:
        return good[: rng.randrange(len(good))]
    if kind == 1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    if kind == 2:
        return orjson.dumps({"calls": _value(rng), "requestId": _value(rng)})
    if kind == 3:
        return orjson.dumps([1, 2, 3])
    if kind == 4:
        return orjson.dumps({"requestId": "x", "calls": [[_row(rng)] * rng.randrange(0, 3)]})
    return b'{"calls": [[' + b"[" * 5000 + b"]]}"


@dataclass
class Tally:
    tried: int = 0
    server_errors: int = 0
    count_mismatches: int = 0
    isolation_violations: int = 0
    nondeterministic: int = 0
    contract_violations: int = 0
    silent_zeros: int = 0
    slowest_s: float = 0.0
    slowest_what: str = ""
    statuses: Counter = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, column: str, what: str) -> None:
        with self.lock:
            setattr(self, column, getattr(self, column) + 1)
            if len(self.examples) < 20:
                self.examples.append(f"{column}: {what[:300]}")


class Client:
    """One keep-alive HTTP connection to the server, re-opened after any error."""

    def __init__(self, port: int, tally: Tally) -> None:
        self.port = port
        self.tally = tally
        self.connection: http.client.HTTPConnection | None = None

    def send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        start = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            status, payload = response.status, response.read()
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
                self.connection = None
        except (OSError, http.client.HTTPException) as error:
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            status, payload = 599, repr(error).encode()
        elapsed = time.monotonic() - start
        with self.tally.lock:
            self.tally.tried += 1
            self.tally.statuses[status] += 1
            if elapsed > self.tally.slowest_s:
                self.tally.slowest_s = elapsed
                self.tally.slowest_what = f"{method} {path[:60]} ({len(body or b'')} bytes)"
        if status >= 500:
            self.tally.failed("server_errors", f"{status} {method} {path[:80]}: {payload[:200]!r}")
        return status, payload


def _zero_only(call: object, signature: str) -> bool:
    """Whether ``call`` states quantities and every one of them is zero (``output_tokens: 0``):
    the caller said nothing was processed, so 0 Wh without an error is the right answer. Any
    other call must cost energy or carry an error (a call without any quantity is a
    ``missing_field`` error)."""
    if not isinstance(call, list) or not call:
        return False
    if signature == "scope3":
        named = dict(zip(SCOPE3_ARGS, call, strict=False))
        values = [named.get(name) for name in QUANTITY_FIELDS]
    else:
        row = call[0]
        if isinstance(row, str):
            try:
                row = orjson.loads(row)
            except orjson.JSONDecodeError:
                return False
        if not isinstance(row, dict):
            return False
        values = [row.get(name) for name in QUANTITY_FIELDS]
    stated = [value for value in values if value is not None]
    for value in stated:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return False
        try:
            if float(value) != 0:
                return False
        except ValueError:
            return False
    return bool(stated)


def _zero_allowed(body: bytes, n_replies: int) -> list[bool]:
    """Per call of the request ``body``: whether a zero answer is right (:func:`_zero_only`)."""
    try:
        envelope = orjson.loads(body)
        context = envelope.get("userDefinedContext") or {}
        signature = context.get("signature", "row") if isinstance(context, dict) else "row"
        calls = envelope["calls"]
        return [_zero_only(call, signature) for call in calls][:n_replies]
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        return [False] * n_replies


def check_bigquery(
    tally: Tally, n_calls: int | None, body: bytes, status: int, payload: bytes
) -> None:
    """The BigQuery door answers 200 with one reply per call, or 400 with a short errorMessage;
    a reply without an error costs energy unless its call stated only zero quantities."""
    if status == 200:
        replies = orjson.loads(payload).get("replies")
        if n_calls is not None and (not isinstance(replies, list) or len(replies) != n_calls):
            tally.failed("count_mismatches", f"{n_calls} calls, reply {payload[:200]!r}")
            return
        for reply, zero_ok in zip(replies, _zero_allowed(body, len(replies)), strict=False):
            answer = orjson.loads(reply) if isinstance(reply, str) else reply
            energy_wh = answer["total_impact"]["usage_energy_wh"]
            if answer.get("error") is None and energy_wh <= 0 and not zero_ok:
                tally.failed("silent_zeros", f"a reply without error and without energy: {reply}")
    elif status == 400:
        try:
            message = orjson.loads(payload)["errorMessage"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            tally.failed("contract_violations", f"400 without errorMessage: {payload[:200]!r}")
            return
        if len(message.encode()) > MAX_ERROR_MESSAGE_BYTES:
            tally.failed("contract_violations", f"errorMessage of {len(message.encode())} bytes")
    elif status < 500:
        tally.failed("contract_violations", f"BigQuery door answered {status}")


def bigquery_phase(client: Client, rng: random.Random, n: int, tally: Tally) -> list[bytes]:
    """Random BigQuery-door requests; returns bodies that answered 200 (for the replay)."""
    ok: list[bytes] = []
    headers = {"Content-Type": "application/json"}
    for _ in range(n):
        if rng.random() < 0.15:
            body, n_calls = _malformed(rng), None
        else:
            n_calls = rng.choice([0, 1, 1, 3, 10, 50, 200])
            body = orjson.dumps(_envelope(rng, n_calls))
        status, payload = client.send("POST", "/", body, headers)
        check_bigquery(tally, n_calls, body, status, payload)
        if status == 200 and len(ok) < 500:
            ok.append(body)
    return ok


def rest_phase(
    client: Client, rng: random.Random, n: int, tally: Tally, tokens: list[str]
) -> list[tuple[str, bytes, str]]:
    """Random REST requests; returns (path, body, token) of /v1/impact calls that answered 200.
    ``tokens[0]`` is an admin's."""
    ok: list[tuple[str, bytes, str]] = []
    for _ in range(n):
        method = rng.choice(["GET", "POST", "POST", "PUT", "DELETE", "PATCH"])
        path = rng.choice(PATHS)
        if rng.random() < 0.3:
            path += rng.choice(
                ["?debug=true", "?extensions=true", "?debug=maybe", "?x=" + "y" * 9000]
            )
        headers = {"Content-Type": rng.choice(["application/json", "text/plain"])}
        choice = rng.random()
        if choice < 0.7:
            # Admins may change the global catalog (by design): they only read here, so that
            # the other phases keep a known catalog.
            users = tokens if method == "GET" else tokens[1:]
            headers["Authorization"] = "Bearer " + rng.choice(users)
        elif choice < 0.8:
            headers["Authorization"] = "Bearer " + "a" * rng.choice([10, 10_000])
        if rng.random() < 0.1:
            headers["Accept"] = rng.choice(["text/html", "*/*", "application/json"])
        body_kind = rng.random()
        if body_kind < 0.6:
            body = orjson.dumps({"rows": [_row(rng) for _ in range(rng.randrange(0, 20))]})
        elif body_kind < 0.8:
            body = orjson.dumps({k: _value(rng) for k in rng.sample(FIELDS, 3)})
        else:
            body = _malformed(rng)
        status, payload = client.send(method, path, body if method != "GET" else None, headers)
        if status >= 400:
            try:
                shape = set(orjson.loads(payload))
            except (orjson.JSONDecodeError, TypeError):
                shape = set()
            if not {"code", "message"} <= shape:
                tally.failed(
                    "contract_violations", f"REST {status} not an Error: {payload[:100]!r}"
                )
        if status == 200 and method == "POST" and path.startswith("/v1/impact") and len(ok) < 300:
            ok.append((path, body, headers["Authorization"]))
    return ok


def replay_phase(
    client: Client, bigquery: list[bytes], rest: list[tuple[str, bytes, str]], tally: Tally
) -> None:
    """Send successful requests again: the same request must give the same bytes."""
    headers = {"Content-Type": "application/json"}
    for body in bigquery:
        first = client.send("POST", "/", body, headers)
        second = client.send("POST", "/", body, headers)
        if first != second:
            tally.failed("nondeterministic", f"BigQuery body {body[:120]!r}")
    for path, body, authorization in rest:
        auth = {**headers, "Authorization": authorization}
        first = client.send("POST", path, body, auth)
        second = client.send("POST", path, body, auth)
        # Rate limits may answer 429 to one of the two; only two 200s must agree.
        if first[0] == second[0] == 200 and first != second:
            tally.failed("nondeterministic", f"REST {path} {body[:120]!r}")


def isolation_phase(client: Client, tally: Tally, owner: str, other: str, db: Path) -> None:
    """acme's custom model is invisible and unusable for globex, on REST and the BigQuery door."""
    secret = f"fuzz-secret-{os.getpid()}"
    json = {"Content-Type": "application/json"}
    created, _ = client.send(
        "POST",
        "/model",
        orjson.dumps({"id": secret, "total_params_billions": 7}),
        {**json, "Authorization": f"Bearer {owner}"},
    )
    if created != 201:
        tally.failed("isolation_violations", f"could not create the probe model: {created}")
        return
    with contextlib.redirect_stdout(io.StringIO()):
        cli.main(["--db", str(db), "project", "map", "acme-project", "--customer", "acme"])
        cli.main(["--db", str(db), "project", "map", "globex-project", "--customer", "globex"])
    theirs = {**json, "Authorization": f"Bearer {other}"}
    status, _ = client.send("GET", f"/model/{secret}", None, theirs)
    if status != 404:
        tally.failed("isolation_violations", f"GET another customer's model: {status}")
    status, payload = client.send("GET", "/model", None, theirs)
    if secret.encode() in payload:
        tally.failed("isolation_violations", "another customer's model listed")
    row = {"model_id": secret, "output_tokens": 100}
    status, payload = client.send("POST", "/v1/impact", orjson.dumps({"rows": [row]}), theirs)
    if status == 200 and orjson.loads(payload)["rows"][0].get("error") is None:
        tally.failed("isolation_violations", "another customer's model used on REST")
    for project, should_resolve in (("acme-project", True), ("globex-project", False)):
        envelope = {
            "requestId": "iso",
            "caller": f"//bigquery.googleapis.com/projects/{project}/jobs/{project}:US.j",
            "sessionUser": "fuzz@example.com",
            "calls": [[row]],
        }
        status, payload = client.send("POST", "/", orjson.dumps(envelope), json)
        if status != 200:
            tally.failed("isolation_violations", f"BigQuery isolation probe answered {status}")
            continue
        resolved = orjson.loads(payload)["replies"][0].get("error") is None
        if resolved != should_resolve:
            tally.failed("isolation_violations", f"{project} resolved={resolved}")


def load_phase(port: int, clients: int, batches: int, rows: int, seed: int, tally: Tally) -> None:
    """``clients`` threads, each sending ``batches`` BigQuery batches of ``rows`` valid rows."""

    def work(k: int) -> None:
        rng = random.Random(seed * 1000 + k)
        client = Client(port, tally)
        for _ in range(batches):
            calls = [
                [{"model_id": rng.choice(GOOD_MODELS[:4]), "output_tokens": rng.randrange(1, 2000)}]
                for _ in range(rows)
            ]
            envelope = {"requestId": f"load-{k}", "caller": "", "sessionUser": "", "calls": calls}
            body = orjson.dumps(envelope)
            status, payload = client.send("POST", "/", body, {"Content-Type": "application/json"})
            check_bigquery(tally, rows, body, status, payload)
            if status == 200:
                errors = [r for r in orjson.loads(payload)["replies"] if r.get("error")]
                if errors:
                    tally.failed("contract_violations", f"load row failed: {errors[0]['error']}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _token(db: Path, *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        if cli.main(["--db", str(db), "token", "create", *args]) != 0:
            raise SystemExit("could not create a token")
    return out.getvalue().strip()


def _start(db: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "PORT": str(port), "AI_IMPACT_DB": str(db)}
    env["AI_IMPACT_RATE_PER_MINUTE"] = "0"
    process = subprocess.Popen(
        ["timeout", str(SERVER_LIFETIME_S), "make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/status")
            if b'"ready":true' in connection.getresponse().read():
                return process
        except OSError:
            time.sleep(0.3)
    os.killpg(process.pid, signal.SIGTERM)
    raise SystemExit("server did not become ready")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="fuzzed requests (both doors)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=8, help="load: concurrent clients")
    parser.add_argument("--batches", type=int, default=25, help="load: batches per client")
    parser.add_argument("--rows", type=int, default=1000, help="load: rows per batch")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "fuzz.sqlite3"
        admin = _token(db, "--role", "admin", "--customer", "ops")
        owner = _token(db, "--role", "user", "--customer", "acme")
        other = _token(db, "--role", "user", "--customer", "globex")
        port = _free_port()
        process = _start(db, port)
        started = time.monotonic()
        try:
            client = Client(port, tally)
            isolation_phase(client, tally, owner, other, db)
            bigquery_ok = bigquery_phase(client, rng, args.requests * 6 // 10, tally)
            rest_ok = rest_phase(client, rng, args.requests * 4 // 10, tally, [admin, owner, other])
            replay_phase(client, bigquery_ok, rest_ok, tally)
            load_phase(port, args.clients, args.batches, args.rows, args.seed, tally)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    elapsed = time.monotonic() - started
    columns = [
        ("requests tried", tally.tried),
        ("5xx or connection failures", tally.server_errors),
        ("reply-count mismatches", tally.count_mismatches),
        ("isolation violations", tally.isolation_violations),
        ("nondeterministic answers", tally.nondeterministic),
        ("contract violations", tally.contract_violations),
        ("silent zero answers", tally.silent_zeros),
    ]
    for name, value in columns:
        print(f"{name:<28} {value}")
    print(f"{'slowest response':<28} {tally.slowest_s:.3f} s  {tally.slowest_what}")
    print(f"{'statuses':<28} {dict(sorted(tally.statuses.items()))}")
    print(f"{'wall time':<28} {elapsed:.0f} s")
    for example in tally.examples:
        print("  " + example)
    return 1 if any(value for _, value in columns[1:]) else 0


if __name__ == "__main__":
    sys.exit(main())
