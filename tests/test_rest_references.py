"""Catalog writes over real HTTP whose error is about another entry: a reference that names no
entry (400), an entry still used by another (409 on delete), a taken alias (409). Each names the
request field in ``details.field`` and says what is wrong in the API's terms, never a CSV file."""

from __future__ import annotations

import pytest

from conftest import Tokens, call

NODE = {"id": "refs-node-1", "gpu_id": "refs-gpu-1", "gpu_count": 1, "cpu_count": 1}
GPU = {
    "id": "refs-gpu-1",
    "name": "Refs GPU",
    "max_power_w": 700,
    "embodied_emissions_kgco2e": 300,
    "embodied_water_mlh2o": 2000,
    "performance_ratio_to_h200": 1,
    "ols_coefficient_gpu_count": 0,
    "ols_intercept": 0,
}


def assert_error(answer: object, status: int, field: str, *phrases: str) -> None:
    assert answer.status == status, answer.body  # type: ignore[attr-defined]
    error = answer.json()  # type: ignore[attr-defined]
    assert error["details"]["field"] == field, error
    for phrase in phrases:
        assert phrase in error["message"], error
    assert ".csv" not in error["message"], error


@pytest.fixture(scope="module")
def used_gpu(server: str, tokens: Tokens) -> str:
    """A custom GPU and a node of acme's that uses it."""
    assert call(f"{server}/gpu", "POST", tokens.owner, GPU).status == 201
    assert call(f"{server}/node", "POST", tokens.owner, NODE).status == 201
    return GPU["id"]


def test_a_node_naming_no_gpu_is_a_400_on_gpu_id(server: str, tokens: Tokens) -> None:
    body = {**NODE, "id": "refs-node-2", "gpu_id": "nope"}
    answer = call(f"{server}/node", "POST", tokens.owner, body)
    assert_error(answer, 400, "gpu_id", "gpu_id: no GPU 'nope'", "GET /gpu")


def test_updating_a_node_to_no_gpu_is_a_400_on_gpu_id(
    server: str, tokens: Tokens, used_gpu: str
) -> None:
    answer = call(f"{server}/node/{NODE['id']}", "PUT", tokens.owner, {"gpu_id": "nope"})
    assert_error(answer, 400, "gpu_id", "no GPU 'nope'")


def test_another_customer_s_gpu_is_no_gpu_for_a_node(
    server: str, tokens: Tokens, used_gpu: str
) -> None:
    body = {**NODE, "id": "refs-node-globex", "gpu_id": used_gpu}
    answer = call(f"{server}/node", "POST", tokens.other, body)
    assert_error(answer, 400, "gpu_id", f"no GPU {used_gpu!r}")


def test_a_model_fine_tuned_from_no_model_is_a_400_on_that_field(
    server: str, tokens: Tokens
) -> None:
    body = {"id": "refs-model-1", "fine_tuned_from_model_id": "nope"}
    answer = call(f"{server}/model", "POST", tokens.owner, body)
    assert_error(
        answer, 400, "fine_tuned_from_model_id", "no model 'nope'", "GET /model lists them"
    )


def test_deleting_a_gpu_a_node_uses_says_which_node(
    server: str, tokens: Tokens, used_gpu: str
) -> None:
    answer = call(f"{server}/gpu/{used_gpu}", "DELETE", tokens.owner)
    assert answer.status == 409, answer.body
    message = answer.json()["message"]
    assert message == f"GPU {used_gpu!r} is in use by node {NODE['id']!r}"
    assert "field" not in answer.json()["details"]


def test_deleting_a_global_node_a_service_uses_says_which_service(
    server: str, tokens: Tokens
) -> None:
    answer = call(f"{server}/node/aws-p5-48xlarge", "DELETE", tokens.admin)
    assert answer.status == 409, answer.body
    message = answer.json()["message"]
    assert message.startswith("node 'aws-p5-48xlarge' is in use by service '"), message


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/model/refs-alias-model/alias", {"alias": "gpt-4o"}, "alias"),
        ("POST", "/model", {"id": "refs-alias-2", "aliases": ["gpt-4o"]}, "aliases"),
        ("POST", "/model", {"id": "gpt-4o"}, "id"),
    ],
)
def test_a_taken_alias_is_a_409_on_the_alias_field(
    server: str, tokens: Tokens, method: str, path: str, body: dict, field: str
) -> None:
    model = {"id": "refs-alias-model", "total_params_billions": 8}
    assert call(f"{server}/model", "POST", tokens.owner, model).status in (201, 409)
    answer = call(server + path, method, tokens.owner, body)
    assert_error(answer, 409, field, "'gpt-4o'")


def test_a_custom_alias_taken_by_another_customer_is_a_409_on_aliases(
    server: str, tokens: Tokens
) -> None:
    mine = {"id": "refs-alias-3", "aliases": ["refs-shared-alias"]}
    assert call(f"{server}/model", "POST", tokens.owner, mine).status == 201
    theirs = {"id": "refs-alias-4", "aliases": ["refs-shared-alias"]}
    answer = call(f"{server}/model", "POST", tokens.other, theirs)
    assert_error(answer, 409, "aliases", "alias 'refs-shared-alias'")
