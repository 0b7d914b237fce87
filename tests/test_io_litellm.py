"""The LiteLLM callback, on real LiteLLM calls answered by ``mock_response`` (no network)."""

from __future__ import annotations

import asyncio
import os

# LiteLLM fetches its price map from the internet on import unless told to use its own copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm
import pytest
from litellm.integrations.custom_logger import CustomLogger

import ai_impact
from ai_impact.io.litellm_logger import ImpactLogger
from ai_impact.io.presets import PRESETS, Mapper


class Recorder(CustomLogger):
    """A logger after ours: what it is handed is what every integration would log."""

    def __init__(self) -> None:
        super().__init__()
        self.payloads: list[dict] = []

    def log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.payloads.append(kwargs["standard_logging_object"])

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        self.payloads.append(kwargs["standard_logging_object"])


# LiteLLM copies litellm.callbacks into its own lists at the first call and keeps them:
# register one pair of loggers for the whole module, and empty the recorder per test.
_RECORDER = Recorder()


@pytest.fixture(scope="module")
def registered():
    saved = list(litellm.callbacks)
    litellm.callbacks = [ImpactLogger(), _RECORDER]
    yield _RECORDER
    litellm.callbacks = saved


@pytest.fixture
def loggers(registered):
    registered.payloads.clear()
    return registered


def _wait_for(recorder: Recorder, count: int) -> None:
    # Sync success callbacks run on LiteLLM's executor thread: wait for them (bounded).
    import time

    deadline = time.monotonic() + 20
    while len(recorder.payloads) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def _mock_call(model: str) -> None:
    """One completion, answered by LiteLLM's mock_response (no network)."""
    litellm.completion(
        model=model,
        messages=[{"role": "user", "content": "x"}],
        mock_response="y",
        api_key="sk-not-used",
    )


def _expected(payload: dict) -> dict:
    return ai_impact.estimate(
        [
            {
                "model_id": payload["model"],
                "managed_service_id": payload["custom_llm_provider"],
                "input_tokens": payload["prompt_tokens"],
                "output_tokens": payload["completion_tokens"],
                "utc_datetime": Mapper(PRESETS["litellm"]).rows([payload])[0]["utc_datetime"],
            }
        ]
    )[0]


def test_completion_metadata_carries_the_impacts(loggers):
    response = litellm.completion(
        model="openai/gpt-4o",
        messages=[{"role": "user", "content": "How much energy did this use?"}],
        mock_response="About a third of a watt-hour, as an estimate.",
        api_key="sk-not-used",
    )
    assert response.usage.completion_tokens > 0
    _wait_for(loggers, 1)
    payload = loggers.payloads[0]
    impact = payload["metadata"]["ai_impact"]
    assert impact["error"] is None
    assert impact["total_impact"]["usage_energy_wh"] > 0
    assert payload["model"] == "gpt-4o" and payload["custom_llm_provider"] == "openai"
    assert impact["total_impact"] == _expected(payload)["total_impact"]


def test_async_completion_too(loggers):
    async def call():
        await litellm.acompletion(
            model="anthropic/claude-3-5-sonnet-20241022",
            messages=[{"role": "user", "content": "hello"}],
            mock_response="hi",
            api_key="sk-not-used",
        )
        for _ in range(400):  # the async loggers run as tasks of this loop: let them (bounded)
            if loggers.payloads:
                break
            await asyncio.sleep(0.05)

    asyncio.run(call())
    impact = loggers.payloads[0]["metadata"]["ai_impact"]
    assert impact["error"] is None and impact["inference_impact"]["usage_emissions_gco2e"] > 0


def test_an_unknown_model_is_logged_as_an_error_not_raised(loggers):
    _mock_call("openai/my-private-finetune")
    _wait_for(loggers, 1)
    impact = loggers.payloads[0]["metadata"]["ai_impact"]
    assert impact["error"]["code"] == "unknown_model"


def test_a_cache_hit_is_logged_with_no_impact(loggers):
    """A call LiteLLM answers from its cache did no model work: zero impacts and the reason,
    not a second inference. The payload is a real call's, marked as LiteLLM marks a hit
    (``cache_hit`` True; its cache path needs the proxy's FastAPI, not installed here)."""
    import copy

    _mock_call("openai/gpt-4o")
    _wait_for(loggers, 1)
    miss = loggers.payloads[0]
    hit = copy.deepcopy(miss)
    hit["cache_hit"] = True
    hit["metadata"].pop("ai_impact")
    kwargs, _ = ImpactLogger().logging_hook({"standard_logging_object": hit}, None, "completion")
    impact = kwargs["standard_logging_object"]["metadata"]["ai_impact"]
    assert miss["metadata"]["ai_impact"]["total_impact"]["usage_energy_wh"] > 0
    assert "not_estimated" not in miss["metadata"]["ai_impact"]
    assert impact["not_estimated"] == "cache_hit" and impact["error"] is None
    assert impact["total_impact"]["usage_energy_wh"] == 0
