"""The BigQuery store, against the local BigQuery emulator: the Store interface over the tables
of sql/store, its TTL cache, its atomic writes, and the deployed path end to end: a node an
analyst INSERTs with plain SQL is used by ai_impact(...) calls of the mapped project."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ai_impact.bigquery import SCOPE3_ARGS
from ai_impact.rest.auth import hash_token
from ai_impact.store import ENV_BIGQUERY_DATASET, Entry, NameTakenError, open_store
from ai_impact.store.bigquery import (
    ENV_ENDPOINT,
    ENV_TTL,
    BigQueryStore,
    StoreUnavailableError,
    literal,
)
from conftest import ServerProcess, call
from tools import bq_resources, emulator, render

ROOT = Path(__file__).resolve().parents[1]
STORE_SQL = ROOT / "sql" / "store"
P = emulator.PROJECT
STAMP = "2026-01-02T03:04:05.000006Z"
_datasets = itertools.count()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[emulator.Emulator]:
    with emulator.running(tmp_path_factory.mktemp("bqemulator")) as running:
        yield running


@pytest.fixture
def dataset(emu: emulator.Emulator) -> str:
    """A fresh dataset holding the store's tables, seeded as Terraform seeds it."""
    name = f"store_{next(_datasets)}"
    values = {"project_id": P, "dataset_id": name, "customer_name": "default"}
    values["caller_projects"] = f'["{P}"]'
    emu.run(f"CREATE SCHEMA `{P}.{name}`")
    for path in sorted(STORE_SQL.glob("*.sql")):
        if path.stem != "seed":
            emu.run(render.render(path.read_text(encoding="utf-8"), values))
    emu.run(render.render((STORE_SQL / "seed.sql").read_text(encoding="utf-8"), values))
    return f"{P}.{name}"


def node(entry_id: str, customer_id: int = 2, **fields: object) -> Entry:
    fields = fields or {"gpu_id": "h100", "gpu_count": 4, "cpu_count": 32}
    return Entry("node", entry_id, customer_id, fields, STAMP, STAMP, "tester")


def test_everything_written_is_read_back_by_another_instance(
    emu: emulator.Emulator, dataset: str
) -> None:
    store = BigQueryStore(emu.client(), dataset)
    assert store.customer_id("default") == 1  # the seeded customer
    acme = store.customer_id("acme")
    assert acme == 2 and store.customer_id("acme") == 2
    token = store.add_token(hash_token("aii_secret"), "admin", acme, "ops", 30)
    store.map_project("analytics-prod", acme)
    store.put(node("my-node", acme, gpu_id="h100", gpu_count=4, cpu_count=32), ["my-node"])
    model = Entry("model", "My_Model", acme, {"aliases": ["mm"], "total_params_billions": 3.5},
                  STAMP, STAMP, "ops")  # fmt: skip
    store.put(model, ["My_Model", "mm"])

    again = BigQueryStore(emu.client(), dataset)
    assert again.token(hash_token("aii_secret")) == token
    assert again.token(hash_token("aii_wrong")) is None
    assert again.project_customer("analytics-prod") == acme
    assert again.projects() == [("analytics-prod", acme), (P, 1)]
    assert again.entry("node", "my-node") == node("my-node", acme)
    assert again.entry("model", "my-model") == model  # ids compare like catalog ids
    assert [e.id for e in again.entries(customer_id=acme)] == ["My_Model", "my-node"]
    assert again.customers_with_entries() == [acme]
    assert again.generation() == store.generation()

    assert again.revoke_token(token.id) and not again.revoke_token(token.id)
    assert again.remove("node", "MY_NODE") and not again.remove("node", "my-node")
    third = BigQueryStore(emu.client(), dataset)
    assert third.token(hash_token("aii_secret")) is None
    assert third.tokens()[0].revoked
    assert third.entry("node", "my-node") is None
    assert third.generation() != store.generation()


def test_names_are_unique_per_kind_and_a_failed_transaction_writes_nothing(
    emu: emulator.Emulator, dataset: str
) -> None:
    store = BigQueryStore(emu.client(), dataset)
    model = Entry("model", "a-model", 2, {"aliases": ["shared-name"]}, STAMP, STAMP, "x")
    store.put(model, ["a-model", "shared-name"])
    generation = store.generation()
    other = Entry("model", "b-model", 2, {"aliases": ["Shared_Name"]}, STAMP, STAMP, "x")
    with pytest.raises(NameTakenError):
        store.put(other, ["b-model", "Shared_Name"])  # same lookup key as an alias
    with pytest.raises(NameTakenError):
        store.put(Entry("model", "a-model", 3, {}, STAMP, STAMP, "x"), ["a-model"], replace=False)
    store.put(node("shared-name"), ["shared-name"])  # another kind has its own names
    with pytest.raises(RuntimeError), store.transaction():
        store.put(node("c-node"), ["c-node"])
        store.map_project("p-x", 2)
        assert store.entry("node", "c-node") is not None  # the writer sees its writes
        raise RuntimeError("abort")
    fresh = BigQueryStore(emu.client(), dataset)
    assert fresh.entry("node", "c-node") is None and fresh.project_customer("p-x") is None
    assert fresh.entry("model", "b-model") is None
    assert fresh.entry("model", "a-model").customer_id == 2
    assert fresh.generation() != generation  # shared-name node added


def test_plain_sql_inserts_are_read_once_the_ttl_has_passed(
    emu: emulator.Emulator, dataset: str
) -> None:
    clock = Clock()
    store = BigQueryStore(emu.client(), dataset, ttl_s=60, clock=clock)
    assert store.entry("node", "sql-node") is None
    emu.run(
        f"INSERT INTO `{dataset}.custom_nodes` (id, gpu_id, gpu_count, cpu_count, "
        "use_life_years) VALUES ('sql-node', 'a100_80gb', 8, 64, 4)"
    )
    clock.now += 59
    assert store.entry("node", "sql-node") is None  # cached
    clock.now += 2
    entry = store.entry("node", "sql-node")
    assert entry is not None and entry.customer_id == 1  # the column default
    assert entry.fields == {"gpu_id": "a100_80gb", "gpu_count": 8, "cpu_count": 64,
                            "use_life_years": 4.0}  # fmt: skip
    assert entry.created_by and entry.created_at.endswith("Z") and not entry.deleted
    # Two rows with one id (plain INSERTs): the one updated last is the entry.
    emu.run(
        f"INSERT INTO `{dataset}.custom_nodes` (id, gpu_id, gpu_count, cpu_count, updated_at) "
        "VALUES ('SQL_NODE', 'h100', 2, 16, TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL 1 HOUR))"
    )
    clock.now += 61
    assert store.entry("node", "sql-node").fields["gpu_id"] == "h100"


def test_an_unreadable_dataset_keeps_the_last_snapshot_or_is_unavailable(
    emu: emulator.Emulator, dataset: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = Clock()
    store = BigQueryStore(emu.client(), dataset, ttl_s=10, clock=clock)
    store.map_project("kept", 1)
    emu.run(f"DROP TABLE `{dataset}.projects`")
    clock.now += 11
    capsys.readouterr()
    assert store.project_customer("kept") == 1  # refresh failed: previous snapshot kept
    assert "store refresh failed: kept the previous snapshot" in capsys.readouterr().out
    with pytest.raises(StoreUnavailableError) as raised:
        BigQueryStore(emu.client(), f"{P}.no_such_dataset").generation()
    # An OSError: both doors answer 503 (tests/test_store_unavailable.py).
    assert isinstance(raised.value, OSError)
    with pytest.raises(StoreUnavailableError):
        store.map_project("written", 1)  # a write needs a fresh read


@pytest.mark.parametrize(
    "text",
    ["it's", "back\\slash", "two\nlines\r\ttab", "café ☕ 日本", "x'); DROP TABLE t; --", "\\'"],
)
def test_text_is_stored_exactly(emu: emulator.Emulator, dataset: str, text: str) -> None:
    store = BigQueryStore(emu.client(), dataset)
    entry = node("text-node", notes=text, gpu_id="h100", gpu_count=1, cpu_count=1)
    store.put(entry, ["text-node"])
    assert BigQueryStore(emu.client(), dataset).entry("node", "text-node") == entry


def test_literals_refuse_what_they_cannot_write() -> None:
    assert literal("ARRAY<STRING>", []) == "ARRAY<STRING>[]"
    assert literal("FLOAT64", 3) == "CAST('3.0' AS FLOAT64)"
    assert literal("TIMESTAMP", STAMP) == "TIMESTAMP '2026-01-02 03:04:05.000006+00'"
    for kind, value in [
        ("STRING", "bell\a"),
        ("FLOAT64", float("nan")),
        ("INT64", 1.5),
        ("INT64", True),
        ("STRING", 3),
        ("TIMESTAMP", "t0"),
    ]:
        with pytest.raises(ValueError):
            literal(kind, value)


def test_fields_without_a_column_are_refused(emu: emulator.Emulator, dataset: str) -> None:
    store = BigQueryStore(emu.client(), dataset)
    with pytest.raises(ValueError, match="no column"):
        store.put(node("odd-node", gpu_id="h100", wings=2), ["odd-node"])


def test_open_store_selects_bigquery_by_environment(
    emu: emulator.Emulator, dataset: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_BIGQUERY_DATASET, dataset)
    monkeypatch.setenv(ENV_ENDPOINT, emu.url)
    monkeypatch.setenv(ENV_TTL, "5")
    store = open_store()
    assert isinstance(store, BigQueryStore) and store.ttl_s == 5
    assert store.project_customer(P) == 1
    assert not isinstance(open_store(Path("/tmp/x.sqlite3")), BigQueryStore)  # a path: SQLite


def _bigquery_call(url: str, row: dict) -> dict:
    envelope = {
        "requestId": "r",
        "caller": f"//bigquery.googleapis.com/projects/{P}/jobs/{P}:US.job1",
        "sessionUser": "analyst@example.com",
        "userDefinedContext": {"debug": "true"},
        "calls": [[row]],
    }
    answer = call(url + "/", "POST", json=envelope)
    assert answer.status == 200, answer.body
    (reply,) = answer.json()["replies"]
    return reply


def test_deployed_service_uses_nodes_inserted_with_sql(
    emu: emulator.Emulator, dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` configured as Terraform configures the function, over the emulator."""
    monkeypatch.setenv(ENV_BIGQUERY_DATASET, dataset)
    monkeypatch.setenv(ENV_ENDPOINT, emu.url)
    monkeypatch.setenv(ENV_TTL, "0")
    server = ServerProcess(tmp_path / "unused.sqlite3").start()
    try:
        row = {"model_id": "llama_31_70b", "node_id": "my-rack-node", "output_tokens": 500}
        assert _bigquery_call(server.url, row)["error"]["code"] == "unknown_node"
        # README, "Register a custom node with SQL".
        emu.run(
            f"INSERT INTO `{dataset}.custom_nodes` (id, gpu_id, gpu_count, cpu_count, "
            "average_utilization_rate) VALUES ('my-rack-node', 'a100_80gb', 4, 64, 0.5)"
        )
        reply = _bigquery_call(server.url, row)
        assert reply["error"] is None
        assert reply["debug"]["hardware_node"]["id"] == "my-rack-node"
        assert reply["debug"]["hardware_node"]["gpu_id"] == "a100_80gb"

        # A REST token made with SQL (README), then an entry made through the REST API.
        emu.run(
            f"INSERT INTO `{dataset}.tokens` (id, token_hash, role, customer_id, name) "
            f"VALUES (1, '{hash_token('aii_made-with-sql')}', 'admin', 1, 'ops')"
        )
        gpu = call(server.url + "/node/my-rack-node", token="aii_made-with-sql")
        assert gpu.status == 200 and gpu.json()["gpu_id"] == "a100_80gb"
        created = call(
            server.url + "/node",
            "POST",
            "aii_made-with-sql",
            {"id": "rest-node", "gpu_id": "h100", "gpu_count": 2, "cpu_count": 16},
        )
        assert created.status == 201, created.body
        (stored,) = emu.run(
            f"SELECT customer_id, created_by, gpu_count FROM `{dataset}.custom_nodes` "
            "WHERE id = 'rest-node'"
        )
        assert stored == {"customer_id": 1, "created_by": "ops", "gpu_count": 2}

        # A row breaking the catalog's rules (SQL INSERTs are not validated) is left out and
        # logged; the customer's other entries and every other row keep working.
        emu.run(
            f"INSERT INTO `{dataset}.custom_nodes` (id, gpu_id, gpu_count, cpu_count) "
            "VALUES ('bad-node', 'no-such-gpu', 1, 1)"
        )
        bad_row = {**row, "node_id": "bad-node"}
        envelope = {"requestId": "r", "caller": f"//bigquery.googleapis.com/projects/{P}/jobs/j",
                    "calls": [[row], [bad_row]]}  # fmt: skip
        answer = call(server.url + "/", "POST", json=envelope)
        assert answer.status == 200, answer.body
        good, bad = answer.json()["replies"]
        assert good["error"] is None
        assert bad["error"]["code"] == "unknown_node"
    finally:
        server.stop()


# --- custom datacenters (issue 17) ------------------------------------------------------------

# The acceptance case of issue 17: a customer's own site in Norway, PUE 1.08, WUE 0.2 L/kWh.
FJORD = {"name": "Fjord DC", "country": "NO", "pue": 1.08, "wue_l_per_kwh": 0.2, "year": 2024}


def test_custom_datacenters_and_a_nodes_datacenter_are_stored_and_read_back(
    emu: emulator.Emulator, dataset: str
) -> None:
    store = BigQueryStore(emu.client(), dataset)
    fields = {**FJORD, "contract_gco2e_per_kwh": 12.5, "cfe_pct": 90.0}
    site = Entry("datacenter", "3f2b6c1e-8a4d-4c5e-9b7a-0d1e2f3a4b5c", 2, fields, STAMP, STAMP, "x")
    rack = node("fjord-rack", 2, gpu_id="h100", gpu_count=8, cpu_count=64, datacenter_id=site.id)
    with store.transaction():
        store.put(site, [site.id])
        store.put(rack, ["fjord-rack"])
    again = BigQueryStore(emu.client(), dataset)
    assert again.entry("datacenter", site.id.upper()) == site  # ids compare like catalog ids
    assert again.entry("node", "fjord-rack") == rack
    assert [e.id for e in again.entries("datacenter")] == [site.id]
    (stored,) = emu.run(f"SELECT country, pue, cfe_pct FROM `{dataset}.custom_datacenters`")
    assert stored == {"country": "NO", "pue": 1.08, "cfe_pct": 90.0}
    with pytest.raises(NameTakenError):  # ids are unique per kind
        again.put(site, [site.id], replace=False)
    assert again.remove("datacenter", site.id)
    assert BigQueryStore(emu.client(), dataset).entry("datacenter", site.id) is None


def test_deployed_service_uses_datacenters_inserted_with_sql(
    emu: emulator.Emulator, dataset: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17's acceptance case on the deployed path: a datacenter and a node in it, both
    INSERTed with SQL, give a row its PUE, WUE and Norway's grid of the row's year, on the
    BigQuery door (the row signature by datacenter_id; the scope3 signature, which has no
    datacenter slot, by node_id) and on REST."""
    monkeypatch.setenv(ENV_BIGQUERY_DATASET, dataset)
    monkeypatch.setenv(ENV_ENDPOINT, emu.url)
    monkeypatch.setenv(ENV_TTL, "0")
    emu.run(
        f"INSERT INTO `{dataset}.custom_datacenters` (id, name, country, pue, wue_l_per_kwh) "
        "VALUES ('fjord-dc', 'Fjord DC', 'NO', 1.08, 0.2)"
    )
    emu.run(
        f"INSERT INTO `{dataset}.custom_nodes` (id, gpu_id, gpu_count, cpu_count, datacenter_id) "
        "VALUES ('fjord-rack', 'h100', 8, 64, 'fjord-dc')"
    )
    base = {"model_id": "llama_31_70b", "output_tokens": 500, "utc_datetime": "2024-05-01"}
    norway = {**base, "country": "NO"}
    server = ServerProcess(tmp_path / "unused.sqlite3").start()
    try:
        expected = _bigquery_call(server.url, norway)["debug"]["grid_mix"]
        assert (expected["country"], expected["year"]) == ("NO", 2024)
        by_site = _bigquery_call(server.url, {**base, "datacenter_id": "fjord-dc"})
        by_node = _bigquery_call(server.url, {**base, "node_id": "fjord-rack"})
        args = [{**base, "node_id": "fjord-rack"}.get(name) for name in SCOPE3_ARGS]
        envelope = {
            "requestId": "r",
            "caller": f"//bigquery.googleapis.com/projects/{P}/jobs/{P}:US.job2",
            "userDefinedContext": {"signature": "scope3", "return_type": "json", "debug": "1"},
            "calls": [args],
        }
        answer = call(server.url + "/", "POST", json=envelope)
        assert answer.status == 200, answer.body
        (by_scope3,) = answer.json()["replies"]
        for reply in (by_site, by_node, by_scope3):
            assert reply["error"] is None, reply
            assumed = reply["debug"]["assumptions"]
            assert (assumed["pue"], assumed["wue_l_per_kwh"]) == (1.08, 0.2)
            assert reply["debug"]["grid_mix"] == expected
        assert by_node["inference_impact"] == by_scope3["inference_impact"]
        # REST over the same store: an admin token made with SQL, as the README does
        emu.run(
            f"INSERT INTO `{dataset}.tokens` (id, token_hash, role, customer_id, name) "
            f"VALUES (1, '{hash_token('aii_dc')}', 'admin', 1, 'ops')"
        )
        shown = call(server.url + "/datacenter/fjord-dc", token="aii_dc")
        assert shown.status == 200 and shown.json()["pue"] == 1.08
        rest = call(
            server.url + "/v1/impact?debug=true&extensions=true",
            "POST",
            "aii_dc",
            {"rows": [{**base, "datacenter_id": "fjord-dc"}]},
        )
        assert rest.status == 200, rest.body
        (row,) = rest.json()["rows"]
        assert row["inference_impact"] == by_site["inference_impact"]
        assert row["debug"]["assumptions"]["pue"] == 1.08
    finally:
        server.stop()


# --- migrations ---------------------------------------------------------------------------------

RELEASED = sorted((STORE_SQL / "released").iterdir())
CURRENT = ROOT / "terraform" / "generated" / "store"
# The next change a release may bring: a new field of a custom entry, a NULLABLE column.
NEW_FIELD = {"name": "rack_location", "type": "STRING", "mode": "NULLABLE"}


def _schemas(directory: Path) -> dict[str, list[dict]]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in directory.glob("*.json")}


@pytest.mark.parametrize("release", RELEASED, ids=lambda p: p.name)
@pytest.mark.parametrize("target", ["current", "current+new field"])
def test_a_store_of_a_release_migrates_to_the_new_schema(
    emu: emulator.Emulator, release: Path, target: str
) -> None:
    """A store created with a released schema and filled through the store keeps every entry,
    token and mapping once its tables take the new schema (additive: the provider updates the
    tables in place; here ALTER TABLE ADD COLUMN IF NOT EXISTS does it, since the emulator keeps
    the columns of a table updated through the API unchanged); the new column is NULL in the
    old rows, a row that sets it is read back with it, and the store keeps writing."""
    name = f"migrated_{next(_datasets)}"
    dataset = f"{P}.{name}"
    emu.run(f"CREATE SCHEMA `{dataset}`")
    old = _schemas(release)
    for table, fields in old.items():
        emu.run(bq_resources.create_table_ddl(f"{dataset}.{table}", fields))
    values = {"project_id": P, "dataset_id": name, "customer_name": "default"}
    values["caller_projects"] = f'["{P}"]'
    emu.run(render.render((STORE_SQL / "seed.sql").read_text(encoding="utf-8"), values))
    before = BigQueryStore(emu.client(), dataset)
    acme = before.customer_id("acme")
    token = before.add_token(hash_token("aii_kept"), "user", acme, "ci", None)
    before.map_project("analytics-prod", acme)
    kept = node("kept-node", acme)
    before.put(kept, ["kept-node"])
    # a table new since the release (NEWER_TABLES) reads as empty until Terraform creates it
    assert set(old) >= {"custom_nodes"} and before.entries("datacenter") == []

    new = _schemas(CURRENT)
    if target != "current":
        new["custom_nodes"] = [*new["custom_nodes"], NEW_FIELD]
    for table, fields in new.items():
        if table not in old:  # a table new since the release: Terraform creates it
            emu.run(bq_resources.create_table_ddl(f"{dataset}.{table}", fields))
            continue
        assert bq_resources.schema_changes(old[table], fields) == []
        statements = bq_resources.add_columns_ddl(f"{dataset}.{table}", old[table], fields)
        for statement in statements * 2:  # IF NOT EXISTS: running it again changes nothing
            emu.run(statement)

    after = BigQueryStore(emu.client(), dataset)
    assert after.token(hash_token("aii_kept")) == token
    assert after.project_customer("analytics-prod") == acme and after.project_customer(P) == 1
    assert after.entry("node", "kept-node") == kept
    after.put(node("new-node", acme), ["new-node"])
    site = Entry("datacenter", "new-site", acme, dict(FJORD), STAMP, STAMP, "x")
    after.put(site, ["new-site"])
    assert BigQueryStore(emu.client(), dataset).entry("datacenter", "new-site") == site
    assert BigQueryStore(emu.client(), dataset).entry("node", "new-node") == node("new-node", acme)
    if target != "current":
        emu.run(
            f"INSERT INTO `{dataset}.custom_nodes` (id, gpu_id, gpu_count, cpu_count, "
            "rack_location) VALUES ('racked-node', 'h100', 8, 64, 'hall B')"
        )
        (row,) = emu.run(
            f"SELECT rack_location FROM `{dataset}.custom_nodes` WHERE id = 'kept-node'"
        )
        assert row["rack_location"] is None
        racked = BigQueryStore(emu.client(), dataset).entry("node", "racked-node")
        assert racked is not None and racked.fields["rack_location"] == "hall B"
