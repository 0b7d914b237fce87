"""The official SDK (scope3ai 0.3.0, pinned) against the live server on loopback: each call
validates the server's answer with the SDK's pydantic models (extra keys forbidden)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scope3ai.api import typesgen as t
from scope3ai.api.client import Client

from ai_impact import cli
from conftest import Tokens, call

ROW = {"model_id": "llama_31_70b", "input_tokens": 400, "output_tokens": 500, "country": "US"}


@pytest.fixture(scope="module")
def admin(server: str, tokens: Tokens) -> Client:
    return Client(api_key=tokens.admin, api_url=server)


@pytest.fixture(scope="module")
def owner(server: str, tokens: Tokens) -> Client:
    return Client(api_key=tokens.owner, api_url=server)


def test_get_impact(owner: Client) -> None:
    request = t.ImpactRequest(
        rows=[t.ImpactRow(**ROW), t.ImpactRow(model_id="no-such-model", output_tokens=5)]
    )
    response = owner.get_impact(request)
    assert isinstance(response, t.ImpactResponse)
    good, bad = response.rows
    assert good.error is None and good.debug is None
    assert good.inference_impact.usage_energy_wh > 0
    assert bad.error.code == "unknown_model"
    assert bad.total_impact.usage_energy_wh == 0
    assert response.has_errors
    assert response.total_energy_wh == pytest.approx(good.total_impact.usage_energy_wh)


def test_get_impact_with_debug(owner: Client) -> None:
    row = t.ImpactRow(**ROW, node_id="aws-p5-48xlarge")
    response = owner.get_impact(t.ImpactRequest(rows=[row]), debug=True)
    debug = response.rows[0].debug
    assert debug.model.id == "llama_31_70b"
    assert debug.hardware_node.id == "aws-p5-48xlarge"
    assert debug.grid_mix.country.root == "US"
    assert debug.steps[0].duration_ms > 0


def test_status_and_reload(admin: Client) -> None:
    assert admin.status().ready
    reloaded = admin.reload()
    assert reloaded.ready and reloaded.reason == "Cache reloaded successfully"


def test_models(owner: Client) -> None:
    listed = owner.list_models()
    assert 0 < len(listed.models) <= 100
    llamas = owner.list_models(family=t.Family.llama).models
    assert llamas and all(m.family == "llama" for m in llamas)
    created = owner.create_model(
        t.ModelCreateRequest(id="sdk-model", total_params_billions=12, aliases=["sdk-model-2"])
    )
    assert isinstance(created, t.Model)
    assert created.aliases == ["sdk-model-2"] and created.customer_id == 0  # not disclosed


def test_nodes(owner: Client) -> None:
    listed = owner.list_nodes()
    assert 0 < len(listed.nodes) <= 100
    gcp = owner.list_nodes(cloud="gcp", gpu="h100").nodes
    assert gcp and all(n.cloud_id == "gcp" and n.gpu_id == "h100" for n in gcp)
    created = owner.create_node(
        t.NodeCreateRequest(id="sdk-node", gpu_id="a100_80gb", gpu_count=2, cpu_count=24)
    )
    assert isinstance(created, t.Node) and created.id == "sdk-node"
    custom = {n.id for n in owner.list_nodes(custom=True).nodes}
    assert "sdk-node" in custom
    assert not custom & {n.id for n in owner.list_nodes(custom=False).nodes}
    (p5,) = owner.list_nodes(custom=False, instance="p5.48xlarge", cloud="aws").nodes
    assert p5.id == "aws-p5-48xlarge" and p5.customer_id is None  # not disclosed


def test_gpus(owner: Client) -> None:
    assert 0 < len(owner.list_gpus().gpus) <= 100
    created = owner.create_gpu(
        t.GPUCreateRequest(
            id="sdk-gpu",
            name="SDK GPU",
            max_power_w=350,
            embodied_emissions_kgco2e=120,
            embodied_water_mlh2o=8000,
            performance_ratio_to_h200=0.5,
            ols_intercept=1.5,
            ols_coefficient_gpu_count=2.5,
        )
    )
    assert isinstance(created, t.GPU)
    assert created.ols_coefficient_gpu_count == 2.5


def test_calculate_impact_big_query_uses_the_projects_customer(
    owner: Client, store_path: Path
) -> None:
    owner.create_node(
        t.NodeCreateRequest(id="sdk-bq-node", gpu_id="h100", gpu_count=1, cpu_count=8)
    )
    assert (
        cli.main(["--db", str(store_path), "project", "map", "sdk-project", "--customer", "acme"])
        == 0
    )
    args = ["llama_31_8b", "", "", "", "2025-01-01T00:00:00Z", "sdk-bq-node"]
    args += ["", "", "", "", "US", "", "chat", 100, 200, "", ""]

    def run(project: str) -> dict:
        request = t.ImpactBigQueryRequest(
            requestId="sdk-1",
            caller=f"//bigquery.googleapis.com/projects/{project}/jobs/j1",
            sessionUser="analyst@example.com",
            userDefinedContext={"signature": "scope3"},
            calls=[args],
        )
        response = owner.calculate_impact_big_query(request)
        assert isinstance(response, t.ImpactBigQueryResponse)
        return t.ModeledRow.model_validate_json(response.replies[0])

    mapped = run("sdk-project")
    assert mapped.error is None and mapped.total_impact.usage_energy_wh > 0
    assert run("unmapped-project").error.code == "unknown_node"


@pytest.mark.parametrize("role", ["admin", "owner"])
@pytest.mark.parametrize(("kind", "model"), [("model", t.Model), ("node", t.Node), ("gpu", t.GPU)])
def test_every_catalog_entry_validates(
    server: str, tokens: Tokens, role: str, kind: str, model: type
) -> None:
    """Not only the first page: every global entry, as each role sees it."""
    token = getattr(tokens, role)
    first = call(f"{server}/{kind}?limit=100", token=token)
    total = int(first.headers["X-Total-Count"])
    assert total > 0
    seen = 0
    for offset in range(0, total, 100):
        page = call(f"{server}/{kind}?offset={offset}", token=token).json()
        for obj in page[kind + "s"]:
            model.model_validate(obj)
            seen += 1
    assert seen == total
