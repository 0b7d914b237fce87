"""``emissions_basis`` and the grid and water details on the REST door, over real HTTP."""

from __future__ import annotations

import ai_impact
from conftest import Tokens, call

ROW = {
    "model_id": "llama_31_70b",
    "input_tokens": 400,
    "output_tokens": 500,
    "cloud_id": "azure",
    "cloud_region": "eastus",
    "utc_datetime": "2020-05-01T00:00:00Z",
}


def impact(server: str, token: str, query: str) -> dict:
    answer = call(f"{server}/v1/impact{query}", "POST", token, {"rows": [ROW]})
    assert answer.status == 200, answer.body
    return answer.json()["rows"][0]


def test_market_basis_on_rest_equals_python_and_changes_only_emissions(
    server: str, tokens: Tokens
) -> None:
    location = impact(server, tokens.owner, "")
    market = impact(server, tokens.owner, "?emissions_basis=market")
    (expected,) = ai_impact.estimate([ROW], emissions_basis="market")
    assert market["inference_impact"] == expected["inference_impact"]
    for metric, value in location["inference_impact"].items():
        if metric == "usage_emissions_gco2e":
            assert market["inference_impact"][metric] < value
        else:
            assert market["inference_impact"][metric] == value


def test_grid_mix_keeps_the_specs_keys_and_extensions_add_the_details(
    server: str, tokens: Tokens
) -> None:
    plain = impact(server, tokens.owner, "?debug=true&emissions_basis=market")["debug"]
    assert set(plain["grid_mix"]) <= {"country", "region", "gco2e_per_kwh"}
    extended = impact(server, tokens.owner, "?debug=true&extensions=true&emissions_basis=market")
    details = extended["debug"]["grid_details"]
    assert details["emissions_basis"] == "market"
    # eastus is in Virginia: the eGRID state series has 2023 only, the earliest year
    assert details["year"] == 2023 and "precedes the data" in details["year_rule"]
    assert details["basis"] == "lifecycle, production"
    water = extended["debug"]["water_breakdown"]
    usage_water = extended["inference_impact"]["usage_water_ml"]
    assert water["onsite_ml"] + water["offsite_ml"] == usage_water


def test_an_unknown_basis_is_a_400_naming_the_parameter(server: str, tokens: Tokens) -> None:
    answer = call(
        f"{server}/v1/impact?emissions_basis=residual", "POST", tokens.owner, {"rows": [ROW]}
    )
    assert answer.status == 400
    assert answer.json()["details"]["field"] == "emissions_basis"
