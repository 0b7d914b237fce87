"""The SQLite store: created and migrated on open, durable, transactional, thread-safe; and
nothing written through the REST API is lost when the server restarts."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from ai_impact import cli
from ai_impact.rest.auth import hash_token, issue_token
from ai_impact.store import Entry, NameTakenError, open_store
from ai_impact.store.migrations import MIGRATIONS
from conftest import ServerProcess, call, make_token


def entry(entry_id: str, customer_id: int = 1, **fields: object) -> Entry:
    return Entry("node", entry_id, customer_id, fields, "t0", "t0", "tester")


def test_created_on_first_open_at_the_current_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "store.sqlite3"
    store = open_store(path)
    assert path.exists()
    assert store.schema_version() == len(MIGRATIONS)
    # Reopening does not migrate again (it would fail on existing tables).
    assert open_store(path).schema_version() == len(MIGRATIONS)


def test_data_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = open_store(path)
    token, secret = issue_token(store, "user", "acme", "dev", 5)
    store.put(entry("my-node", token.customer_id, gpu_id="h100"), ["my-node"])
    store.map_project("analytics-prod", token.customer_id)

    again = open_store(path)
    assert again.token(hash_token(secret)) == token
    assert again.entry("node", "my-node").fields == {"gpu_id": "h100"}
    assert again.project_customer("analytics-prod") == token.customer_id
    assert again.customers_with_entries() == [token.customer_id]


def test_tokens_are_stored_hashed_and_revocable(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = open_store(path)
    token, secret = issue_token(store, "admin", "ops")
    assert secret.startswith("aii_") and len(secret) > 40
    assert secret.encode() not in path.read_bytes()
    assert store.token(hash_token("aii_wrong")) is None
    assert store.revoke_token(token.id)
    assert store.token(hash_token(secret)) is None
    assert store.tokens()[0].revoked


def test_names_are_unique_per_kind_and_a_failed_transaction_leaves_nothing(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path / "store.sqlite3")
    store.put(entry("a-node"), ["a-node", "shared-name"])
    generation = store.generation()
    with pytest.raises(NameTakenError):
        store.put(entry("b-node"), ["b-node", "Shared_Name"])  # same lookup key
    assert store.entry("node", "b-node") is None
    assert store.generation() == generation
    with pytest.raises(NameTakenError):
        store.put(entry("a-node", customer_id=2), ["a-node"], replace=False)
    assert store.entry("node", "a-node").customer_id == 1
    # Another kind has its own names.
    store.put(Entry("gpu", "shared-name", 1, {}, "t", "t", "x"), ["shared-name"])

    with pytest.raises(RuntimeError), store.transaction():
        store.put(entry("c-node"), ["c-node"])
        raise RuntimeError("abort")
    assert store.entry("node", "c-node") is None


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    store = open_store(path)
    start = store.generation()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            # Half the writers share the store object (threads), half open their own.
            own = store if worker % 2 else open_store(path)
            for i in range(15):
                own.put(entry(f"n-{worker}-{i}"), [f"n-{worker}-{i}"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.entries("node")) == 6 * 15
    assert store.generation() == start + 6 * 15


def test_foreign_keys_hold(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        store.add_token("hash", "admin", 999, "x", None)  # no customer 999


def test_nothing_written_through_the_api_is_lost_on_restart(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    token = make_token(db, "--role", "user", "--customer", "acme")
    server = ServerProcess(db).start()
    try:
        node = {"id": "restart-node", "gpu_id": "h100", "gpu_count": 2, "cpu_count": 16}
        assert call(server.url + "/node", "POST", token, node).status == 201
        model = {"id": "restart-model", "total_params_billions": 3, "aliases": ["rm"]}
        assert call(server.url + "/model", "POST", token, model).status == 201
        alias = {"alias": "rm-2"}
        assert call(server.url + "/model/restart-model/alias", "PUT", token, alias).status == 204
        before = call(server.url + "/node/restart-node", token=token).json()
    finally:
        server.stop()
    server.start()
    try:
        assert call(server.url + "/node/restart-node", token=token).json() == before
        model = call(server.url + "/model/restart-model", token=token).json()
        assert model["aliases"] == ["rm", "rm-2"]
        row = {"model_id": "rm-2", "node_id": "restart-node", "output_tokens": 100}
        answer = call(server.url + "/v1/impact", "POST", token, {"rows": [row]}).json()
        assert "error" not in answer["rows"][0]
        assert answer["total_energy_wh"] > 0
    finally:
        server.stop()


def test_without_a_usable_store_both_doors_say_503(tmp_path: Path) -> None:
    """Never 200 over the bundled catalog alone: a custom model would become a permanent
    unknown_model, which BigQuery does not retry; it retries 503."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    server = ServerProcess(blocker / "store.sqlite3")
    # make run cannot print a dev token here; the server starts all the same, not ready.
    server.start(ready=b'"ready":false')
    try:
        envelope = {
            "requestId": "r",
            "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
            "sessionUser": "a@example.com",
            "calls": [[{"model_id": "llama_31_8b", "output_tokens": 10}]],
        }
        answer = call(server.url + "/", "POST", json=envelope)
        assert answer.status == 503
        assert "store cannot be used" in answer.json()["errorMessage"]
        rest = call(server.url + "/gpu", token="aii_anything")
        assert rest.status == 503
        assert rest.json()["code"] == "store_unavailable"
        status = call(server.url + "/status").json()
        assert status["ready"] is False and status["reason"].startswith("store unavailable")
    finally:
        server.stop()


def test_the_dev_token_is_kept_across_runs_and_per_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make run` twice keeps one token; another checkout's store has its own, and neither
    revokes the other's (item 8 of issue 14)."""

    def dev_token(db: Path) -> str:
        assert cli.main(["--db", str(db), "dev-token"]) == 0
        return capsys.readouterr().out.split("export TOKEN=")[1].split()[0]

    first, other = tmp_path / "a" / "store.sqlite3", tmp_path / "b" / "store.sqlite3"
    secret = dev_token(first)
    other_secret = dev_token(other)
    assert dev_token(first) == secret != other_secret
    for db, kept in ((first, secret), (other, other_secret)):
        token = open_store(db).token(hash_token(kept))
        assert token is not None and token.role == "admin"
    assert (first.parent / "store.sqlite3.dev-token").stat().st_mode & 0o077 == 0
    # Revoked (or the store replaced): the next run issues a new one and keeps that.
    store = open_store(first)
    token = store.token(hash_token(secret))
    assert token is not None and store.revoke_token(token.id)
    renewed = dev_token(first)
    assert renewed != secret and dev_token(first) == renewed
