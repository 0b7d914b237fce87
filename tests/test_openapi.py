"""The service's OpenAPI document: docs/openapi.json is what the code builds and serves, it
lists exactly the routes the code has, and the live server keeps to it under a bounded
property-based run (Schemathesis): no 5xx, documented codes, content types and bodies."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ai_impact.rest import openapi
from ai_impact.rest.app import RULES
from conftest import ROOT, call, make_token

DOCUMENT = openapi.document()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)


def test_docs_copy_is_the_built_document() -> None:
    saved = orjson.loads((ROOT / "docs" / "openapi.json").read_bytes())
    assert saved == DOCUMENT, "regenerate: ai-impact openapi docs/openapi.json"


def test_served_document_is_the_built_document(server: str) -> None:
    answer = call(server + "/openapi.json")
    assert answer.status == 200
    assert answer.json() == DOCUMENT


def _routes_of_code() -> set[tuple[str, str]]:
    """What the werkzeug URL map answers, with the document's parameter names."""
    routes = set()
    for rule in RULES.iter_rules():
        path = rule.rule.replace("<path:alias>", "{alias}").replace("<entry_id>", "{id}")
        if path == "/openapi.json":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method.lower(), path))
    return routes


def _routes_of_document() -> set[tuple[str, str]]:
    routes = set()
    for path, item in DOCUMENT["paths"].items():
        for method in item.keys() - {"parameters"}:
            for name in ("{modelId}", "{nodeId}", "{gpuId}", "{datacenterId}"):
                path = path.replace(name, "{id}")
            routes.add((method, path))
    return routes


def test_document_lists_exactly_the_routes_of_the_code() -> None:
    # /status and the BigQuery door at / are routed by http.py, before the REST routes.
    assert _routes_of_document() - {("get", "/status"), ("post", "/")} == _routes_of_code()
    assert len(_routes_of_code()) == 24  # 5 per catalog resource (4), impact, reload, 2 alias


def test_schemas_follow_the_field_declarations() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    node_create = schemas["NodeCreateRequest"]
    assert node_create["required"] == ["id", "gpu_id", "gpu_count", "cpu_count"]
    # gpu_count: the hosted API allows 0, the catalog needs at least one GPU.
    assert node_create["properties"]["gpu_count"]["minimum"] == 1
    utilisation = node_create["properties"]["average_utilization_rate"]
    assert utilisation["anyOf"][0]["exclusiveMinimum"] == 0  # OpenAPI 3.1: a number
    water = schemas["GPUCreateRequest"]["properties"]["embodied_water_mlh2o"]
    assert schemas["ImpactRow"]["properties"]["country"]["pattern"] == "^[A-Z]{2}$"
    assert water["maximum"] == 100_000 * 1000  # the catalog's litres, in millilitres
    assert schemas["ImpactRow"]["properties"]["input_tokens"]["maximum"] == 100_000_000


@pytest.fixture(scope="module")
def fuzz_token(store_path: Path) -> str:
    return make_token(store_path, "--role", "user", "--customer", "fuzz")


@SCHEMA.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_live_server_keeps_to_the_document(case: object, server: str, fuzz_token: str) -> None:
    case.call_and_validate(
        base_url=server,
        headers={"Authorization": f"Bearer {fuzz_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
