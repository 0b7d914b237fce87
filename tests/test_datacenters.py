"""Predefined datacenters (issue 17, item 1): each site's published figures with a source."""

from __future__ import annotations

import math
import sqlite3
from functools import partial
from pathlib import Path

import orjson
import pytest

import ai_impact
from ai_impact import bigquery
from ai_impact import catalog as cat
from ai_impact.catalog import datacenters
from ai_impact.catalog.grid import region_intensity
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


def _custom_catalog(entry_id: str, *nodes: Entry, **changes: object) -> cat.Catalog:
    """The bundled catalog plus the datacenter FJORD (with ``changes``) and ``nodes``."""
    entry = Entry("datacenter", entry_id, 7, {**FJORD, **changes}, "t0", "t0", "tester")
    return extend_custom(cat.default(), [entry, *nodes])


def _node(node_id: str, datacenter_id: str) -> Entry:
    fields = {"gpu_id": "h100", "gpu_count": 8, "cpu_count": 64, "datacenter_id": datacenter_id}
    return Entry("node", node_id, 7, fields, "t0", "t0", "tester")


def test_a_custom_datacenter_gives_its_pue_wue_and_norways_grid_in_python() -> None:
    custom = _custom_catalog("fjord-dc")
    (out,) = ai_impact.estimate(
        [{**FJORD_ROW, "datacenter_id": "fjord-dc"}], debug=True, catalog=custom
    )
    _norway_checks(out)
    assert out["debug"]["grid_mix"]["year"] == 2024


def _norway_checks(out: dict) -> None:
    """The acceptance case: the site's PUE and WUE, and Norway's grid of the row's year."""
    assert out.get("error") is None, out
    assumed = out["debug"]["assumptions"]
    assert (assumed["pue"], assumed["wue_l_per_kwh"]) == (1.08, 0.2)
    # REST shows the spec's GridMix and the rest of it as grid_details (extensions), no nulls
    grid = {**out["debug"]["grid_mix"], **out["debug"].get("grid_details", {})}
    norway = _norway_2024()
    assert {k: v for k, v in grid.items() if v is not None} == {
        k: v for k, v in norway.items() if v is not None
    }
    assert (grid["country"], grid["year"]) == ("NO", 2024)


def test_a_custom_datacenter_on_the_bigquery_door() -> None:
    entry_id = "3f2b6c1e-8a4d-4c5e-9b7a-0d1e2f3a4b5c"  # UUIDs are ids too
    custom = _custom_catalog(entry_id)
    row = {**FJORD_ROW, "datacenter_id": entry_id}
    context = {"debug": "true"}
    body = orjson.dumps({"requestId": "r", "calls": [[row]], "userDefinedContext": context})
    outcome = bigquery.handle(body, lambda project: partial(ai_impact.estimate, catalog=custom))
    assert outcome.status == 200
    (reply,) = orjson.loads(outcome.body)["replies"]
    _norway_checks(reply)
    (expected,) = ai_impact.estimate([row], catalog=custom, debug=True)
    assert reply == expected
    (elsewhere,) = ai_impact.estimate([FJORD_ROW])  # us-east4 without the datacenter
    assert (
        reply["inference_impact"]["usage_water_ml"]
        != elsewhere["inference_impact"]["usage_water_ml"]
    )


def test_the_scope3_signature_reaches_a_custom_datacenter_through_its_node() -> None:
    """The positional signature has no datacenter_id slot (docs/sql.md): its node_id slot
    names a node that names the datacenter."""
    custom = _custom_catalog("fjord-dc", _node("fjord-rack", "fjord-dc"))
    values = {**FJORD_ROW, "node_id": "fjord-rack"}
    args = [values.get(name) for name in bigquery.SCOPE3_ARGS]
    context = {"signature": "scope3", "return_type": "json", "debug": "true"}
    body = orjson.dumps({"requestId": "r", "calls": [args], "userDefinedContext": context})
    outcome = bigquery.handle(body, lambda project: partial(ai_impact.estimate, catalog=custom))
    assert outcome.status == 200
    (reply,) = orjson.loads(outcome.body)["replies"]
    _norway_checks(reply)
    assert reply["debug"]["hardware_node"]["id"] == "fjord-rack"


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
    _norway_checks(mine)
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
    # a custom node in it: rows on the node get the site; the SDK's node shape stays intact
    node = {"id": "fjord-rest-rack", "gpu_id": "h100", "gpu_count": 8, "cpu_count": 64}
    created = call(f"{server}/node", "POST", tokens.owner, {**node, "datacenter_id": entry_id})
    assert created.status == 201, created.body
    shown = call(f"{server}/node/fjord-rest-rack?extensions=true", token=tokens.owner).json()
    assert shown["datacenter_id"] == entry_id
    assert "datacenter_id" not in call(f"{server}/node/fjord-rest-rack", token=tokens.owner).json()
    on_node = {**ROW, "utc_datetime": "2024-05-01", "node_id": "fjord-rest-rack"}
    answer = call(
        f"{server}/v1/impact?debug=true&extensions=true", "POST", tokens.owner, {"rows": [on_node]}
    )
    _norway_checks(answer.json()["rows"][0])
    # another customer's node cannot name this datacenter: it is not in their catalog
    theirs = call(
        f"{server}/node", "POST", tokens.other, {**node, "id": "x-rack", "datacenter_id": entry_id}
    )
    assert theirs.status == 400 and "datacenter_id" in theirs.json()["message"]
    # a datacenter a node uses cannot be deleted
    assert call(f"{server}/datacenter/{entry_id}", "DELETE", tokens.owner).status == 409
    assert call(f"{server}/node/fjord-rest-rack", "DELETE", tokens.owner).status == 204
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


# --- figures by year (issue 17, item 1): each metric of the request's year, else the grid's rule --


def test_every_years_row_adds_a_year_its_site_does_not_already_give() -> None:
    catalog = cat.default()
    sites, years = catalog.datacenters, catalog.datacenter_years
    assert len(years) >= 1
    for i in range(len(years)):
        site = sites.find(years["datacenter_id"][i])
        assert site is not None, years["datacenter_id"][i]  # an unknown site's years go unused
        assert int(years["year"][i]) != int(sites["year"][site])
        values = [years[m][i] for m in datacenters.METRICS]
        assert any(math.isfinite(v) for v in values) and years["source"][i]


def test_each_figure_is_of_the_requests_year_or_the_latest_before_it() -> None:
    # Prineville published its PUE for 2011 (1.07) and its WUE for 2012 (0.22)
    picks = {
        "2024-05-01": (1.07, 2011, 0.22, 2012, "latest year with data at or before"),
        "2012-03-01": (1.07, 2011, 0.22, 2012, "the request's year (2012)"),
        "2010-12-31": (1.07, 2011, 0.22, 2012, "precedes the data"),
    }
    rows = [{**PRINEVILLE, "utc_datetime": when} for when in picks]
    for out, (pue, pue_year, wue, wue_year, rule) in zip(
        ai_impact.estimate(rows, debug=True), picks.values(), strict=True
    ):
        assumed = _assumptions(out)
        assert (assumed["pue"], assumed["wue_l_per_kwh"]) == (pue, wue)
        assert f"pue: datacenter meta-prineville ({pue_year})" in assumed["pue_wue_by"]
        assert f"wue: datacenter meta-prineville ({wue_year}), " in assumed["pue_wue_by"]
        assert rule in assumed["pue_wue_by"]


def test_a_site_with_several_years_takes_each_requests_own() -> None:
    # Hamina with a PUE for 2021 besides its 2023 row (a test catalog: no such row is shipped)
    more = {"datacenter_id": "google-hamina", "year": 2021, "pue": 1.14, "source": "test"}
    catalog = cat.default().extend({"datacenter_years": [more]})
    site = partial(datacenters.site, catalog, "google-hamina")
    assert [site(y).value("pue") for y in (2019, 2021, 2022, 2023, 2030, 0)] == [
        1.14,  # before every year: the earliest
        1.14,
        1.14,  # 2022: the latest before it, not the nearer 2023
        1.09,
        1.09,
        1.09,  # undated: the latest
    ]
    assert site(2022).figures["pue"].year == 2021
    assert math.isnan(site(2022).value("wue_l_per_kwh"))  # Hamina never published one
    (out,) = ai_impact.estimate([{**HAMINA_2024, "utc_datetime": "2022-01-01"}], catalog=catalog)
    (base,) = ai_impact.estimate([{**HAMINA_2024, "utc_datetime": "2022-01-01"}])
    ratio = out["inference_impact"]["usage_energy_wh"] / base["inference_impact"]["usage_energy_wh"]
    assert ratio == pytest.approx(1.14 / 1.09)  # facility energy = IT energy x PUE


# --- a node names its datacenter (issue 17, item 3) -------------------------------------------


def test_a_node_in_a_custom_datacenter_gives_its_rows_that_datacenter() -> None:
    catalog = _custom_catalog("fjord-dc", _node("fjord-rack", "fjord-dc"))
    on_node = {**ROW, "utc_datetime": "2024-05-01", "node_id": "fjord-rack"}
    plain, elsewhere, own = ai_impact.estimate(
        [
            on_node,
            # the node's datacenter decides over the row's country and cloud region
            {**on_node, "country": "DE", "cloud_id": "gcp", "cloud_region": "us-east4"},
            {**on_node, "datacenter_id": "google-hamina"},  # the row's own datacenter wins
        ],
        debug=True,
        catalog=catalog,
    )
    for out in (plain, elsewhere):
        assert out["error"] is None
        assumed = out["debug"]["assumptions"]
        assert (assumed["pue"], assumed["wue_l_per_kwh"]) == (1.08, 0.2)
        assert out["debug"]["grid_mix"] == _norway_2024()
        assert assumed["location_resolved_by"] == "datacenter fjord-dc (the node's) -> country"
    assert plain["inference_impact"] == elsewhere["inference_impact"]
    assert own["debug"]["grid_mix"]["country"] == "FI"
    assert own["debug"]["assumptions"]["pue"] == 1.09
    assert own["debug"]["hardware_node"]["id"] == "fjord-rack"


def test_a_node_naming_an_unknown_datacenter_does_not_load() -> None:
    with pytest.raises(cat.CatalogError, match="datacenter_id: 'nowhere' is not in datacenters"):
        extend_custom(cat.default(), [_node("lost-rack", "nowhere")])


# --- the market basis (issue 17, item 4) ----------------------------------------------------


def _factor(out: dict) -> float:
    grid = out["debug"]["grid_mix"]
    return grid["gco2e_per_kwh"]


def test_the_market_basis_takes_the_datacenters_contract_factor_then_its_carbon_free_share() -> (
    None
):
    row = {**FJORD_ROW, "datacenter_id": "fjord-dc"}
    norway = _norway_2024()["gco2e_per_kwh"]
    contract = _custom_catalog("fjord-dc", contract_gco2e_per_kwh=12.5, cfe_pct=50)
    share = _custom_catalog("fjord-dc", cfe_pct=90)
    neither = _custom_catalog("fjord-dc")
    (c_market,) = ai_impact.estimate([row], debug=True, catalog=contract, emissions_basis="market")
    (c_location,) = ai_impact.estimate([row], debug=True, catalog=contract)
    (s_market,) = ai_impact.estimate([row], debug=True, catalog=share, emissions_basis="market")
    (n_market,) = ai_impact.estimate([row], debug=True, catalog=neither, emissions_basis="market")
    assert _factor(c_location) == norway  # a contract changes the market basis only
    assert _factor(c_market) == 12.5
    assert "contract factor of datacenter fjord-dc (" in c_market["debug"]["grid_mix"]["factor_by"]
    assert _factor(s_market) == pytest.approx(norway * 0.1)
    assert (
        "90% carbon-free energy of datacenter fjord-dc"
        in s_market["debug"]["grid_mix"]["factor_by"]
    )
    # a customer's own site is no cloud's: GCP's market ratio does not apply to it, though the
    # row names gcp; with nothing known the location factor is used, and debug says so
    assert _factor(n_market) == norway
    assert "no provider disclosure" in n_market["debug"]["grid_mix"]["factor_by"]
    energy = c_market["inference_impact"]["usage_energy_wh"]
    emissions = c_market["inference_impact"]["usage_emissions_gco2e"]
    assert emissions == pytest.approx(energy * 12.5 / 1000)
    # the row's own factor still wins over the site's
    (own,) = ai_impact.estimate(
        [{**row, "grid_emissions_factor_gco2e_per_kwh": 3.0}],
        debug=True,
        catalog=contract,
        emissions_basis="market",
    )
    assert _factor(own) == 3.0


def test_a_campus_in_a_cloud_region_takes_that_regions_carbon_free_share() -> None:
    (market,) = ai_impact.estimate([HAMINA_2024], debug=True, emissions_basis="market")
    grid = market["debug"]["grid_mix"]
    published = region_intensity(cat.default(), "gcp", "europe-north1", 2024)
    assert published is not None and 0 < published["cfe_pct"] < 100
    assert grid["country"] == "FI"  # the place is the campus's country
    assert grid["gco2e_per_kwh"] == pytest.approx(
        grid["location_gco2e_per_kwh"] * (1 - published["cfe_pct"] / 100)
    )
    assert "europe-north1, the region of datacenter google-hamina" in grid["factor_by"]
