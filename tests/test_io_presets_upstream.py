"""Presets on exports shaped as the upstream projects write them (docs/samples/, built from
their source; the fields and the rules each row exercises are cited here).

- LiteLLM: ``schema.prisma`` ``LiteLLM_SpendLogs``; ``litellm/proxy/spend_tracking/
  spend_tracking_utils.py`` ``get_logging_payload`` (``model`` is the router's deployment name,
  ``model_group`` the public name, ``metadata.model_map_information.model_map_key`` the
  pricing key, ``cache_hit`` the text "True"/"False"/"None", ``metadata.additional_usage_values``
  the provider's extra usage on exports without ``usage_object``).
- OpenTelemetry: semantic-conventions ``docs/gen-ai/gen-ai-spans.md``, ``gen-ai-agent-spans.md``
  (``invoke_agent`` spans carry the usage of their model calls), ``anthropic.md`` (input
  tokens SHOULD include cached ones), registry ``gen-ai.md``; traceloop/openllmetry
  ``semconv_ai`` (``gen_ai.usage.cache_read_input_tokens``, ``..._reasoning_tokens``).
- Langfuse: langfuse-python ``langfuse/langchain/CallbackHandler.py`` ``_parse_usage_model``
  (detail counts subtracted from input/output), langfuse ``packages/shared/src/server/
  ingestion/types.ts`` ``OpenAICompletionUsageSchema``, ``fern/apis/server/definition/
  observations-v2.yml`` (v2 API: ``providedModelName``, usage counts as text).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

import ai_impact
from ai_impact import io

SAMPLES = Path(__file__).resolve().parents[1] / "docs" / "samples"


def mapped(name: str, preset: str | None = None) -> list[dict]:
    (chunk,) = list(io.read_chunks(str(SAMPLES / name)))
    mapper = io.Mapper(io.PRESETS[preset or io.detect(chunk.columns, chunk.as_records())])
    return mapper.rows(mapper.explode(chunk.as_records()))


def test_litellm_deployment_name_falls_back_to_the_pricing_key_then_the_model_group():
    rows = mapped("litellm_cache_hit_and_map_key.json", "litellm")
    # model "azure/prod-gpt4o-eastus2" is a deployment; model_map_key names the model.
    assert rows[0]["model_id"] == "azure/gpt-4o-2024-08-06"
    rows = mapped("litellm_spend_logs_api.json", "litellm")
    assert rows[0]["model_id"] == "gpt-4o"  # no pricing key: model_group
    # A model the catalog knows stays as given (its provider prefix is read by the catalog).
    assert rows[1]["model_id"] == "bedrock/us.anthropic.claude-3-7-sonnet-20250219-v1:0"


def test_litellm_model_fallback_is_not_applied_over_a_map_override():
    records = [{"model": "azure/prod-gpt4o-eastus2", "model_group": "gpt-4o"}]
    mapper = io.Mapper(io.PRESETS["litellm"], io.parse_map(["model=model_id"]))
    assert mapper.rows(records)[0]["model_id"] == "azure/prod-gpt4o-eastus2"


def test_litellm_reads_cache_and_reasoning_from_additional_usage_values():
    rows = mapped("litellm_spend_logs_api.json", "litellm")
    assert rows[1]["input_cached_tokens"] == 2048  # usage_object is null on this row
    assert rows[1]["output_reasoning_tokens"] == 120


def test_otel_reads_openllmetry_names_and_adds_a_cache_left_out_of_input():
    rows = mapped("otel_otlp_agent.jsonl", "otel")
    anthropic_openllmetry, anthropic_semconv, o3, azure = rows[5:9]
    # prompt 12 + cache read 2048 + cache write 300: Anthropic counts leave the cache out.
    assert anthropic_openllmetry["input_tokens"] == 2360
    assert anthropic_openllmetry["input_cached_tokens"] == "2048"
    assert anthropic_semconv["input_tokens"] == 12 + 2048
    assert o3["output_reasoning_tokens"] == "3584"  # gen_ai.usage.reasoning_tokens
    assert o3["input_tokens"] == "1200"  # cache not above input: as given
    assert azure["managed_service_id"] == "azure-openai"  # az.ai.inference at *.openai.azure.com


def test_otel_az_ai_inference_elsewhere_stays_azure_ml():
    records = [
        {
            "gen_ai.system": "az.ai.inference",
            "gen_ai.request.model": "Phi-4",
            "server.address": "my.services.ai.azure.com",
        }
    ]
    assert io.Mapper(io.PRESETS["otel"]).rows(records)[0]["managed_service_id"] == "azure-ml"


@pytest.mark.parametrize("name", ["langfuse_api_page.json", "langfuse_observations_v2.jsonl"])
def test_langfuse_adds_every_detail_count_back(name):
    rows = mapped(name)  # detected: a saved API page is unwrapped by the reader
    langchain, reasoning, predicted, vertex = rows[:4]
    assert langchain["model_id"] == "gpt-4o-2024-08-06"
    assert langchain["input_tokens"] == 296 + 1024  # input + input_cache_read
    assert int(langchain["input_cached_tokens"]) == 1024
    assert reasoning["output_tokens"] == 456 + 3584  # output + output_reasoning
    assert predicted["output_tokens"] == 50 + 350 + 120  # + accepted and rejected predictions
    # Vertex: input/output 0, the counts are per modality; cached_modality is part of input.
    assert (vertex["input_tokens"], vertex["output_tokens"]) == (900, 200)
    assert vertex["input_cached_tokens"] == 600


def test_a_saved_api_page_is_read_as_its_data_records(tmp_path):
    (chunk,) = list(io.read_chunks(str(SAMPLES / "langfuse_api_page.json")))
    assert len(chunk) == 6 and "meta" not in chunk.columns
    # JSON lines whose first record starts with a "data" member stay JSON lines.
    lines = tmp_path / "records.jsonl"
    lines.write_text('{"data": [1], "model_id": "a"}\n{"data": [2], "model_id": "b"}\n')
    (chunk,) = list(io.read_chunks(str(lines)))
    assert [r["model_id"] for r in chunk.as_records()] == ["a", "b"]


def test_rules_give_the_same_columns_from_arrow():
    records = [
        {
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.cache_read.input_tokens": 2048,
            "gen_ai.request.model": "claude-sonnet-4-20250514",
            "gen_ai.provider.name": "anthropic",
        },
        {
            "gen_ai.usage.input_tokens": 900,
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.system": "az.ai.inference",
            "server.address": "r.openai.azure.com",
        },
    ]
    keys = dict.fromkeys(k for r in records for k in r)
    records = [{k: r.get(k) for k in keys} for r in records]  # (from_pylist reads row 0's keys)
    mapper = io.Mapper(io.PRESETS["otel"])
    batch = pa.RecordBatch.from_pylist(records)
    arrow = mapper.columns(None, batch, arrow=True)
    lists = mapper.columns(records)
    for name, values in lists.items():
        got = arrow[name]
        got = got if isinstance(got, list) else got.to_pylist()
        assert got == values, name
    assert lists["input_tokens"] == [2060, 900]


def estimated(tmp_path: Path, name: str, **options) -> tuple[list[dict], io.Summary]:
    out = tmp_path / "out.csv"
    summary = io.run([str(SAMPLES / name)], str(out), **options)
    with open(out, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f)), summary


BOTH_PATHS = [{}, {"estimate": ai_impact.estimate}]  # columnar, and rows by estimate()


@pytest.mark.parametrize("options", BOTH_PATHS)
def test_a_litellm_cache_hit_is_a_row_of_zero_impact_without_error(tmp_path, options):
    rows, summary = estimated(tmp_path, "litellm_spend_logs_api.json", **options)
    assert len(rows) == 7  # one output row per input row
    hit = rows[2]
    assert hit["request_id"] == "chatcmpl-A1_cache_hit1741000000.123"
    assert hit["not_estimated"] == "cache_hit" and hit["error_code"] == ""
    assert all(float(hit[c]) == 0 for c in io.impact_column_names() if c.endswith("_wh"))
    assert float(rows[0]["total_usage_energy_wh"]) > 0  # the same call, not from the cache
    assert summary.not_estimated == {"cache_hit": 1} and summary.error_rows == 0
    assert "estimated 6   cache hits 1   errors 0" in summary.table()


@pytest.mark.parametrize("options", BOTH_PATHS)
def test_otel_agent_tool_and_http_spans_are_not_model_calls(tmp_path, options):
    rows, summary = estimated(tmp_path, "otel_otlp_agent.jsonl", **options)
    assert len(rows) == 10  # one row per span
    marked = [r["name"] for r in rows if r["not_estimated"] == "not_a_model_call"]
    assert marked == ["invoke_agent support", "execute_tool get_weather", "POST"]
    assert all(r["error_code"] == "" for r in rows)
    # The trace's energy is its two chat calls' alone: the agent span's usage sums theirs.
    calls = ai_impact.estimate(
        [
            {
                "model_id": "gpt-4o-2024-08-06",
                "managed_service_id": "openai",
                "input_tokens": 1500,
                "output_tokens": 300,
                "input_cached_tokens": 1024,
                "utc_datetime": "2025-03-03T11:06:40.100000Z",
            },
            {
                "model_id": "gpt-4o",
                "managed_service_id": "openai",
                "input_tokens": 1500,
                "output_tokens": 400,
                "utc_datetime": "2025-03-03T11:06:44.600000Z",
            },
        ]
    )
    trace = sum(float(r["total_usage_energy_wh"]) for r in rows[:5])
    assert trace == pytest.approx(sum(c["total_impact"]["usage_energy_wh"] for c in calls))
    assert summary.not_estimated == {"not_a_model_call": 3}
    assert "not model calls 3   errors 0" in summary.table()


def test_otel_span_without_operation_name_is_a_model_call_as_before():
    records = [
        {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 10},
        {"gen_ai.usage.input_tokens": 10},  # no model: estimate says missing_field
        {"gen_ai.operation.name": "embeddings", "gen_ai.request.model": "m"},
        {"gen_ai.operation.name": "create_agent"},
    ]
    rows = io.Mapper(io.PRESETS["otel"]).rows(records)
    assert [r["not_estimated"] for r in rows] == [None, None, None, "not_a_model_call"]


@pytest.mark.parametrize("options", BOTH_PATHS)
def test_langfuse_span_and_agent_observations_are_not_model_calls(tmp_path, options):
    rows, summary = estimated(tmp_path, "langfuse_api_page.json", **options)
    assert [r["not_estimated"] for r in rows] == ["", "", "", "", *["not_a_model_call"] * 2]
    assert summary.error_rows == 0 and summary.estimated_rows == 4
