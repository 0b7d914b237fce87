"""A row's ``country``: an ISO 3166-1 alpha-2 code (lower case accepted), the same on every door.
A code that names no country is a row error on ``country`` (it would silently get the world
average); a real country without grid data keeps the world average and says so in debug."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

import ai_impact
from ai_impact import catalog, cli, http
from ai_impact.countries import COUNTRY_CODES, ISO_3166_1_ALPHA2, WORLD_CODE
from conftest import ROOT

ROW = {"model_id": "gpt-4o", "output_tokens": 100}


def test_the_list_is_iso_3166_1_s_249_assigned_codes() -> None:
    assert len(ISO_3166_1_ALPHA2) == 249
    assert {"US", "GB", "DE", "CN", "AQ", "SS", "BQ"} <= ISO_3166_1_ALPHA2
    # user-assigned, exceptionally reserved and withdrawn codes are not countries
    assert not {"ZZ", "XX", "XK", "UK", "EU", "YU", "AN"} & ISO_3166_1_ALPHA2
    with (ROOT / "scripts/catalog/sources/iso3166_alpha3_to_alpha2.csv").open() as handle:
        assert {r["alpha2"] for r in csv.DictReader(handle)} <= ISO_3166_1_ALPHA2


def test_every_country_of_the_catalog_is_in_the_list() -> None:
    """Else rows naming a country the catalog has data for would be refused."""
    tables = catalog.default().tables
    seen = set()
    for table in tables.values():
        for column in (c.name for c in table.schema.columns if "country" in c.name):
            seen |= {v for v in table[column] if v}
    seen -= {"WORLD"}
    assert len(seen) > 50
    assert seen <= COUNTRY_CODES, seen - COUNTRY_CODES
    assert "XK" in seen  # Kosovo: user-assigned, and the catalog has its grid


@pytest.mark.parametrize("code", ["XX", "EU", "QQ", "xa"])
def test_a_code_that_names_no_country_is_a_row_error(code: str) -> None:
    rows = [{**ROW, "country": code}, {**ROW, "country": "DE"}]
    bad, good = ai_impact.estimate(rows)
    assert bad["error"]["code"] == "invalid_field"
    assert bad["error"]["details"]["field"] == "country"
    assert "ISO 3166-1" in bad["error"]["message"]
    assert bad["total_impact"]["usage_emissions_gco2e"] == 0
    assert good["error"] is None and good["total_impact"]["usage_emissions_gco2e"] > 0


@pytest.mark.parametrize(("code", "country"), [("UK", "GB"), ("uk", "GB"), ("EL", "GR")])
def test_iso_exceptionally_reserved_codes_are_their_country(code: str, country: str) -> None:
    """ISO 3166-1 reserves UK (at the United Kingdom's request) and EL (Greece, in EU usage)
    for GB and GR: a log that says UK means Great Britain's grid, not an error."""
    reserved, assigned = ai_impact.estimate(
        [{**ROW, "country": code}, {**ROW, "country": country}], debug=True
    )
    assert reserved["error"] is None
    assert reserved["debug"]["grid_mix"]["country"] == country
    assert reserved["total_impact"] == assigned["total_impact"]


def test_lower_case_is_the_country_and_empty_is_absent() -> None:
    lower, upper, empty, absent = ai_impact.estimate(
        [{**ROW, "country": "us"}, {**ROW, "country": "US"}, {**ROW, "country": ""}, ROW],
        debug=True,
    )
    assert lower["debug"]["grid_mix"]["country"] == "US"
    assert lower["total_impact"] == upper["total_impact"]
    assert empty["error"] is None and empty["total_impact"] == absent["total_impact"]


@pytest.mark.parametrize("code", ["AQ", "aq", WORLD_CODE])
def test_a_country_without_grid_data_is_the_world_average_and_says_so(code: str) -> None:
    row, world = ai_impact.estimate(
        [{**ROW, "country": code}, {**ROW, "country": "ZZ"}], debug=True
    )
    assert row["error"] is None
    assert row["debug"]["grid_mix"]["country"] == WORLD_CODE
    assert row["total_impact"] == world["total_impact"]
    resolved_by = row["debug"]["assumptions"]["location_resolved_by"]
    assert resolved_by == f"world (no grid data for {code.upper()})"


def test_the_bigquery_door_and_the_cli_refuse_it_too(tmp_path: Path) -> None:
    envelope = {
        "requestId": "r",
        "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
        "sessionUser": "u@example.com",
        "calls": [[{**ROW, "country": "XX"}], [{**ROW, "country": "us"}]],
    }
    environ = EnvironBuilder(
        path="/", method="POST", data=orjson.dumps(envelope), content_type="application/json"
    ).get_environ()
    replies = orjson.loads(http.route(Request(environ)).get_data())["replies"]
    assert replies[0]["error"]["details"]["field"] == "country"
    assert replies[1]["error"] is None
    source, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    source.write_text("model_id,output_tokens,country\ngpt-4o,5,XX\ngpt-4o,5,us\ngpt-4o,5,\n")
    assert cli.main(["estimate", str(source), "-o", str(out), "-q"]) == 0
    rows = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [r["error_code"] for r in rows] == ["invalid_field", None, None]
    assert rows[0]["error_field"] == "country"
