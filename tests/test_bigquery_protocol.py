"""The BigQuery protocol in-process: any bytes get a 200 with one reply per call, or a 400."""

from __future__ import annotations

import json
from collections.abc import Callable

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_impact
from ai_impact import bigquery
from test_estimate import JSON_VALUES


def estimate_for(project: str | None) -> Callable[..., list[dict]]:
    return ai_impact.estimate


CONTEXTS = st.none() | st.fixed_dictionaries(
    {},
    optional={
        "signature": st.sampled_from(["row", "scope3", "ROW", "other"]),
        "return_type": st.sampled_from(["json", "string", "xml"]),
        "debug": st.sampled_from(["true", "false", "1"]),
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.binary(max_size=64)
    | st.builds(
        lambda calls, context: json.dumps(
            {"requestId": "r", "caller": "c", "calls": calls, "userDefinedContext": context}
        ).encode(),
        st.lists(st.lists(JSON_VALUES, max_size=22) | JSON_VALUES, max_size=5),
        CONTEXTS,
    )
)
def test_any_request_is_answered(body: bytes) -> None:
    outcome = bigquery.handle(body, estimate_for)
    assert outcome.status in (200, 400)
    answer = orjson.loads(outcome.body)
    if outcome.status == 400:
        assert len(outcome.body) < 1024 and isinstance(answer["errorMessage"], str)
        return
    calls = orjson.loads(body)["calls"]
    assert len(answer["replies"]) == len(calls)


def test_a_reply_over_the_limit_is_a_400_that_says_what_to_lower(monkeypatch) -> None:
    """The reply is measured as encoded: one byte over the limit is refused (BigQuery would
    fail the query on it), exactly at the limit it is sent."""
    row = {"model_id": "gpt-4o", "managed_service_id": "openai", "output_tokens": 100}
    body = orjson.dumps({"requestId": "r", "calls": [[row]] * 20})
    sent = bigquery.handle(body, estimate_for)
    assert sent.status == 200
    monkeypatch.setattr(bigquery, "MAX_REPLY_BYTES", len(sent.body))
    assert bigquery.handle(body, estimate_for).body == sent.body
    monkeypatch.setattr(bigquery, "MAX_REPLY_BYTES", len(sent.body) - 1)
    refused = bigquery.handle(body, estimate_for)
    assert refused.status == 400 and refused.rows == 20
    message = orjson.loads(refused.body)["errorMessage"]
    assert f"would be {len(sent.body):,} bytes" in message
    assert f"limit of {len(sent.body) - 1:,} bytes" in message
    assert "max_batching_rows" in message
    assert "at most 19 rows fit" in message  # 20 rows of the measured size, less one byte
