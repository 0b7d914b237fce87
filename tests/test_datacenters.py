"""Predefined datacenters (issue 17, item 1): each site's published figures with a source."""

from __future__ import annotations

import math

import orjson

import ai_impact
from ai_impact import bigquery
from ai_impact import catalog as cat
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
PRINEVILLE = {**ROW, "datacenter_id": "meta-prineville", "managed_service_id": "openai"}


def _assumptions(row: dict) -> dict:
    return row["debug"]["assumptions"]


def test_a_datacenter_gives_its_country_grid_and_pue_before_the_cloud_region() -> None:
    # europe-west1 (Belgium) would otherwise decide the location: the datacenter comes first
    dc, country = ai_impact.estimate(
        [{**HAMINA_2024, "cloud_id": "gcp", "cloud_region": "europe-west1"},
         {**ROW, "country": "FI", "utc_datetime": "2024-05-01"}],
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
    dc, service = ai_impact.estimate(
        [PRINEVILLE, {**ROW, "managed_service_id": "openai"}], debug=True
    )
    assert _assumptions(dc)["wue_l_per_kwh"] == 0.22
    assert _assumptions(service)["wue_l_per_kwh"] != 0.22
    # no PUE at Prineville: the managed service's PUE is used
    assert _assumptions(dc)["pue"] == _assumptions(service)["pue"]
    assert "pue: managed_service_id" in _assumptions(dc)["pue_wue_by"]
    assert (dc["debug"]["grid_mix"]["country"], dc["debug"]["grid_mix"]["region"]) == ("US", "OR")


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
    answer = call(
        f"{server}/v1/impact?debug=true", "POST", tokens.owner, {"rows": [HAMINA_2024]}
    )
    assert answer.status == 200, answer.body
    (expected,) = ai_impact.estimate([HAMINA_2024], debug=True)
    row = answer.json()["rows"][0]
    assert row["inference_impact"] == expected["inference_impact"]
    assert row["debug"]["grid_mix"]["country"] == "FI"
    bad = call(
        f"{server}/v1/impact", "POST", tokens.owner,
        {"rows": [{**ROW, "datacenter_id": "no-such-site"}]},
    )
    assert bad.status == 200
    assert bad.json()["rows"][0]["error"]["details"]["field"] == "datacenter_id"
