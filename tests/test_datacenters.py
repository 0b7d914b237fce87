"""Predefined datacenters (issue 17, item 1): each site's published figures with a source."""

from __future__ import annotations

import math
import sqlite3
from functools import partial
from pathlib import Path

import orjson

import ai_impact
from ai_impact import bigquery
from ai_impact import catalog as cat
from ai_impact.rest.tenancy import extend_custom
from ai_impact.store import Entry, open_store
from ai_impact.store.migrations import MIGRATIONS
from conftest import Tokens, call


def test_every_datacenter_states_a_figure_and_its_place() -> None:
    catalog = cat.default()
    sites = catalog.datacenters
    assert len(sites) >= 9
    regions = catalog.cloud_regions
    for i in range(len(sites)):
        values = [sites[c][i] for c in ("pue", "wue_l_per_kwh", "contract_gco2e_per_kwh")]
        assert any(math.isfinite(v) for v in values), sites["datacenter_id"][i]
        assert catalog.grid_years.get(cat.lookup_key(sites["country"][i])) is not None
        if sites["cloud_region"][i]:
            row = regions.find(sites["cloud_id"][i], sites["cloud_region"][i])
            assert row is not None
            assert regions["country"][row] == sites["country"][i]
            # a campus's PUE is the one its cloud region uses
            assert regions["pue"][row] == sites["pue"][i]


# --- resolution (issue 17, item 3): datacenter_id decides location, PUE and WUE -------------

ROW = {"model_id": "llama_31_70b", "input_tokens": 400, "output_tokens": 500}
# Hamina: Finland, Google campus PUE 1.09 (2023); in Google's europe-north1 region.
HAMINA_2024 = {**ROW, "datacenter_id": "google-hamina", "utc_datetime": "2024-05-01"}
# Prineville: Oregon, WUE 0.22 L/kWh (2012), no PUE: PUE falls to the next step.
OPENAI = {"managed_service_id": "openai"}
PRINEVILLE = {**ROW, "datacenter_id": "meta-prineville", **OPENAI}


def _assumptions(row: dict) -> dict:
    return row["debug"]["assumptions"]


def test_a_datacenter_gives_its_country_grid_and_pue_before_the_cloud_region() -> None:
    # europe-west1 (Belgium) would otherwise decide the location: the datacenter comes first
    dc, country = ai_impact.estimate(
        [
            {**HAMINA_2024, "cloud_id": "gcp", "cloud_region": "europe-west1"},
            {**ROW, "country": "FI", "utc_datetime": "2024-05-01"},
        ],
        debug=True,
    )
    assert dc["error"] is None
    assert dc["debug"]["grid_mix"] == country["debug"]["grid_mix"]
    assert dc["debug"]["grid_mix"]["country"] == "FI"
    assert _assumptions(dc)["pue"] == 1.09
    assert "datacenter google-hamina" in _assumptions(dc)["location_resolved_by"]
    assert "pue: datacenter google-hamina (2023)" in _assumptions(dc)["pue_wue_by"]
    # Hamina publishes no WUE: Google's fleet figure fills it, and debug says so
    assert "wue: datacenter" not in _assumptions(dc)["pue_wue_by"]


def test_a_datacenter_value_wins_over_the_managed_service_and_a_missing_one_falls_through() -> None:
    dc, service, google = ai_impact.estimate(
        [PRINEVILLE, {**ROW, "managed_service_id": "openai"}, {**HAMINA_2024, **OPENAI}],
        debug=True,
    )
    assert _assumptions(dc)["wue_l_per_kwh"] == 0.22
    assert _assumptions(service)["wue_l_per_kwh"] != 0.22
    assert (dc["debug"]["grid_mix"]["country"], dc["debug"]["grid_mix"]["region"]) == ("US", "OR")
    # Hamina publishes no WUE: with a managed service, the service's WUE is used
    assert _assumptions(google)["pue"] == 1.09
    assert _assumptions(google)["wue_l_per_kwh"] == _assumptions(service)["wue_l_per_kwh"]
    assert "wue: managed_service_id" in _assumptions(google)["pue_wue_by"]


def test_an_unknown_datacenter_is_a_row_error_naming_the_field_and_others_survive() -> None:
    bad, good = ai_impact.estimate([{**ROW, "datacenter_id": "no-such-site"}, HAMINA_2024])
    assert bad["error"]["code"] == "unknown_datacenter"
    assert bad["error"]["details"]["field"] == "datacenter_id"
    assert good["error"] is None and good["total_impact"]["usage_energy_wh"] > 0


def test_the_datacenter_id_is_case_insensitive() -> None:
    upper, lower = ai_impact.estimate(
        [{**HAMINA_2024, "datacenter_id": "GOOGLE-HAMINA"}, HAMINA_2024]
    )
    assert upper == lower


def test_the_bigquery_row_signature_resolves_the_datacenter() -> None:
    rows = [HAMINA_2024, {**ROW, "datacenter_id": "no-such-site"}]
    body = orjson.dumps({"requestId": "r", "calls": [[r] for r in rows]})
    outcome = bigquery.handle(body, lambda project: ai_impact.estimate)
    assert outcome.status == 200
    replies = orjson.loads(outcome.body)["replies"]
    assert replies[0] == ai_impact.estimate([HAMINA_2024])[0]
    assert replies[1]["error"]["details"]["field"] == "datacenter_id"


def test_the_scope3_positional_signature_has_no_datacenter_slot() -> None:
    # documented in docs/sql.md: the hosted API's 21 positional arguments do not include it
    assert "datacenter_id" not in bigquery.SCOPE3_ARGS


def test_rest_resolves_the_datacenter_like_python(server: str, tokens: Tokens) -> None:
    answer = call(f"{server}/v1/impact?debug=true", "POST", tokens.owner, {"rows": [HAMINA_2024]})
    assert answer.status == 200, answer.body
    (expected,) = ai_impact.estimate([HAMINA_2024], debug=True)
    row = answer.json()["rows"][0]
    assert row["inference_impact"] == expected["inference_impact"]
    assert row["debug"]["grid_mix"]["country"] == "FI"
    bad = call(
        f"{server}/v1/impact",
        "POST",
        tokens.owner,
        {"rows": [{**ROW, "datacenter_id": "no-such-site"}]},
    )
    assert bad.status == 200
    assert bad.json()["rows"][0]["error"]["details"]["field"] == "datacenter_id"


# --- custom datacenters (issue 17, item 2) ----------------------------------------------------

# The acceptance case: a customer's own site in Norway, PUE 1.08, WUE 0.2 L/kWh.
FJORD = {"name": "Fjord DC", "country": "NO", "pue": 1.08, "wue_l_per_kwh": 0.2}
FJORD_ROW = {**ROW, "utc_datetime": "2024-05-01", "cloud_id": "gcp", "cloud_region": "us-east4"}


def _norway_2024() -> dict:
    (norway,) = ai_impact.estimate(
        [{**ROW, "country": "NO", "utc_datetime": "2024-05-01"}], debug=True
    )
    return norway["debug"]["grid_mix"]


def _custom_catalog(entry_id: str) -> cat.Catalog:
    entry = Entry("datacenter", entry_id, 7, dict(FJORD), "t0", "t0", "tester")
    return extend_custom(cat.default(), [entry])


def test_a_custom_datacenter_gives_its_pue_wue_and_norways_grid_in_python() -> None:
    custom = _custom_catalog("fjord-dc")
    (out,) = ai_impact.estimate(
        [{**FJORD_ROW, "datacenter_id": "fjord-dc"}], debug=True, catalog=custom
    )
    assert out["error"] is None
    assumed = out["debug"]["assumptions"]
    assert (assumed["pue"], assumed["wue_l_per_kwh"]) == (1.08, 0.2)
    assert out["debug"]["grid_mix"] == _norway_2024()
    assert out["debug"]["grid_mix"]["year"] == 2024


def test_a_custom_datacenter_on_the_bigquery_door() -> None:
    entry_id = "3f2b6c1e-8a4d-4c5e-9b7a-0d1e2f3a4b5c"  # UUIDs are ids too
    custom = _custom_catalog(entry_id)
    row = {**FJORD_ROW, "datacenter_id": entry_id}
    body = orjson.dumps({"requestId": "r", "calls": [[row]], "userDefinedContext": {}})
    outcome = bigquery.handle(body, lambda project: partial(ai_impact.estimate, catalog=custom))
    assert outcome.status == 200
    (reply,) = orjson.loads(outcome.body)["replies"]
    (expected,) = ai_impact.estimate([row], catalog=custom)
    assert reply == expected
    (elsewhere,) = ai_impact.estimate([FJORD_ROW])  # us-east4 without the datacenter
    assert (
        reply["inference_impact"]["usage_water_ml"]
        != elsewhere["inference_impact"]["usage_water_ml"]
    )


def test_a_custom_datacenter_over_rest_is_its_customers_only(server: str, tokens: Tokens) -> None:
    entry_id = "fjord-rest"
    created = call(f"{server}/datacenter", "POST", tokens.owner, {"id": entry_id, **FJORD})
    assert created.status == 201, created.body
    shown = call(f"{server}/datacenter/{entry_id}", token=tokens.owner).json()
    assert (shown["country"], shown["pue"], shown["wue_l_per_kwh"]) == ("NO", 1.08, 0.2)
    row = {**FJORD_ROW, "datacenter_id": entry_id}
    mine = call(
        f"{server}/v1/impact?debug=true&extensions=true", "POST", tokens.owner, {"rows": [row]}
    ).json()["rows"][0]
    assert mine.get("error") is None
    assert (mine["debug"]["assumptions"]["pue"], mine["debug"]["assumptions"]["wue_l_per_kwh"]) == (
        1.08,
        0.2,
    )
    assert mine["debug"]["grid_mix"]["country"] == "NO"
    assert (
        mine["inference_impact"]
        == ai_impact.estimate(
            [{**FJORD_ROW, "datacenter_id": "fjord"}], catalog=_custom_catalog("fjord")
        )[0]["inference_impact"]
    )
    theirs = call(f"{server}/v1/impact", "POST", tokens.other, {"rows": [row]}).json()["rows"][0]
    assert theirs["error"]["details"]["field"] == "datacenter_id"
    assert call(f"{server}/datacenter/{entry_id}", token=tokens.other).status == 404
    listed = call(f"{server}/datacenter?country=NO", token=tokens.owner).json()["datacenters"]
    assert entry_id in {d["id"] for d in listed}
    bad = call(
        f"{server}/datacenter",
        "POST",
        tokens.owner,
        {"id": "x-dc", "name": "x", "country": "Norway"},
    )
    assert bad.status == 400 and bad.json()["details"]["field"] == "country"
    assert call(f"{server}/datacenter/{entry_id}", "DELETE", tokens.owner).status == 204


def test_migration_2_keeps_the_entries_and_names_of_a_version_1_store(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("INSERT INTO entries VALUES ('node', 'n1', 'n1', 1, '{}', 0, 't', 't', 'x')")
        db.execute("INSERT INTO names VALUES ('node', 'n1-alias', 'n1')")
        db.execute("PRAGMA user_version = 1")
    store = open_store(path)
    assert store.schema_version() == len(MIGRATIONS)
    assert store.entry("node", "n1") is not None
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT kind, key, entry_key FROM names").fetchall() == [
            ("node", "n1-alias", "n1")
        ]
    store.put(Entry("datacenter", "dc1", 1, dict(FJORD), "t", "t", "x"), ["dc1"])
    assert store.entry("datacenter", "dc1").fields == FJORD
