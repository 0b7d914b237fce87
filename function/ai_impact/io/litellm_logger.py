"""A LiteLLM callback that adds each call's estimated impacts to its logged metadata.

    pip install 'ai-impact[litellm]'

    import litellm
    from ai_impact.io.litellm_logger import ImpactLogger

    litellm.callbacks = [ImpactLogger()]          # first, so later loggers see the impacts

Every successful call then carries ``metadata["ai_impact"]`` (a Scope3 ``ModeledRow``:
``inference_impact``, ``training_impact``, ``fine_tuning_impact``, ``total_impact``, ``error``)
in the metadata LiteLLM hands to the callbacks after it (the ``standard_logging_object``, and the
request's ``litellm_params.metadata``), hence in Langfuse, spend logs and the other integrations.

It runs in LiteLLM's ``logging_hook`` (the step made for changing what is logged, before the
loggers are called). The row is read from LiteLLM's ``standard_logging_object`` with the
``litellm`` preset of ``ai_impact.io`` (the same fields as the spend logs: ``model``,
``custom_llm_provider``, ``prompt_tokens``, ``completion_tokens``, ``startTime``,
``metadata.usage_object``; ``ai_impact.io.estimate_records``): a cache hit, which did no model
work, is logged with zero impacts and ``not_estimated: "cache_hit"``. An estimate that fails is
logged as the row's ``error``; the callback never fails the call.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from ai_impact.io import estimate_records

METADATA_KEY = "ai_impact"
_log = logging.getLogger(__name__)


class ImpactLogger(CustomLogger):
    """Adds ``ai_impact`` (the call's estimated impacts) to the logged metadata of each call."""

    def __init__(self, key: str = METADATA_KEY, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = key

    def impact(self, kwargs: Mapping) -> dict | None:
        """The ModeledRow of one call, from LiteLLM's logging kwargs (None if not a model call)."""
        payload = kwargs.get("standard_logging_object")
        if not isinstance(payload, Mapping) or not payload.get("model"):
            return None
        return estimate_records([payload], "litellm")[0]

    def _annotate(self, kwargs: dict) -> None:
        try:
            reply = self.impact(kwargs)
        except Exception:  # a logging hook must never break the call it logs
            _log.exception("ai-impact: estimate failed")
            return
        if reply is None:
            return
        payload = kwargs.get("standard_logging_object")
        if isinstance(payload, dict):
            if not isinstance(payload.get("metadata"), dict):
                payload["metadata"] = {}
            payload["metadata"][self.key] = reply
        params = kwargs.get("litellm_params")
        if isinstance(params, dict):
            if not isinstance(params.get("metadata"), dict):
                params["metadata"] = {}
            params["metadata"][self.key] = reply

    def logging_hook(self, kwargs: dict, result: object, call_type: str) -> tuple[dict, object]:
        self._annotate(kwargs)
        return kwargs, result

    async def async_logging_hook(
        self, kwargs: dict, result: object, call_type: str
    ) -> tuple[dict, object]:
        self._annotate(kwargs)
        return kwargs, result
