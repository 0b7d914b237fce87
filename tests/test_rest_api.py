"""The REST API over real HTTP: /v1/impact's shape, row validation, request-level codes, debug,
custom entries used by estimates (REST and BigQuery), catalog lists and writes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ai_impact import cli
from ai_impact.store import open_store
from conftest import Tokens, call, make_token

METRICS = {
    "usage_energy_wh",
    "usage_emissions_gco2e",
    "usage_water_ml",
    "embodied_emissions_gco2e",
    "embodied_water_ml",
}
BLOCKS = ("inference_impact", "training_impact", "fine_tuning_impact", "total_impact")
GOOD = {"model_id": "llama_31_70b", "input_tokens": 400, "output_tokens": 500, "country": "US"}


def impact(server: str, token: str, rows: list, query: str = "") -> dict:
    answer = call(f"{server}/v1/impact{query}", "POST", token, {"rows": rows})
    assert answer.status == 200, answer.body
    return answer.json()


def test_response_has_exactly_the_specs_keys_and_sdk_totals(server: str, tokens: Tokens) -> None:
    rows = [GOOD, {**GOOD, "output_tokens": 50}, {"model_id": "no-such-model"}]
    out = impact(server, tokens.owner, rows)
    assert set(out) == {"rows", "total_energy_wh", "total_gco2e", "total_mlh2o", "has_errors"}
    for row in out["rows"]:
        assert set(row) - {"error"} == set(BLOCKS)
        for block in BLOCKS:
            assert set(row[block]) == METRICS
        for metric in METRICS:
            parts = sum(row[b][metric] for b in BLOCKS[:3])
            assert row["total_impact"][metric] == pytest.approx(parts)
    assert out["has_errors"] is True
    assert out["rows"][2]["total_impact"] == dict.fromkeys(METRICS, 0.0)
    # Totals are the sums of total_impact usage metrics (embodied excluded), as the SDK computes.
    for total, metric in (
        ("total_energy_wh", "usage_energy_wh"),
        ("total_gco2e", "usage_emissions_gco2e"),
        ("total_mlh2o", "usage_water_ml"),
    ):
        assert out[total] == pytest.approx(sum(r["total_impact"][metric] for r in out["rows"]))
    assert out["total_energy_wh"] > 0
    assert impact(server, tokens.owner, [GOOD])["has_errors"] is False


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"input_tokens": -1}, "input_tokens"),
        ({"output_tokens": 100_000_001}, "output_tokens"),
        ({"input_steps": 0}, "input_steps"),
        ({"country": "USA"}, "country"),
        ({"region": "N1"}, "region"),
        ({"task": "dancing"}, "task"),
        ({"output_images": ["1024"]}, "output_images"),
        ({"input_images": ["8x8"] * 101}, "input_images"),
        ({"utc_datetime": "yesterday"}, "utc_datetime"),
        ({"output_tokens": "many"}, "output_tokens"),
        ({"output_token": 5}, "output_token"),
    ],
)
def test_a_bad_row_gets_its_own_error(server: str, tokens: Tokens, bad: dict, field: str) -> None:
    out = impact(server, tokens.owner, [GOOD, {**GOOD, **bad}, GOOD])
    first, broken, last = out["rows"]
    assert "error" not in first and "error" not in last
    assert first == last
    assert broken["error"]["code"] == "invalid_field"
    assert broken["error"]["details"]["field"] == field
    assert set(broken) == {*BLOCKS, "error"}
    assert out["has_errors"] is True


@pytest.mark.parametrize(
    ("data", "content_type", "status"),
    [
        (b'{"rows": []}', "text/plain", 415),
        (b'{"rows": []}', None, 415),
        (b"{not json", "application/json", 400),
        (b"[]", "application/json", 400),
        (b'{"rows": {}}', "application/json", 400),
        (b'{"rows": [], "debug": true}', "application/json", 400),
        (b'{"rows": [' + b",".join([b"{}"] * 1001) + b"]}", "application/json", 400),
        (b'{"rows": []}', "application/json; charset=utf-8", 200),
    ],
)
def test_request_level_codes(
    server: str, tokens: Tokens, data: bytes, content_type: str | None, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    answer = call(f"{server}/v1/impact", "POST", tokens.owner, data=data, headers=headers)
    assert answer.status == status, answer.body
    if status != 200:
        body = answer.json()
        assert set(body) == {"code", "message", "details"}
        assert answer.headers["Content-Type"] == "application/json"


def test_not_acceptable_method_not_allowed_and_bad_query(server: str, tokens: Tokens) -> None:
    html = call(f"{server}/gpu", token=tokens.owner, headers={"Accept": "text/html"})
    assert html.status == 406
    assert call(f"{server}/gpu", token=tokens.owner, headers={"Accept": "*/*"}).status == 200
    wrong = call(f"{server}/v1/impact", "GET", tokens.owner)
    assert wrong.status == 405 and wrong.headers["Allow"] == "POST"
    debug = call(f"{server}/v1/impact?debug=maybe", "POST", tokens.owner, {"rows": []})
    assert debug.status == 400 and debug.json()["details"]["field"] == "debug"
    assert call(f"{server}/node?limit=101", token=tokens.owner).status == 400


def test_debug_has_the_specs_keys_unless_extensions_are_asked(server: str, tokens: Tokens) -> None:
    plain = impact(server, tokens.owner, [GOOD], "?debug=true")["rows"][0]["debug"]
    assert set(plain) == {"model", "hardware_node", "grid_mix", "steps"}
    assert plain["model"]["customer_id"] == 0  # required by the SDK, not disclosed
    extended = impact(server, tokens.owner, [GOOD], "?debug=true&extensions=true")
    debug = extended["rows"][0]["debug"]
    extras = {"energy_breakdown", "assumptions", "water_breakdown", "grid_details", "confidence"}
    assert set(debug) == {*plain, *extras}
    assert debug["energy_breakdown"]["facility_wh"] > 0
    assert "debug" not in impact(server, tokens.owner, [GOOD], "?debug=false")["rows"][0]


def test_custom_node_gpu_and_model_are_used_by_estimates(server: str, tokens: Tokens) -> None:
    gpu = {
        "id": "acme-accelerator",
        "name": "ACME accelerator",
        "max_power_w": 300,
        "embodied_emissions_kgco2e": 90,
        "embodied_water_mlh2o": 6000,
        "performance_ratio_to_h200": 0.25,
        "ols_intercept": 0,
        "ols_coefficient_gpu_count": 0,
        "memory_gb": 96,
    }
    assert call(f"{server}/gpu", "POST", tokens.owner, gpu).status == 201
    node = {"id": "acme-box", "gpu_id": "acme-accelerator", "gpu_count": 2, "cpu_count": 32}
    assert call(f"{server}/node", "POST", tokens.owner, node).status == 201
    model = {"id": "acme-llm", "total_params_billions": 13, "aliases": ["acme-llm-latest"]}
    assert call(f"{server}/model", "POST", tokens.owner, model).status == 201

    row = {"model_id": "acme-llm-latest", "node_id": "acme-box", "output_tokens": 300}
    mine = impact(server, tokens.owner, [row], "?debug=true")["rows"][0]
    assert "error" not in mine
    assert mine["debug"]["model"]["id"] == "acme-llm"
    assert mine["debug"]["hardware_node"]["id"] == "acme-box"
    assert mine["debug"]["hardware_node"]["gpu_id"] == "acme-accelerator"
    on_h100 = impact(server, tokens.owner, [{**row, "node_id": "aws-p5-48xlarge"}])["rows"][0]
    assert on_h100["inference_impact"] != mine["inference_impact"]

    theirs = impact(server, tokens.other, [row])["rows"][0]
    assert theirs["error"]["code"] == "unknown_model"

    # The derived GPU columns are shown with ?extensions=true.
    shown = call(f"{server}/gpu/acme-accelerator?extensions=true", token=tokens.owner).json()
    assert shown["memory_gb"] == 96
    h200 = call(f"{server}/gpu/h200?extensions=true", token=tokens.owner).json()
    assert shown["bf16_dense_tflops"] == pytest.approx(0.25 * h200["bf16_dense_tflops"])
    assert "memory_gb" not in call(f"{server}/gpu/acme-accelerator", token=tokens.owner).json()

    # In use: the GPU cannot go while the node needs it.
    assert call(f"{server}/gpu/acme-accelerator", "DELETE", tokens.owner).status == 409
    assert call(f"{server}/node/acme-box", "DELETE", tokens.owner).status == 204
    assert call(f"{server}/gpu/acme-accelerator", "DELETE", tokens.owner).status == 204
    after = impact(server, tokens.owner, [row])["rows"][0]
    assert after["error"]["code"] == "unknown_node"


def test_bigquery_calls_use_the_catalog_of_the_projects_customer(
    server: str, tokens: Tokens, store_path: Path
) -> None:
    node = {"id": "acme-bq-node", "gpu_id": "a100_80gb", "gpu_count": 4, "cpu_count": 48}
    assert call(f"{server}/node", "POST", tokens.owner, node).status == 201
    argv = ["--db", str(store_path), "project", "map", "acme-analytics", "--customer", "acme"]
    assert cli.main(argv) == 0
    row = {"model_id": "llama_31_8b", "node_id": "acme-bq-node", "output_tokens": 100}

    def reply(project: str) -> dict:
        envelope = {
            "requestId": "r1",
            "caller": f"//bigquery.googleapis.com/projects/{project}/jobs/{project}:US.j1",
            "sessionUser": "analyst@example.com",
            "calls": [[row]],
        }
        answer = call(server + "/", "POST", json=envelope)
        assert answer.status == 200
        return answer.json()["replies"][0]

    assert reply("acme-analytics")["error"] is None
    assert reply("someone-else")["error"]["code"] == "unknown_node"


def test_global_node_ids_in_both_forms(server: str, tokens: Tokens) -> None:
    api_form = call(f"{server}/node/aws-p5-48xlarge", token=tokens.owner).json()
    catalog_form = call(f"{server}/node/aws:p5.48xlarge", token=tokens.owner).json()
    assert api_form == catalog_form and api_form["id"] == "aws-p5-48xlarge"
    rows = [{**GOOD, "node_id": "aws-p5-48xlarge"}, {**GOOD, "node_id": "aws:p5.48xlarge"}]
    first, second = impact(server, tokens.owner, rows)["rows"]
    assert first == second and "error" not in first


def test_lists_page_filter_and_sort(server: str, tokens: Tokens) -> None:
    first = call(f"{server}/node?limit=5", token=tokens.owner)
    total = int(first.headers["X-Total-Count"])
    assert total > 100
    ids = [n["id"] for n in first.json()["nodes"]]
    assert ids == sorted(ids) and len(ids) == 5
    page = call(f"{server}/node?limit=5&offset=5", token=tokens.owner).json()["nodes"]
    assert ids[-1] < page[0]["id"]
    assert len(call(f"{server}/node", token=tokens.owner).json()["nodes"]) == 100
    gcp = call(f"{server}/node?cloud=GCP&gpu=h100", token=tokens.owner).json()["nodes"]
    assert gcp and all(n["cloud_id"] == "gcp" and n["gpu_id"] == "h100" for n in gcp)
    openai = call(f"{server}/node?service=openai", token=tokens.owner).json()["nodes"]
    assert [n["managed_service_id"] for n in openai] == ["openai"]
    gpt = call(f"{server}/model?family=gpt&limit=100", token=tokens.owner).json()["models"]
    assert gpt and {m["family"] for m in gpt} == {"gpt"}


@pytest.mark.parametrize(
    ("kind", "body", "status", "field"),
    [
        ("node", {"id": "x", "gpu_id": "h100", "gpu_count": 1, "cpu_count": 1}, 400, "id"),
        ("node", {"id": "Bad_Id", "gpu_id": "h100", "gpu_count": 1, "cpu_count": 1}, 400, "id"),
        ("node", {"id": "ok-node", "gpu_id": "h100", "gpu_count": 1}, 400, "cpu_count"),
        ("node", {"id": "ok-node", "gpu_id": "h100", "gpu_count": 0, "cpu_count": 1}, 400, None),
        (
            "node",
            {"id": "ok-node", "gpu_id": "nope", "gpu_count": 1, "cpu_count": 1},
            400,
            "gpu_id",
        ),
        (
            "node",
            {"id": "aws-p5-48xlarge", "gpu_id": "h100", "gpu_count": 1, "cpu_count": 1},
            409,
            "id",
        ),
        ("node", {"id": "ok-node", "gpu_id": "h100", "gpu_count": 1.5, "cpu_count": 1}, 400, None),
        (
            "node",
            {"id": "ok-node", "gpu_id": "h100", "gpu_count": 1, "cpu_count": 1, "x": 1},
            400,
            "x",
        ),
        ("model", {"id": "gpt-4o"}, 409, "id"),
        ("model", {"id": "fresh-model", "aliases": ["gpt-4o"]}, 409, "aliases"),
        ("model", {"id": "fresh-model", "datatype": "fp5"}, 400, "datatype"),
        ("model", {"id": "fresh-model", "total_params_billions": -1}, 400, None),
        ("model", {"id": "has/slash"}, 400, "id"),
        ("gpu", {"id": "g"}, 400, None),
        ("gpu", [], 400, None),
    ],
)
def test_invalid_or_duplicate_bodies(
    server: str, tokens: Tokens, kind: str, body: object, status: int, field: str | None
) -> None:
    answer = call(f"{server}/{kind}", "POST", tokens.owner, body)
    assert answer.status == status, answer.body
    if field:
        assert answer.json()["details"]["field"] == field


def test_update_merges_and_aliases(server: str, tokens: Tokens) -> None:
    model = {"id": "merge-model", "name": "Merge", "total_params_billions": 7}
    created = call(f"{server}/model", "POST", tokens.owner, model).json()
    updated = call(f"{server}/model/merge-model", "PUT", tokens.owner, {"family": "llama"}).json()
    assert updated["name"] == "Merge" and updated["family"] == "llama"
    assert updated["created_at"] == created["created_at"]
    assert updated["updated_at"] > created["updated_at"]
    unset = call(f"{server}/model/merge-model", "PUT", tokens.owner, {"family": None}).json()
    assert "family" not in unset
    assert call(f"{server}/model/merge-model", "PUT", tokens.owner, {"id": "x"}).status == 400
    alias_url = f"{server}/model/merge-model/alias"
    assert call(alias_url, "PUT", tokens.owner, {"alias": "merge-latest"}).status == 204
    assert call(alias_url, "PUT", tokens.owner, {"alias": "merge-latest"}).status == 409
    assert call(alias_url, "PUT", tokens.other, {"alias": "merge-x"}).status == 404
    assert call(alias_url, "PUT", tokens.owner, {"alias": "gpt-4o"}).status == 409
    assert call(alias_url, "PUT", tokens.owner, {"name": "x"}).status == 400
    assert call(f"{alias_url}/nope", "DELETE", tokens.owner).status == 404
    assert call(f"{alias_url}/merge-latest", "DELETE", tokens.owner).status == 204
    assert call(f"{server}/model/merge-model", token=tokens.owner).json()["aliases"] == []


def test_admin_changes_to_global_entries_reach_estimates(server: str, tokens: Tokens) -> None:
    row = {**GOOD, "node_id": "aws-p4d-24xlarge"}
    before = impact(server, tokens.owner, [row])["rows"][0]["inference_impact"]
    node = call(f"{server}/node/aws-p4d-24xlarge", token=tokens.admin).json()
    changed = {"average_utilization_rate": node["average_utilization_rate"] / 2}
    assert call(f"{server}/node/aws-p4d-24xlarge", "PUT", tokens.admin, changed).status == 200
    after = impact(server, tokens.owner, [row])["rows"][0]["inference_impact"]
    assert after["usage_energy_wh"] > before["usage_energy_wh"]
    restore = {"average_utilization_rate": node["average_utilization_rate"]}
    assert call(f"{server}/node/aws-p4d-24xlarge", "PUT", tokens.admin, restore).status == 200
    again = impact(server, tokens.owner, [row])["rows"][0]["inference_impact"]
    assert again == pytest.approx(before)


def test_rate_limit_per_token(server: str, store_path: Path) -> None:
    token = make_token(
        store_path, "--role", "user", "--customer", "limited", "--rate-per-minute", "3"
    )
    codes = [call(f"{server}/gpu?limit=1", token=token).status for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = call(f"{server}/gpu?limit=1", token=token)
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) >= 1


def test_revoked_token_is_refused(server: str, store_path: Path) -> None:
    token = make_token(store_path, "--role", "user", "--customer", "acme", "--name", "to-revoke")
    assert call(f"{server}/gpu?limit=1", token=token).status == 200
    store = open_store(store_path)
    (record,) = [t for t in store.tokens() if t.name == "to-revoke"]
    assert cli.main(["--db", str(store_path), "token", "revoke", str(record.id)]) == 0
    assert call(f"{server}/gpu?limit=1", token=token).status == 401


def test_concurrent_writes_and_estimates(server: str, tokens: Tokens) -> None:
    def work(i: int) -> tuple[int, bool]:
        node = {"id": f"conc-node-{i}", "gpu_id": "h100", "gpu_count": 1 + i % 4, "cpu_count": 8}
        created = call(f"{server}/node", "POST", tokens.owner, node).status
        row = {"model_id": "llama_31_8b", "node_id": node["id"], "output_tokens": 50}
        return created, "error" in impact(server, tokens.owner, [row])["rows"][0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(16)))
    assert results == [(201, False)] * 16
    listed = call(f"{server}/node?custom=true", token=tokens.owner).json()["nodes"]
    assert {f"conc-node-{i}" for i in range(16)} <= {n["id"] for n in listed}


def test_every_modality_through_the_rest_door(server: str, tokens: Tokens) -> None:
    rows = [
        {"model_id": "dall-e-3", "task": "text-to-image", "output_images": ["1024x1024"]},
        {"model_id": "whisper-1", "input_audio_seconds": 60, "output_tokens": 150},
        {"model_id": "text-embedding-3-small", "input_tokens": 800},
        {"model_id": "gpt-4o", "input_tokens": 50, "input_images": ["1024x768"]},
        {"model_id": "tts-1", "input_tokens": 40, "output_audio_seconds": 12.5},
        {"task": "image-generation", "model_total_params_billions": 14,
         "output_video_frames": 81, "output_video_resolution": 480},
        {"task": "clustering", "model_total_params_billions": 1, "input_tokens": 10},
    ]  # fmt: skip
    answer = impact(server, tokens.owner, rows, "?debug=true")
    estimated, refused = answer["rows"][:-1], answer["rows"][-1]
    for row in estimated:
        assert row.get("error") is None, row["error"]
        assert row["inference_impact"]["usage_energy_wh"] > 0
        assert row["debug"]["steps"]
    assert refused["error"]["code"] == "unsupported_task"
    assert answer["has_errors"] is True
