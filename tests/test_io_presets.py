"""Log-format presets: each one on its sample file (docs/samples/), detection, --map.

The expected values are read off the sample files by hand (the independent truth here); the
impacts of a mapped row must equal those of the same request written as a Scope3 row.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import ai_impact
from ai_impact import io
from ai_impact.io.presets import MappingError

SAMPLES = Path(__file__).resolve().parents[1] / "docs" / "samples"
SAMPLE_OF = {
    "litellm": "litellm_spend_logs.csv",
    "otel": "otel_spans.jsonl",
    "langfuse": "langfuse_observations.json",
    "openai-usage": "openai_batch_output.jsonl",
    "scope3": "scope3_rows.csv",
}


def mapped(name: str, preset: str | None = None) -> tuple[str, list[dict]]:
    chunks = list(io.read_chunks(str(SAMPLES / name)))
    assert len(chunks) == 1
    chunk = chunks[0]
    detected = io.detect(chunk.columns, chunk.as_records())
    mapper = io.Mapper(io.PRESETS[preset or detected])
    return detected, mapper.rows(mapper.explode(chunk.as_records()))


@pytest.mark.parametrize("preset", list(SAMPLE_OF))
def test_each_sample_is_detected_as_its_format(preset):
    detected, rows = mapped(SAMPLE_OF[preset])
    assert detected == preset
    assert rows and all("model_id" in r for r in rows)


def test_otlp_lines_are_detected_and_split_into_spans():
    detected, rows = mapped("otel_otlp.jsonl")
    assert detected == "otel"
    assert [r["model_id"] for r in rows] == ["gpt-4o-mini-2024-07-18", "gpt-4o"]
    assert [r["input_tokens"] for r in rows] == ["300", "1500"]  # OTLP sends int64 as text
    assert rows[0]["utc_datetime"] == "2025-03-03T11:06:40Z"  # 1741000000 s
    assert rows[0]["managed_service_id"] == "openai"


def test_litellm_reads_model_not_its_deployment_model_id():
    _, rows = mapped("litellm_spend_logs.csv")
    first = rows[0]
    assert first["model_id"] == "gpt-4o"  # the sample's model_id column is a deployment hash
    assert first["managed_service_id"] == "openai"
    assert first["input_tokens"] == "1320"
    assert first["output_tokens"] == "526"
    assert first["input_cached_tokens"] == 1024  # from metadata.usage_object (JSON text)
    assert first["utc_datetime"] == "2025-03-03 09:12:04.118"
    assert rows[6]["output_reasoning_tokens"] == 3584
    assert rows[3]["managed_service_id"] == "bedrock"  # catalog alias of aws-bedrock


def test_otel_prefers_response_model_and_maps_provider_names():
    _, rows = mapped("otel_spans.jsonl")
    assert rows[0]["model_id"] == "gpt-4o-2024-08-06"
    assert rows[0]["utc_datetime"] == "2025-03-03T09:12:04.118230Z"
    assert rows[1]["input_cached_tokens"] == 2048
    assert rows[2]["managed_service_id"] == "google-vertex"  # gen_ai.system gcp.vertex_ai
    assert rows[3]["managed_service_id"] == "aws-bedrock"  # gen_ai.provider.name aws.bedrock
    assert "output_tokens" not in rows[4] or rows[4]["output_tokens"] is None


def test_langfuse_adds_cached_and_reasoning_tokens_back():
    _, rows = mapped("langfuse_observations.json")
    # usageDetails counts cached input and reasoning output apart from input/output.
    assert rows[0]["input_tokens"] == 296 + 1024
    assert rows[0]["input_cached_tokens"] == 1024
    assert rows[1]["input_tokens"] == 512 + 2048
    assert rows[3]["output_tokens"] == 456 + 3584
    assert rows[3]["output_reasoning_tokens"] == 3584
    assert rows[2]["utc_datetime"] == "2025-03-04T07:45:30.500Z"


def test_openai_batch_lines_chat_and_responses_api():
    _, rows = mapped("openai_batch_output.jsonl")
    assert rows[0]["model_id"] == "gpt-4o-mini-2024-07-18"
    assert (rows[0]["input_tokens"], rows[0]["output_tokens"]) == (1350, 212)
    assert rows[0]["input_cached_tokens"] == 1024
    assert rows[0]["managed_service_id"] == "openai"
    assert rows[0]["utc_datetime"] == "2025-03-03T11:06:40Z"
    assert rows[0]["request_id"] == "ticket-1041"
    assert rows[2]["output_reasoning_tokens"] == 1792
    assert (rows[3]["input_tokens"], rows[3]["output_tokens"]) == (2400, 350)  # Responses API
    assert rows[4].get("model_id") is None  # an expired request: answered with an error


def test_mapped_rows_estimate_like_the_same_scope3_rows():
    _, rows = mapped("openai_batch_output.jsonl")
    replies = ai_impact.estimate(rows)
    direct = ai_impact.estimate(
        [
            {
                "model_id": "gpt-4o-mini-2024-07-18",
                "managed_service_id": "openai",
                "input_tokens": 1350,
                "input_cached_tokens": 1024,
                "output_tokens": 212,
                "output_reasoning_tokens": 0,
                "utc_datetime": "2025-03-03T11:06:40Z",
            }
        ]
    )
    assert replies[0]["total_impact"] == direct[0]["total_impact"]
    assert replies[0]["error"] is None
    assert replies[4]["error"]["code"] == "missing_field"


def test_map_overrides_and_errors():
    records = [{"llm": "gpt-4o", "in": 10, "out": {"n": 20}, "vendor": "openai"}]
    mapper = io.Mapper(
        None, io.parse_map(["llm=model_id", "in=input_tokens", "out.n=output_tokens"])
    )
    mapper.check(["llm", "in", "out"])
    assert mapper.rows(records) == [{"model_id": "gpt-4o", "input_tokens": 10, "output_tokens": 20}]
    with pytest.raises(MappingError, match="not a request field"):
        io.parse_map(["llm=modelid"])
    with pytest.raises(MappingError, match="COLUMN=FIELD"):
        io.parse_map(["llm"])
    with pytest.raises(MappingError, match="does not have"):
        io.Mapper(None, io.parse_map(["nope=model_id"])).check(["llm"])
    with pytest.raises(MappingError, match="no model column"):
        io.Mapper(io.PRESETS["litellm"]).check(["gen_ai.request.model"])


# A LiteLLM spend-log record (LiteLLM_SpendLogs columns).
SPEND_LOG = {
    "model": "gpt-4o",
    "custom_llm_provider": "openai",
    "prompt_tokens": 100,
    "completion_tokens": 50,
    "spend": 0.001,
    "call_type": "completion",
}


def test_estimate_records_from_python():
    replies = io.estimate_records([{**SPEND_LOG, "model_id": "deployment-hash"}])
    assert replies[0]["error"] is None
    assert replies[0]["total_impact"]["usage_energy_wh"] > 0


def test_estimate_records_answers_rows_of_no_inference_as_run_does():
    records = [{**SPEND_LOG, "cache_hit": c} for c in ("False", "True")]
    estimated, hit = io.estimate_records(records, "litellm", ranges=True)
    assert estimated["total_impact"]["usage_energy_wh"] > 0 and "not_estimated" not in estimated
    assert hit["error"] is None and hit["not_estimated"] == "cache_hit"
    assert hit["total_impact"]["usage_energy_wh"] == 0 and hit["confidence"] is None
