"""The permission matrix: admin / owner / other customer / no token x every endpoint, asserted
code by code against the live server. "owner" is the customer whose custom entries are
addressed; "global" entries are the bundled catalog's."""

from __future__ import annotations

import itertools

import pytest

from ai_impact import catalog as _catalog
from ai_impact.catalog.defaults import DEFAULT_NODE_ID
from conftest import Tokens, call

CALLERS = ("admin", "owner", "other", "none")
_ids = itertools.count()

GLOBAL_IDS = {
    "model": "llama_31_8b",
    "node": "aws-p5-48xlarge",
    "gpu": "h100",
    "datacenter": "google-hamina",
}
GPU_BODY = {
    "name": "Perm GPU",
    "max_power_w": 300,
    "embodied_emissions_kgco2e": 100,
    "embodied_water_mlh2o": 5000,
    "performance_ratio_to_h200": 0.4,
    "ols_intercept": 0,
    "ols_coefficient_gpu_count": 0,
}


def create_body(kind: str) -> dict:
    entry_id = f"perm-{kind}-{next(_ids)}"
    if kind == "model":
        return {"id": entry_id, "total_params_billions": 1.5, "aliases": [entry_id + "-alias"]}
    if kind == "node":
        return {"id": entry_id, "gpu_id": "h100", "gpu_count": 1, "cpu_count": 8}
    if kind == "datacenter":
        return {"id": entry_id, "name": "Perm DC", "country": "NO", "pue": 1.1}
    return {"id": entry_id, **GPU_BODY}


UPDATE_BODY = {
    "model": {"name": "renamed"},
    "node": {"cpu_count": 12},
    "gpu": {"name": "renamed"},
    "datacenter": {"name": "renamed"},
}


def deletable_globals() -> dict[str, str]:
    """A global entry of each kind that nothing refers to and no other test uses."""
    cat = _catalog.default()
    used_gpus = {_catalog.lookup_key(g) for g in cat.nodes["gpu_id"]}
    gpu = next(g for g in reversed(cat.gpus["gpu_id"]) if _catalog.lookup_key(g) not in used_gpus)
    service_nodes = {_catalog.lookup_key(n) for n in cat.services["default_node_id"]}
    node = next(
        n
        for n in reversed(cat.nodes["node_id"])
        if _catalog.lookup_key(n) not in service_nodes and n != DEFAULT_NODE_ID
    )
    bases = {_catalog.lookup_key(b) for b in cat.models["fine_tuned_from_model_id"] if b}
    model = next(
        m
        for m in reversed(cat.models["model_id"])
        if _catalog.lookup_key(m) not in bases and m not in ("llama_31_8b", "llama_31_70b")
    )
    # nothing refers to a datacenter: the last one
    return {
        "model": model,
        "node": node,
        "gpu": gpu,
        "datacenter": cat.datacenters["datacenter_id"][-1],
    }


@pytest.fixture(scope="module")
def deletable() -> dict[str, str]:
    return deletable_globals()


def token_of(tokens: Tokens, caller: str) -> str | None:
    return None if caller == "none" else getattr(tokens, caller)


def custom_entry(server: str, tokens: Tokens, kind: str) -> str:
    body = create_body(kind)
    answer = call(f"{server}/{kind}", "POST", tokens.owner, body)
    assert answer.status == 201, answer.body
    return body["id"]


# (case, expected code for admin, owner, other, none)
CATALOG_CASES = {
    "list": (200, 200, 200, 401),
    "create": (201, 201, 201, 401),
    "get custom": (200, 200, 404, 401),
    "update custom": (200, 200, 404, 401),
    "delete custom": (204, 204, 404, 401),
    "get global": (200, 200, 200, 401),
    "update global": (200, 403, 403, 401),
    "delete global": (204, 403, 403, 401),
    "get unknown": (404, 404, 404, 401),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", CATALOG_CASES)
@pytest.mark.parametrize("kind", ["model", "node", "gpu", "datacenter"])
def test_catalog_endpoints(
    server: str, tokens: Tokens, deletable: dict, kind: str, case: str, caller: str
) -> None:
    token = token_of(tokens, caller)
    base = f"{server}/{kind}"
    if case == "list":
        answer = call(base, token=token)
    elif case == "create":
        answer = call(base, "POST", token, create_body(kind))
    elif case == "get unknown":
        answer = call(f"{base}/no-such-entry", token=token)
    elif case.endswith("custom"):
        entry_id = custom_entry(server, tokens, kind)
        method = {"get": "GET", "update": "PUT", "delete": "DELETE"}[case.split()[0]]
        body = UPDATE_BODY[kind] if method == "PUT" else None
        answer = call(f"{base}/{entry_id}", method, token, body)
    elif case == "get global":
        answer = call(f"{base}/{GLOBAL_IDS[kind]}", token=token)
    elif case == "update global":
        current = call(f"{base}/{GLOBAL_IDS[kind]}", token=tokens.admin).json()
        field = next(iter(UPDATE_BODY[kind]))
        answer = call(f"{base}/{GLOBAL_IDS[kind]}", "PUT", token, {field: current[field]})
    else:  # delete global: the admin deletes an unused entry; others try a used one
        target = deletable[kind] if caller == "admin" else GLOBAL_IDS[kind]
        answer = call(f"{base}/{target}", "DELETE", token)
    expected = dict(zip(CALLERS, CATALOG_CASES[case], strict=True))[caller]
    assert answer.status == expected, answer.body
    if expected >= 400:
        assert set(answer.json()) == {"code", "message", "details"}


ALIAS_CASES = {
    "add to custom": (204, 204, 404, 401),
    "remove from custom": (204, 204, 404, 401),
    "add to global": (204, 403, 403, 401),
    "remove from global": (204, 403, 403, 401),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", ALIAS_CASES)
def test_alias_endpoints(server: str, tokens: Tokens, case: str, caller: str) -> None:
    token = token_of(tokens, caller)
    alias = f"perm-alias-{next(_ids)}"
    if case.endswith("custom"):
        model = custom_entry(server, tokens, "model")
        owner_token = tokens.owner
    else:
        model = GLOBAL_IDS["model"]
        owner_token = tokens.admin
    url = f"{server}/model/{model}/alias"
    if case.startswith("add"):
        answer = call(url, "PUT", token, {"alias": alias})
    else:
        assert call(url, "PUT", owner_token, {"alias": alias}).status == 204
        answer = call(f"{url}/{alias}", "DELETE", token)
    expected = dict(zip(CALLERS, ALIAS_CASES[case], strict=True))[caller]
    assert answer.status == expected, answer.body


OTHER_CASES = {
    ("POST", "/v1/impact"): (200, 200, 200, 401),
    ("GET", "/reload"): (200, 403, 403, 401),
    ("GET", "/status"): (200, 200, 200, 200),
    ("GET", "/openapi.json"): (200, 200, 200, 200),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", OTHER_CASES)
def test_other_endpoints(server: str, tokens: Tokens, case: tuple, caller: str) -> None:
    method, path = case
    body = (
        {"rows": [{"model_id": "llama_31_8b", "output_tokens": 10}]} if method == "POST" else None
    )
    answer = call(server + path, method, token_of(tokens, caller), body)
    assert answer.status == dict(zip(CALLERS, OTHER_CASES[case], strict=True))[caller]


def test_bad_tokens_are_401(server: str) -> None:
    for header in ("Bearer aii_not-a-token", "Basic dXNlcjpwYXNz", "Bearer", "aii_x"):
        answer = call(server + "/gpu", headers={"Authorization": header})
        assert answer.status == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_another_customers_entry_is_invisible_everywhere(server: str, tokens: Tokens) -> None:
    node = custom_entry(server, tokens, "node")
    for token, seen in ((tokens.owner, True), (tokens.admin, True), (tokens.other, False)):
        listed = call(f"{server}/node?custom=true", token=token).json()["nodes"]
        assert (node in {n["id"] for n in listed}) is seen
        row = {"model_id": "llama_31_8b", "node_id": node, "output_tokens": 10}
        reply = call(f"{server}/v1/impact", "POST", token, {"rows": [row]}).json()["rows"][0]
        if token == tokens.other:
            assert reply["error"]["code"] == "unknown_node"
        elif token == tokens.owner:
            assert "error" not in reply
    # customer_id is disclosed to admins only.
    as_admin = call(f"{server}/node/{node}", token=tokens.admin).json()
    as_owner = call(f"{server}/node/{node}", token=tokens.owner).json()
    assert as_admin["customer_id"] > 0
    assert "customer_id" not in as_owner
    # Duplicates across customers are refused without disclosing the owner.
    clash = {"id": node, "gpu_id": "h100", "gpu_count": 1, "cpu_count": 4}
    assert call(f"{server}/node", "POST", tokens.other, clash).status == 409
