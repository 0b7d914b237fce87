"""The SQL of sql/ executed on a local BigQuery emulator (bqemulator, 127.0.0.1): the reference
tables load their CSVs, the store tables and seed work, the SQL helpers build rows the real
handler accepts and unpack the replies it really gives, and the example queries compute what
they say, with a SQL stub in place of the remote function (the emulator cannot call one).

The text run is sql/ rendered by tools.render, which tests/test_terraform.py proves equal to
what Terraform deploys.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from google.cloud import bigquery

import ai_impact
from ai_impact import catalog
from ai_impact.catalog import DATA_DIR, SCHEMAS
from tools import emulator, render

ROOT = Path(__file__).resolve().parents[1]
SQL_DIR = ROOT / "sql"
P, D = emulator.PROJECT, "ai_impact"
VALUES = {
    "project_id": P,
    "dataset_id": D,
    "connection": f"{P}.us.ai-impact",
    "endpoint": "https://ai-impact.example",
    "customer_name": "default",
    "caller_projects": f'["{P}"]',
    "litellm_spend_logs": f"{P}.logs.spend_logs",
    "otel_spans": f"{P}.logs.spans",
    "impacts_table": f"{P}.{D}.litellm_impacts",
    "hourly_intensity": f"{P}.grid.hourly_intensity",
}
REMOTE = (
    "ai_impact",
    "ai_impact_debug",
    "ai_impact_market",
    "ai_impact_scope3",
    "ai_impact_with_ranges",
)
PHASES = ("inference_impact", "training_impact", "fine_tuning_impact", "total_impact")
METRICS = (
    "usage_energy_wh",
    "usage_emissions_gco2e",
    "usage_water_ml",
    "embodied_emissions_gco2e",
    "embodied_water_ml",
)
# The stub's made-up physics: inference energy = output + input / 10 (Wh), training 0.5 Wh;
# each other metric is the energy times a factor. 'not-a-model' gets an error.
FACTORS = dict(zip(METRICS, (1.0, 0.4, 2.0, 0.05, 0.001), strict=True))
TRAINING_WH = 0.5
# The stub's inference energy (Wh) from the request's tokens.
STUB_INPUT = "COALESCE(SAFE_CAST(JSON_VALUE(request, '$.input_tokens') AS FLOAT64), 0)"
STUB_OUTPUT = "COALESCE(SAFE_CAST(JSON_VALUE(request, '$.output_tokens') AS FLOAT64), 0)"
STUB_ENERGY = f"{STUB_OUTPUT} + {STUB_INPUT} / 10"
# The ranges stub: ai_impact's reply, a confidence tier by model (TIERS, else 'extrapolated'),
# and an inference energy range [e, e x (1 + input_tokens / 1000)].
TIERS = {"llama_31_8b": "calibrated", "gpt-4o": "assumed"}


def _impacts_sql(energy: str) -> str:
    pairs = ", ".join(f"'{m}', ({energy}) * {f!r}" for m, f in FACTORS.items())
    return f"JSON_OBJECT({pairs})"


def _stub_reply(ok: str) -> str:
    """The stub's reply to ``request``: ``ok``, or an unknown_model error for 'not-a-model'."""
    zero = _impacts_sql("0")
    failed = (
        f"JSON_OBJECT('inference_impact', {zero}, 'training_impact', {zero}, "
        f"'fine_tuning_impact', {zero}, 'total_impact', {zero}, "
        "'error', JSON_OBJECT('code', 'unknown_model', 'message', 'not in the catalog', "
        "'details', JSON_OBJECT('reason', 'unknown_model', 'field', 'model_id')))"
    )
    return f"IF(JSON_VALUE(request, '$.model_id') = 'not-a-model', {failed}, {ok})"


def _stub_ok(*extra: str) -> str:
    """A successful reply of the stub's physics, with ``extra`` key-value pairs of SQL."""
    return (
        f"JSON_OBJECT('inference_impact', {_impacts_sql(STUB_ENERGY)}, "
        f"'training_impact', {_impacts_sql(repr(TRAINING_WH))}, "
        f"'fine_tuning_impact', {_impacts_sql('0')}, "
        f"'total_impact', {_impacts_sql(f'{STUB_ENERGY} + {TRAINING_WH!r}')}, "
        f"'error', CAST(NULL AS JSON){''.join(', ' + e for e in extra)})"
    )


def stub_ai_impact() -> str:
    """A SQL function standing in for the remote ai_impact: same name and signature."""
    return (
        f"CREATE OR REPLACE FUNCTION `{P}.{D}.ai_impact`(request JSON) RETURNS JSON AS ("
        f"{_stub_reply(_stub_ok())})"
    )


def stub_ai_impact_with_ranges() -> str:
    """A SQL function standing in for the remote ai_impact_with_ranges: ai_impact's reply with
    ``ranges`` and ``confidence``, as the service adds them (none on error rows). The emulator
    cannot call one SQL function from another, so it repeats the ai_impact stub's reply."""
    tier = " ".join(f"WHEN '{m}' THEN '{t}'" for m, t in TIERS.items())
    tier = f"CASE JSON_VALUE(request, '$.model_id') {tier} ELSE 'extrapolated' END"
    energy = f"({STUB_ENERGY})"
    ranges = (
        "'ranges', JSON_OBJECT('inference_impact', JSON_OBJECT('usage_energy_wh', "
        f"JSON_ARRAY({energy}, {energy} * (1 + {STUB_INPUT} / 1000))))"
    )
    confidence = (
        f"'confidence', JSON_OBJECT('tier', {tier}, 'reasons', JSON_ARRAY('stub'), "
        "'method', 'stub')"
    )
    return (
        f"CREATE OR REPLACE FUNCTION `{P}.{D}.ai_impact_with_ranges`(request JSON) RETURNS JSON "
        f"AS ({_stub_reply(_stub_ok(ranges, confidence))})"
    )


def stub_impacts(input_tokens: int, output_tokens: int) -> dict[str, dict[str, float]]:
    """What the stub answers, computed in Python."""
    energy = output_tokens + input_tokens / 10
    by_energy = {"inference_impact": energy, "training_impact": TRAINING_WH}
    by_energy |= {"fine_tuning_impact": 0.0, "total_impact": energy + TRAINING_WH}
    return {p: {m: e * f for m, f in FACTORS.items()} for p, e in by_energy.items()}


def sql(path: Path) -> str:
    return render.render(path.read_text(encoding="utf-8"), VALUES)


@pytest.fixture(scope="module")
def bq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[emulator.Emulator]:
    with emulator.running(tmp_path_factory.mktemp("bqemulator")) as emu:
        emu.run(f"CREATE SCHEMA `{P}.{D}`")
        emu.run(f"CREATE SCHEMA `{P}.logs`")
        emu.run(f"CREATE SCHEMA `{P}.grid`")
        for path in sorted((SQL_DIR / "functions").glob("*.sql")):
            if path.stem not in REMOTE:
                emu.run(sql(path))
        emu.run(stub_ai_impact())
        emu.run(stub_ai_impact_with_ranges())
        yield emu


def test_reference_tables_load_their_csv(bq: emulator.Emulator) -> None:
    """Each CSV reads under its table's schema with the options of Terraform's external table
    (positional, header skipped, quoted newlines: tests/test_terraform.py keeps them equal)."""
    loaded = catalog.load()
    config = bigquery.LoadJobConfig(
        source_format="CSV",
        skip_leading_rows=1,
        allow_quoted_newlines=True,
        write_disposition="WRITE_TRUNCATE",
    )
    for name, schema in SCHEMAS.items():
        bq.run(sql(SQL_DIR / "tables" / f"{name}.sql"))
        data = io.BytesIO((DATA_DIR / schema.file).read_bytes())
        job = bq.client().load_table_from_file(data, f"{P}.{D}.{name}", job_config=config)
        assert job.result(retry=emulator.RETRY).output_rows == len(loaded.tables[name]), name
    (row,) = bq.run(f"SELECT SUM(gpu_count) AS gpus, COUNT(*) AS n FROM `{P}.{D}.nodes`")
    assert row["gpus"] == loaded.nodes["gpu_count"].sum()
    (row,) = bq.run(f"SELECT tdp_w FROM `{P}.{D}.gpus` WHERE gpu_id = 'h100'")
    assert row["tdp_w"] == loaded.gpus.row(loaded.gpus.find("h100"))["tdp_w"]


def test_each_csv_reads_under_the_schema_terraform_declares(bq: emulator.Emulator) -> None:
    """The external tables' schemas (terraform/generated/reference, REQUIRED columns included)
    take every row of their CSV, with the external tables' CSV options."""
    loaded = catalog.load()
    for name, schema in SCHEMAS.items():
        fields = orjson.loads(
            (ROOT / "terraform" / "generated" / "reference" / f"{name}.json").read_bytes()
        )
        config = bigquery.LoadJobConfig(
            source_format="CSV",
            skip_leading_rows=1,
            allow_quoted_newlines=True,
            quote_character='"',
            encoding="UTF-8",
            autodetect=False,
            schema=[bigquery.SchemaField.from_api_repr(f) for f in fields],
            write_disposition="WRITE_TRUNCATE",
        )
        data = io.BytesIO((DATA_DIR / schema.file).read_bytes())
        table = f"{P}.{D}.declared_{name}"
        job = bq.client().load_table_from_file(data, table, job_config=config)
        assert job.result(retry=emulator.RETRY).output_rows == len(loaded.tables[name]), name
        (row,) = bq.run(f"SELECT COUNTIF(source IS NULL) AS unsourced FROM `{table}`")
        assert row["unsourced"] == 0, name


def test_store_tables_seed_and_plain_inserts(bq: emulator.Emulator) -> None:
    for path in sorted((SQL_DIR / "store").glob("*.sql")):
        if path.stem != "seed":
            bq.run(sql(path))
            bq.run(sql(path))  # IF NOT EXISTS: re-applying is harmless
    for _ in range(2):  # MERGE: the seed adds what is missing, once
        bq.run(sql(SQL_DIR / "store" / "seed.sql"))
    assert bq.run(f"SELECT id, name FROM `{P}.{D}.customers`") == [{"id": 1, "name": "default"}]
    projects = bq.run(f"SELECT project, customer_id FROM `{P}.{D}.projects`")
    assert projects == [{"project": P, "customer_id": 1}]
    bq.run(
        f"INSERT INTO `{P}.{D}.custom_nodes` (id, gpu_id, gpu_count, cpu_count) "
        "VALUES ('my-rack-node', 'a100_80gb', 4, 64)"
    )
    (node,) = bq.run(f"SELECT * FROM `{P}.{D}.custom_nodes`")
    assert node["customer_id"] == 1 and node["deleted"] is False
    assert node["created_at"] is not None and node["created_by"]


def test_request_builder_makes_rows_the_handler_accepts(bq: emulator.Emulator) -> None:
    (row,) = bq.run(
        f"SELECT `{P}.{D}.ai_impact_request`('gpt-4o', 'openai', NULL, NULL, 'US', "
        "TIMESTAMP '2025-03-01 12:00:00.250+00', 1200, 300) AS r"
    )
    request = row["r"]
    assert request == {
        "model_id": "gpt-4o",
        "managed_service_id": "openai",
        "country": "US",
        "utc_datetime": "2025-03-01T12:00:00Z",
        "input_tokens": 1200,
        "output_tokens": 300,
    }
    (reply,) = ai_impact.estimate([request])
    assert reply["error"] is None and reply["total_impact"]["usage_energy_wh"] > 0
    (row,) = bq.run(
        f"SELECT `{P}.{D}.ai_impact_request`('llama_31_8b', NULL, 'my-rack-node', "
        "'us-central1', NULL, NULL, NULL, 50) AS r"
    )
    assert row["r"] == {
        "model_id": "llama_31_8b",
        "node_id": "my-rack-node",
        "cloud_region": "us-central1",
        "output_tokens": 50,
    }


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        (
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "aws.bedrock",
                "gen_ai.request.model": "claude-3-5-sonnet",
                "gen_ai.response.model": "claude-3-5-sonnet-20241022",
                "gen_ai.usage.input_tokens": 1200,
                "gen_ai.usage.output_tokens": 300,
            },
            {
                "model_id": "claude-3-5-sonnet-20241022",
                "managed_service_id": "aws-bedrock",
                "input_tokens": 1200,
                "output_tokens": 300,
                "task": "chat",
            },
        ),
        (  # the older attribute names
            {
                "gen_ai.operation.name": "text_completion",
                "gen_ai.system": "az.ai.openai",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.prompt_tokens": 10,
                "gen_ai.usage.completion_tokens": 20,
            },
            {
                "model_id": "gpt-4o",
                "managed_service_id": "azure-openai",
                "input_tokens": 10,
                "output_tokens": 20,
                "task": "text-generation",
            },
        ),
        (
            {"gen_ai.provider.name": "mistral_ai", "gen_ai.request.model": "mistral-large"},
            {"model_id": "mistral-large", "managed_service_id": "mistral_ai"},
        ),
    ],
)
def test_otel_builder_maps_genai_attributes(
    bq: emulator.Emulator, attributes: dict, expected: dict
) -> None:
    (row,) = bq.run(
        f"SELECT `{P}.{D}.ai_impact_request_otel`(PARSE_JSON(@a), "
        "TIMESTAMP '2025-06-01 08:00:00+00') AS r",
        [bigquery.ScalarQueryParameter("a", "STRING", orjson.dumps(attributes).decode())],
    )
    assert row["r"] == {**expected, "utc_datetime": "2025-06-01T08:00:00Z"}
    # The provider becomes a service of the catalog, the reply an estimate.
    assert catalog.default().services.find(row["r"]["managed_service_id"]) is not None
    if "input_tokens" in expected:
        (reply,) = ai_impact.estimate([row["r"]])
        assert reply["error"] is None


def test_otel_provider_mapping_covers_the_dotted_well_known_values() -> None:
    text = (SQL_DIR / "functions" / "ai_impact_request_otel.sql").read_text(encoding="utf-8")
    services = catalog.default().services
    for dotted in ("aws.bedrock", "azure.ai.openai", "azure.ai.inference", "gcp.vertex_ai"):
        assert f"WHEN '{dotted}' THEN" in text
    for plain in ("openai", "anthropic", "cohere", "groq", "deepseek", "mistral_ai", "x_ai"):
        assert services.find(plain) is not None, plain


def test_metrics_unpacks_the_replies_the_service_gives(bq: emulator.Emulator) -> None:
    rows = [
        {"model_id": "llama_31_70b", "gpu_id": "h100", "output_tokens": 500, "country": "US"},
        {"model_id": "not-a-model", "output_tokens": 10},
    ]
    replies = ai_impact.estimate(rows)
    got = bq.run(
        f"SELECT `{P}.{D}.ai_impact_metrics`(PARSE_JSON(r)) AS m FROM UNNEST(@replies) AS r "
        "WITH OFFSET AS i ORDER BY i",
        [
            bigquery.ArrayQueryParameter(
                "replies", "STRING", [orjson.dumps(r).decode() for r in replies]
            )
        ],
    )
    for reply, row in zip(replies, got, strict=True):
        metrics = row["m"]
        for phase in PHASES:
            assert metrics[phase] == pytest.approx(reply[phase], rel=1e-12)
        error = reply["error"] or {"code": None, "message": None, "details": {"field": None}}
        assert metrics["error_code"] == error["code"]
        assert metrics["error_message"] == error["message"]
        assert metrics["error_field"] == error["details"]["field"]
    assert got[0]["m"]["error_code"] is None
    assert got[1]["m"]["error_code"] == "unknown_model"


def test_sql_wrapper_unpacks_ranges_and_confidence(bq: emulator.Emulator) -> None:
    calibrated = {"model_id": "llama_31_8b", "gpu_id": "h100", "gpu_count": 1, "batch_size": 64}
    calibrated["output_tokens"] = 300
    rows = [calibrated, {"model_id": "gpt-4o", "output_tokens": 300}, {"model_id": "nope"}]
    replies = ai_impact.estimate(rows, ranges=True)  # issue 11: ai_impact_ranges
    got = bq.run(
        f"SELECT `{P}.{D}.ai_impact_ranges`(PARSE_JSON(r)) AS m FROM UNNEST(@replies) AS r "
        "WITH OFFSET AS i ORDER BY i",
        [
            bigquery.ArrayQueryParameter(
                "replies", "STRING", [orjson.dumps(r).decode() for r in replies]
            )
        ],
    )
    for reply, row in zip(replies[:2], got[:2], strict=True):
        m = row["m"]
        for block, metrics in reply["ranges"].items():
            for metric, (low, high) in metrics.items():
                assert m[block][f"{metric}_low"] == pytest.approx(low, rel=1e-12)
                assert m[block][f"{metric}_high"] == pytest.approx(high, rel=1e-12)
        assert m["confidence_tier"] == reply["confidence"]["tier"]
        assert m["confidence_reasons"] == reply["confidence"]["reasons"]
    assert [r["m"]["confidence_tier"] for r in got] == ["calibrated", "assumed", None]
    assert got[2]["m"]["total_impact"]["usage_energy_wh_low"] is None


# --- the examples ------------------------------------------------------------------------------

NOW = datetime.now(UTC).replace(microsecond=0)
SPEND_LOGS = [
    # request_id, hours ago, model, provider, prompt, completion, team, project alias, status
    ("r1", 1, "gpt-4o", "openai", 1000, 200, "t1", "search", "success"),
    ("r2", 2, "gpt-4o", "openai", 500, 100, "t1", "search", "success"),
    ("r3", 3, "gpt-4o", "azure", 100, 50, "t2", None, "success"),
    ("r4", 4, "not-a-model", "openai", 10, 10, None, None, "success"),
    ("r5", 5, "gpt-4o", "openai", 999, 999, "t1", "search", "failure"),
    ("r6", 24 * 40, "gpt-4o", "openai", 1, 1, "t1", "search", "success"),  # out of 30 days
]


def _create_spend_logs(bq: emulator.Emulator, rows: list[tuple]) -> None:
    table = f"`{P}.logs.spend_logs`"
    bq.run(
        f"CREATE OR REPLACE TABLE {table} (request_id STRING, call_type STRING, "
        "startTime TIMESTAMP, endTime TIMESTAMP, model STRING, custom_llm_provider STRING, "
        "prompt_tokens INT64, completion_tokens INT64, total_tokens INT64, spend FLOAT64, "
        "team_id STRING, status STRING, metadata JSON)"
    )
    _append_spend_logs(bq, rows)


def _append_spend_logs(bq: emulator.Emulator, rows: list[tuple]) -> None:
    values = []
    for rid, hours, model, provider, prompt, completion, team, alias, status in rows:
        start = (NOW - timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M:%S+00")
        metadata = orjson.dumps({"user_api_key_project_alias": alias}).decode()
        values.append(
            f"('{rid}', 'acompletion', TIMESTAMP '{start}', TIMESTAMP '{start}', '{model}', "
            f"'{provider}', {prompt}, {completion}, {prompt + completion}, 0.01, "
            f"{'NULL' if team is None else repr(team)}, '{status}', PARSE_JSON('{metadata}'))"
        )
    bq.run(f"INSERT INTO `{P}.logs.spend_logs` VALUES {', '.join(values)}")


def test_litellm_daily_emissions_by_model_and_project(bq: emulator.Emulator) -> None:
    _create_spend_logs(bq, SPEND_LOGS)
    got = bq.run(sql(SQL_DIR / "examples" / "litellm_daily_emissions.sql"))
    expected: dict[tuple, dict] = {}
    for _, hours, model, _, prompt, completion, team, alias, status in SPEND_LOGS:
        if status != "success" or hours > 24 * 30:
            continue
        day = (NOW - timedelta(hours=hours)).date()
        group = expected.setdefault(
            (day, model, alias or team or "unassigned"),
            {"requests": 0, "requests_not_estimated": 0, "energy_kwh": 0.0, "water_l": 0.0},
        )
        group["requests"] += 1
        if model == "not-a-model":
            group["requests_not_estimated"] += 1
            continue
        total = stub_impacts(prompt, completion)["total_impact"]
        group["energy_kwh"] += total["usage_energy_wh"] / 1000
        group["water_l"] += (total["usage_water_ml"] + total["embodied_water_ml"]) / 1000
    assert {(r["day"], r["model"], r["project"]) for r in got} == set(expected)
    for row in got:
        want = expected[(row["day"], row["model"], row["project"])]
        for key, value in want.items():
            assert row[key] == pytest.approx(value), key


def test_otel_spans_example(bq: emulator.Emulator) -> None:
    spans = [
        ("s1", {"gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "openai",
                "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10}),
        ("s2", {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 50,
                "gen_ai.usage.output_tokens": 5}),
        ("s3", {"gen_ai.request.model": "not-a-model", "gen_ai.usage.output_tokens": 1}),
        ("s4", {"http.route": "/health"}),  # not a GenAI span
    ]  # fmt: skip
    bq.run(
        f"CREATE OR REPLACE TABLE `{P}.logs.spans` (span_id STRING, trace_id STRING, "
        "name STRING, start_time TIMESTAMP, attributes JSON)"
    )
    start = NOW.strftime("%Y-%m-%d %H:%M:%S+00")
    values = ", ".join(
        f"('{sid}', 't', 'chat', TIMESTAMP '{start}', PARSE_JSON('{orjson.dumps(a).decode()}'))"
        for sid, a in spans
    )
    bq.run(f"INSERT INTO `{P}.logs.spans` VALUES {values}")
    got = {r["model"]: r for r in bq.run(sql(SQL_DIR / "examples" / "otel_genai_spans.sql"))}
    assert set(got) == {"gpt-4o", "not-a-model"}
    energy = sum(
        stub_impacts(i, o)["total_impact"]["usage_energy_wh"] for i, o in [(100, 10), (50, 5)]
    )
    assert got["gpt-4o"]["spans"] == 2 and got["gpt-4o"]["energy_wh"] == pytest.approx(energy)
    assert got["not-a-model"]["spans_not_estimated"] == 1
    assert got["not-a-model"]["an_error_code"] == "unknown_model"


def _scheduled_run(bq: emulator.Emulator, run_time: datetime) -> None:
    """One run of the scheduled query, @run_time passed as BigQuery's scheduler passes it. The
    emulator gives no parameters to multi-statement scripts, so the two statements of the file
    (separated by a blank line after ';') run one after the other."""
    create, insert = sql(SQL_DIR / "examples" / "scheduled_append.sql").split(";\n\n")
    bq.run(create)
    bq.run(insert, [bigquery.ScalarQueryParameter("run_time", "TIMESTAMP", run_time)])


def test_scheduled_query_appends_each_request_once(bq: emulator.Emulator) -> None:
    _create_spend_logs(bq, SPEND_LOGS)
    table = VALUES["impacts_table"]
    bq.run(f"DROP TABLE IF EXISTS `{table}`")
    _scheduled_run(bq, NOW)
    first = {r["request_id"] for r in bq.run(f"SELECT request_id FROM `{table}`")}
    assert first == {"r1", "r2", "r3", "r4"}  # the 2-day look-back, successful requests
    _scheduled_run(bq, NOW)  # a retried run adds nothing
    _append_spend_logs(bq, [("r7", 0, "gpt-4o", "openai", 10, 10, "t1", "search", "success")])
    _scheduled_run(bq, NOW + timedelta(hours=1))
    ids = [r["request_id"] for r in bq.run(f"SELECT request_id FROM `{table}`")]
    assert sorted(ids) == ["r1", "r2", "r3", "r4", "r7"]
    (row,) = bq.run(f"SELECT reply, provider, project FROM `{table}` WHERE request_id = 'r1'")
    assert row["provider"] == "openai" and row["project"] == "search"
    assert row["reply"]["total_impact"] == pytest.approx(stub_impacts(1000, 200)["total_impact"])


def test_dashboard_view_sums_the_stored_replies(bq: emulator.Emulator) -> None:
    _create_spend_logs(bq, SPEND_LOGS)
    bq.run(f"DROP TABLE IF EXISTS `{VALUES['impacts_table']}`")
    _scheduled_run(bq, NOW)
    bq.run(sql(SQL_DIR / "examples" / "dashboard_view.sql"))
    got = bq.run(
        f"SELECT SUM(requests) AS requests, SUM(requests_not_estimated) AS failed, "
        f"SUM(energy_kwh) AS kwh, SUM(input_tokens) AS tokens FROM `{P}.{D}.ai_impact_daily`"
    )
    logged = [r for r in SPEND_LOGS if r[1] <= 48 and r[8] == "success"]
    kwh = sum(
        stub_impacts(r[4], r[5])["total_impact"]["usage_energy_wh"] / 1000
        for r in logged
        if r[2] != "not-a-model"
    )
    assert got == [
        {
            "requests": len(logged),
            "failed": 1,
            "kwh": pytest.approx(kwh),
            "tokens": sum(r[4] for r in logged),
        }
    ]


def test_hourly_intensity_emissions_joins_each_request_to_its_hour(bq: emulator.Emulator) -> None:
    logs = [
        *SPEND_LOGS,
        ("r8", 6, "gpt-4o", "azure", 300, 30, "t2", None, "success"),
        ("r9", 7, "claude-3-5-sonnet", "anthropic", 200, 20, "t2", None, "success"),  # no zone
    ]
    _create_spend_logs(bq, logs)
    zones = {"openai": "US-MIDA-PJM", "azure": "US-MIDA-PJM"}  # the example's mapping
    table = VALUES["hourly_intensity"]
    bq.run(
        f"CREATE OR REPLACE TABLE `{table}` (zone STRING, hour TIMESTAMP, gco2e_per_kwh FLOAT64)"
    )
    # An hourly value for r1's and r8's hours, none for the other requests' hours.
    hourly = {}
    for rid, zone, gco2e_per_kwh in [("r1", "US-MIDA-PJM", 410.0), ("r8", "US-MIDA-PJM", 95.5)]:
        (hours,) = [r[1] for r in logs if r[0] == rid]
        hour = (NOW - timedelta(hours=hours)).replace(minute=0, second=0)
        hourly[(zone, hour)] = gco2e_per_kwh
    hourly[("US-CENT-SWPP", NOW.replace(minute=0, second=0))] = 999.0  # no request there
    values = ", ".join(
        f"('{z}', TIMESTAMP '{h.strftime('%Y-%m-%d %H:%M:%S+00')}', {v!r})"
        for (z, h), v in hourly.items()
    )
    bq.run(f"INSERT INTO `{table}` VALUES {values}")
    got = bq.run(sql(SQL_DIR / "examples" / "hourly_intensity_emissions.sql"))
    expected = []
    for rid, hours, model, provider, prompt, completion, *_ in logs:
        if hours > 24 * 30 or model == "not-a-model":  # out of the window, or an error reply
            continue
        hour = (NOW - timedelta(hours=hours)).replace(minute=0, second=0)
        inference = stub_impacts(prompt, completion)["inference_impact"]
        zone = zones.get(provider)
        intensity = hourly.get((zone, hour))
        emissions = inference["usage_emissions_gco2e"]
        if intensity is not None:
            emissions = inference["usage_energy_wh"] * intensity / 1000
        expected.append(
            {
                "request_id": rid,
                "hour": hour,
                "zone": zone,
                "energy_wh": pytest.approx(inference["usage_energy_wh"]),
                "yearly_emissions_gco2e": pytest.approx(inference["usage_emissions_gco2e"]),
                "hourly_gco2e_per_kwh": intensity,
                "usage_emissions_gco2e": pytest.approx(emissions),
                "hourly_matched": intensity is not None,
            }
        )
    expected.sort(key=lambda r: (r["hour"], r["request_id"]))
    assert got == expected
    assert sum(r["hourly_matched"] for r in got) == 2


def test_energy_by_confidence_tier_shares_the_estimated_energy(bq: emulator.Emulator) -> None:
    logs = [
        # calibrated: inference energy ranges of widths 2, 3 and 4 (median 3)
        ("c1", 1, "llama_31_8b", "openai", 1000, 400, "t1", None, "success"),
        ("c2", 2, "llama_31_8b", "openai", 2000, 300, "t1", None, "success"),
        ("c3", 3, "llama_31_8b", "openai", 3000, 900, "t1", None, "success"),
        ("a1", 4, "gpt-4o", "openai", 500, 2000, "t1", None, "success"),
        ("e1", 5, "mistral-large", "mistral", 100, 50, "t1", None, "success"),
        ("x1", 6, "not-a-model", "openai", 10, 10, "t1", None, "success"),  # an error reply
        ("x2", 7, "gpt-4o", "openai", 999, 999, "t1", None, "failure"),  # a failed request
        ("x3", 24 * 40, "gpt-4o", "openai", 1, 1, "t1", None, "success"),  # out of 30 days
    ]
    _create_spend_logs(bq, logs)
    text = sql(SQL_DIR / "examples" / "energy_by_confidence_tier.sql")
    median = "), 2\n  )[OFFSET(1)] AS median_width_high_over_low"
    assert text.count(median) == 1
    # The emulator's off-by-one (test_emulator_subscripts_approx_quantiles_one_too_far).
    got = bq.run(text.replace(median, median.replace("OFFSET(1)", "OFFSET(0)")))
    by_tier: dict[str, list[tuple[float, float]]] = {}
    for rid, _, model, _, prompt, completion, *_ in logs:
        if rid.startswith("x"):
            continue
        energy_wh = stub_impacts(prompt, completion)["total_impact"]["usage_energy_wh"]
        width = 1 + prompt / 1000
        by_tier.setdefault(TIERS.get(model, "extrapolated"), []).append((energy_wh, width))
    total_wh = sum(e for rows in by_tier.values() for e, _ in rows)
    expected = [
        {
            "tier": tier,
            "requests": len(rows),
            "energy_kwh": pytest.approx(sum(e for e, _ in rows) / 1000),
            "energy_share": pytest.approx(sum(e for e, _ in rows) / total_wh),
            "median_width_high_over_low": sorted(w for _, w in rows)[len(rows) // 2],
        }
        for tier, rows in sorted(by_tier.items(), key=lambda t: -sum(e for e, _ in t[1]))
    ]
    assert got == expected
    assert [r["median_width_high_over_low"] for r in got if r["tier"] == "calibrated"] == [3.0]


def test_emulator_subscripts_approx_quantiles_one_too_far(bq: emulator.Emulator) -> None:
    """bqemulator 1.4.0 reads ``APPROX_QUANTILES(x, n)[OFFSET(i)]`` as element i + 1 (the
    array itself is right): GoogleSQL's median idiom, ``[OFFSET(1)]`` of 2 quantiles, gives the
    maximum. The confidence-tier example is run with ``[OFFSET(0)]`` for it; when this fails,
    the emulator is fixed and that rewrite must go."""
    (row,) = bq.run(
        "SELECT APPROX_QUANTILES(x, 2) AS q, APPROX_QUANTILES(x, 2)[OFFSET(1)] AS median "
        "FROM UNNEST([2.0, 3.0, 4.0]) AS x"
    )
    assert row == {"q": [2.0, 3.0, 4.0], "median": 4.0}
