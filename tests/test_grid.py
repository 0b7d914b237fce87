"""Grid intensity by year, its basis, location- and market-based emissions, the per-row
override and the water split, through the Python and BigQuery doors (REST: test_grid_rest.py).

Independent figures: Our World in Data's carbon_intensity_elec @e7897ae as printed in its
energy-data text (Germany 2019 392.51, 2024 336.38, 2025 329.65 gCO2e/kWh; reference
owid_carbon_intensity_elec_by_year.md), Microsoft's reported Scope 2 of FY20 (market-based
228,194, location-based 4,102,445 tCO2e) and Google's europe-west1 CFE% (region-carbon-info).
"""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import orjson
import pytest

import ai_impact
from ai_impact import bigquery
from ai_impact import catalog as cat
from ai_impact.catalog import DATA_DIR, GRID_BASES, CatalogError, grid
from ai_impact.engine.columns import BLOCKS, METRICS

ROW = {"model_id": "llama_31_70b", "input_tokens": 400, "output_tokens": 500}
# Rows whose usage emissions the market basis changes, and one it cannot (no disclosure).
AZURE_2020 = {**ROW, "cloud_id": "azure", "cloud_region": "eastus", "utc_datetime": "2020-05-01"}
GCP_2024 = {**ROW, "cloud_id": "gcp", "cloud_region": "europe-west1", "utc_datetime": "2024-05-01"}
AWS_2024 = {**ROW, "cloud_id": "aws", "cloud_region": "us-east-1", "utc_datetime": "2024-05-01"}


def one(row: dict, **switches: object) -> dict:
    (out,) = ai_impact.estimate([row], debug=True, **switches)
    assert out["error"] is None, out["error"]
    return out


def emissions_from(out: dict) -> float:
    """Usage emissions recomputed from the debug's facility energy and factor, gCO2e."""
    debug = out["debug"]
    return debug["energy_breakdown"]["facility_wh"] * debug["grid_mix"]["gco2e_per_kwh"] / 1000


@pytest.mark.parametrize(
    ("when", "year", "published"),
    [("2019-03-01T10:00:00Z", 2019, 392.51), ("2024-11-30T23:59:59Z", 2024, 336.38)],
)
def test_germany_uses_the_requests_year(when: str, year: int, published: float) -> None:
    out = one({**ROW, "country": "DE", "utc_datetime": when})
    grid = out["debug"]["grid_mix"]
    assert grid["gco2e_per_kwh"] == published
    assert grid["year"] == year and grid["year_rule"] == f"the request's year ({year})"
    assert grid["basis"] == "lifecycle, production"
    assert "OWID" in grid["source"] and "CC BY 4.0" in grid["source"]
    emissions = out["inference_impact"]["usage_emissions_gco2e"]
    assert emissions == pytest.approx(emissions_from(out), rel=1e-12)


def test_germany_2019_and_2024_differ_by_their_intensities() -> None:
    old = one({**ROW, "country": "DE", "utc_datetime": "2019-06-01"})
    new = one({**ROW, "country": "DE", "utc_datetime": "2024-06-01"})
    ratio = (
        old["inference_impact"]["usage_emissions_gco2e"]
        / old["inference_impact"]["usage_energy_wh"]
        / (
            new["inference_impact"]["usage_emissions_gco2e"]
            / new["inference_impact"]["usage_energy_wh"]
        )
    )
    assert ratio == pytest.approx(392.51 / 336.38, rel=1e-12)


def test_undated_rows_use_the_latest_year_and_older_ones_the_earliest() -> None:
    undated = one({**ROW, "country": "DE"})["debug"]["grid_mix"]
    assert (undated["year"], undated["gco2e_per_kwh"]) == (2025, 329.65)
    assert "no utc_datetime" in undated["year_rule"]
    old = one({**ROW, "country": "DE", "utc_datetime": "1995-01-01"})["debug"]["grid_mix"]
    assert old["year"] == 2000 and "precedes the data" in old["year_rule"]
    later = one({**ROW, "country": "DE", "utc_datetime": "2031-01-01"})["debug"]["grid_mix"]
    assert later["year"] == 2025 and "2031 -> 2025" in later["year_rule"]


def test_the_yearly_series_is_the_copied_one() -> None:
    """Every OWID row of the shipped file is what the engine answers for that year."""
    catalog = cat.default()
    with (DATA_DIR / "grid_intensity.csv").open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["zone_id"] in ("FR", "IN", "US", "WORLD")]
    assert len(rows) == 4 * 26  # 2000-2025
    for r in rows:
        found = grid.zone_intensity(catalog, r["zone_id"], int(r["year"]))
        assert found is not None and found["gco2e_per_kwh"] == float(r["gco2e_per_kwh"])
        assert found["grid_year"] == int(r["year"])


def test_every_grid_row_has_a_basis() -> None:
    catalog = cat.default()
    for table in (catalog.grid_intensity, catalog.cloud_region_intensity):
        assert len(table) > 0
        assert set(table["basis"]) <= set(GRID_BASES)
    zones = set(catalog.grid_intensity["zone_id"])
    assert {"WORLD", "DE", "US-VA", "CN-BJ", "AGG-EU-EMBER"} <= zones


def test_a_row_without_a_basis_fails_the_load(tmp_path: Path) -> None:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "grid_intensity.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[2]["basis"] = "marginal"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(CatalogError, match=r"grid_intensity.csv, line 4, field basis: 'marginal'"):
        cat.load(target)


def test_egrid_states_are_put_on_the_country_basis() -> None:
    """US-VA: eGRID2023 combustion 244.8 g/kWh x US 2023 lifecycle/combustion
    (OWID 392.89 / EIA 1,532 Mt over 4,183,271 GWh)."""
    grid = one({**ROW, "country": "US", "region": "VA"})["debug"]["grid_mix"]
    ratio = 392.89 / (1532e12 / 4_183_271e6)
    assert grid["gco2e_per_kwh"] == pytest.approx(244.8 * ratio, abs=0.05)
    assert grid["basis"] == "lifecycle, production" and grid["year"] == 2023
    assert "eGRID" in grid["source"] and "eia.gov" in grid["source"]


def test_market_basis_changes_only_usage_emissions() -> None:
    for row in (AZURE_2020, GCP_2024, AWS_2024):
        location = one(row)
        market = one(row, emissions_basis="market")
        for block in BLOCKS:
            for metric in METRICS:
                # Training follows the request's inference (methodology section 8), so its
                # usage emissions take the basis too.
                if block in ("inference_impact", "training_impact", "total_impact") and (
                    metric == "usage_emissions_gco2e"
                ):
                    continue
                assert market[block][metric] == location[block][metric], (block, metric)
        assert market["debug"]["grid_mix"]["emissions_basis"] == "market"
        assert market["inference_impact"]["usage_emissions_gco2e"] == pytest.approx(
            emissions_from(market), rel=1e-12
        )
        assert (
            market["debug"]["grid_mix"]["location_gco2e_per_kwh"]
            == (location["debug"]["grid_mix"]["gco2e_per_kwh"])
        )


def test_market_factors_follow_the_disclosures() -> None:
    azure = one(AZURE_2020, emissions_basis="market")["debug"]["grid_mix"]
    assert azure["gco2e_per_kwh"] == pytest.approx(
        azure["location_gco2e_per_kwh"] * 228_194 / 4_102_445, rel=1e-12
    )
    gcp = one(GCP_2024, emissions_basis="market")["debug"]["grid_mix"]
    with (DATA_DIR / "cloud_region_intensity.csv").open(newline="", encoding="utf-8") as handle:
        (region,) = [
            r
            for r in csv.DictReader(handle)
            if (r["cloud_region"], r["year"]) == ("europe-west1", "2024")
        ]
    cfe = float(region["cfe_pct"])
    assert gcp["location_gco2e_per_kwh"] == float(region["gco2e_per_kwh"])
    assert gcp["gco2e_per_kwh"] == pytest.approx(float(region["gco2e_per_kwh"]) * (1 - cfe / 100))
    aws = one(AWS_2024, emissions_basis="market")["debug"]["grid_mix"]
    assert aws["gco2e_per_kwh"] == aws["location_gco2e_per_kwh"]
    assert "no provider disclosure" in aws["factor_by"]


@pytest.mark.parametrize("basis", ["location", "market"])
def test_the_row_override_wins(basis: str) -> None:
    out = one({**AZURE_2020, "grid_emissions_factor_gco2e_per_kwh": 12.5}, emissions_basis=basis)
    grid = out["debug"]["grid_mix"]
    assert grid["gco2e_per_kwh"] == 12.5
    assert grid["factor_by"] == "row field grid_emissions_factor_gco2e_per_kwh"
    energy_wh = out["inference_impact"]["usage_energy_wh"]
    assert out["inference_impact"]["usage_emissions_gco2e"] == pytest.approx(energy_wh * 0.0125)


def test_a_bad_override_is_a_row_error_naming_the_field() -> None:
    rows = [{**ROW, "grid_emissions_factor_gco2e_per_kwh": -1}, ROW]
    bad, good = ai_impact.estimate(rows)
    assert bad["error"]["details"]["field"] == "grid_emissions_factor_gco2e_per_kwh"
    assert good["error"] is None


def test_an_unknown_emissions_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="emissions_basis 'residual'"):
        ai_impact.estimate([ROW], emissions_basis="residual")


@pytest.mark.parametrize("row", [AZURE_2020, GCP_2024, {**ROW, "country": "BR"}, ROW])
def test_water_parts_add_up(row: dict) -> None:
    out = one(row)
    debug = out["debug"]
    water = debug["water_breakdown"]
    energy, assumed = debug["energy_breakdown"], debug["assumptions"]
    assert water["onsite_ml"] == pytest.approx(energy["it_wh"] * assumed["wue_l_per_kwh"])
    assert water["offsite_ml"] == pytest.approx(
        energy["facility_wh"] * assumed["water_offsite_l_per_kwh"]
    )
    assert water["onsite_ml"] + water["offsite_ml"] == out["inference_impact"]["usage_water_ml"]
    assert water["onsite_ml"] > 0 and water["offsite_ml"] > 0


def _bigquery(rows: list[dict], context: dict) -> tuple[int, list]:
    body = orjson.dumps(
        {"requestId": "r", "calls": [[r] for r in rows], "userDefinedContext": context}
    )
    outcome = bigquery.handle(body, lambda project: ai_impact.estimate)
    return outcome.status, orjson.loads(outcome.body).get("replies", [])


def test_bigquery_context_selects_the_emissions_basis() -> None:
    rows = [AZURE_2020, GCP_2024]
    status, location = _bigquery(rows, {})
    assert status == 200
    status, market = _bigquery(rows, {"emissions_basis": "market"})
    assert status == 200
    for loc, mkt, row in zip(location, market, rows, strict=True):
        expected = ai_impact.estimate([row], emissions_basis="market")[0]
        assert mkt == expected
        assert (
            mkt["inference_impact"]["usage_energy_wh"] == loc["inference_impact"]["usage_energy_wh"]
        )
        assert (
            mkt["inference_impact"]["usage_emissions_gco2e"]
            < loc["inference_impact"]["usage_emissions_gco2e"]
        )
    status, _ = _bigquery(rows, {"emissions_basis": "marginal"})
    assert status == 400


def test_the_market_sql_wrapper_asks_for_the_market_basis() -> None:
    from test_sql import SQL_DIR, user_defined_context

    context = user_defined_context(SQL_DIR / "functions" / "ai_impact_market.sql")
    assert bigquery.read_context(context).emissions_basis == "market"


@pytest.mark.parametrize(
    ("year", "pue", "wue", "wue_year"),
    # AWS's own figures: WUE 0.25 (2021), PUE 1.15 (2023, 2024), WUE 0.15 (2024), 1.14/0.12 (2025)
    [
        (2021, 1.15, 0.25, 2021),
        (2023, 1.15, 0.25, 2021),
        (2024, 1.15, 0.15, 2024),
        (2025, 1.14, 0.12, 2025),
    ],
)
def test_fleet_pue_and_wue_are_each_of_their_own_year(
    year: int, pue: float, wue: float, wue_year: int
) -> None:
    row = {**AWS_2024, "utc_datetime": f"{year}-07-01"}
    assumptions = one(row)["debug"]["assumptions"]
    assert (assumptions["pue"], assumptions["wue_l_per_kwh"]) == (pue, wue)
    assert "wue: aws fleet" in assumptions["pue_wue_by"]
    assert str(wue_year) in assumptions["pue_wue_by"].split("wue:")[1]


def test_no_provider_efficiency_value_is_carried_from_another_year() -> None:
    """Each row states only what was reported (or derived) for its own year."""
    with (DATA_DIR / "provider_efficiency.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and not any("carried" in r["notes"] for r in rows)
    regions = cat.default().cloud_regions
    for cloud, wue in zip(regions["cloud_id"], regions["wue_l_per_kwh"], strict=True):
        assert not math.isfinite(wue), cloud  # no fleet value frozen into a region
