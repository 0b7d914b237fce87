"""Log formats -> request rows: one preset per format, auto-detection, and ``--map`` overrides.

A preset says, for each field of the request row (``model_id``, ``input_tokens``, ...), which
columns of a log format may hold it, in order of preference: the first one with a value wins.
A column is a path into the record: ``("usage", "prompt_tokens")`` reads ``record["usage"]
["prompt_tokens"]``, or a flat column named ``"usage.prompt_tokens"`` when an export flattened it,
or JSON text in a ``usage`` column (CSV exports of nested fields).

Field names of each format, as their own documentation defines them:

- ``litellm``: LiteLLM proxy spend logs (table ``LiteLLM_SpendLogs`` of ``litellm/proxy/
  schema.prisma``; ``/spend/logs`` export): ``model``, ``custom_llm_provider``,
  ``prompt_tokens``, ``completion_tokens``, ``startTime``; cache reads in
  ``metadata.usage_object.prompt_tokens_details.cached_tokens`` (or ``cache_read_input_tokens``).
  LiteLLM's own ``model_id`` is the id of a proxy deployment, not a model name: never read.
  A ``model`` the catalog does not know (a router deployment name) falls back to
  ``metadata.model_map_information.model_map_key``, then ``model_group``; a ``cache_hit`` row
  is not estimated (``spend_tracking_utils.get_logging_payload``).
- ``otel``: OpenTelemetry semantic conventions for generative AI spans (gen-ai-spans.md):
  ``gen_ai.request.model`` / ``gen_ai.response.model``, ``gen_ai.provider.name`` (and its
  predecessor ``gen_ai.system``), ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``,
  ``gen_ai.usage.cache_read.input_tokens``, ``gen_ai.usage.reasoning.output_tokens``, and the
  span's start time (``start_time`` of the Python SDK's JSON, ``startTimeUnixNano`` of OTLP/JSON);
  OpenLLMetry's underscore names too. Spans that are not model calls (``gen_ai.operation.name``
  ``invoke_agent``, ``execute_tool``, ...; HTTP spans) are not estimated.
- ``langfuse``: Langfuse observation exports (public API ``Observation`` / ``ObservationsView``):
  ``model``, ``startTime``, ``usageDetails`` (``input``, ``output``, ``input_cached_tokens``,
  ``output_reasoning_tokens``) or the older ``usage`` (``input``, ``output``) and
  ``promptTokens`` / ``completionTokens``. Langfuse's own ``modelId`` is its price-table id.
  Observations other than GENERATION and EMBEDDING are not estimated.
- ``openai-usage``: OpenAI response objects (Chat Completions ``usage.prompt_tokens``,
  ``usage.completion_tokens``, ``prompt_tokens_details.cached_tokens``,
  ``completion_tokens_details.reasoning_tokens``; Responses API ``usage.input_tokens``,
  ``input_tokens_details.cached_tokens``, ...), alone or inside Batch API output lines
  (``{"custom_id", "response": {"status_code", "body": {...}}, "error"}``).
- ``scope3``: Scope3 ``ImpactRow`` field names (and this project's extension fields) as is.

Rows of no inference get a reason in the ``NOT_ESTIMATED`` column (not a request field):
``pipeline`` gives them zero impacts and no error (docs/integrations.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from ai_impact.fields import ALL_FIELDS

# Extension fields the design names that older field tables may not list yet.
EXTENSION_FIELDS = frozenset(
    {
        "input_cached_tokens",
        "output_reasoning_tokens",
        "grid_emissions_factor_gco2e_per_kwh",
    }
)
KNOWN_FIELDS: frozenset[str] = ALL_FIELDS | EXTENSION_FIELDS

Path = tuple[str, ...]
Rule = Callable[[dict[str, list], dict[str, list]], None]  # (columns, aux) -> None, in place


class MappingError(ValueError):
    """A mapping that cannot work on this input (unknown field, absent column, no model)."""


def _utc_text(value: object) -> object:
    """A time as RFC 3339 UTC text: epoch s/ms/us/ns numbers, datetimes and text all accepted.

    Text is passed on as given (the parse layer checks it); numbers are read by magnitude:
    below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds
    (OTLP's ``startTimeUnixNano``, often a JSON string).
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return _utc_text(int(text))
        return text
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"
    if isinstance(value, dt.date):
        return value.isoformat() + "T00:00:00Z"
    if isinstance(value, int | float) and math.isfinite(value):
        seconds = float(value)
        for scale in (1.0, 1e3, 1e6, 1e9):
            if abs(seconds) < 1e11 * scale:
                seconds /= scale
                break
        try:
            stamp = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return str(value)
        return stamp.replace(tzinfo=None).isoformat() + "Z"
    return value


# OpenTelemetry ``gen_ai.provider.name`` well-known values -> catalog service ids (names that
# the catalog already knows, such as ``openai`` or ``anthropic``, pass through unchanged).
OTEL_PROVIDERS: dict[str, str] = {
    "aws.bedrock": "aws-bedrock",
    "azure.ai.openai": "azure-openai",
    "azure.ai.inference": "azure-ml",
    "gcp.vertex_ai": "google-vertex",
    "gcp.gemini": "google-gemini",
    "gcp.gen_ai": "google-gemini",
    "mistral_ai": "mistral",
    "x_ai": "xai",
    "az.ai.openai": "azure-openai",
    "az.ai.inference": "azure-ml",
    "vertex_ai": "google-vertex",
}


def _otel_provider(value: object) -> object:
    if isinstance(value, str):
        return OTEL_PROVIDERS.get(value.strip().lower(), value)
    return value


@dataclass(frozen=True)
class Preset:
    """How one log format names the request row's fields.

    ``fields`` maps a row field to the candidate paths holding it, best first. ``convert``
    holds per-field value conversions (times to RFC 3339, provider names to service ids).
    ``sums`` lists fields whose value is the sum of several paths (e.g. Langfuse reports cached
    input tokens apart from the others). ``defaults`` fills a field no column holds.
    """

    name: str
    title: str
    fields: Mapping[str, tuple[Path, ...]]
    convert: Mapping[str, Callable[[object], object]] = field(default_factory=dict)
    sums: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    defaults: Mapping[str, object] = field(default_factory=dict)
    flatten: Callable[[object], list] | None = None  # one input record -> several rows
    # Rules that need several columns of a row (a fallback model name, a count that excludes
    # the cache): each ``(fields, rule)`` rewrites those fields of the read columns in place,
    # ``rule(columns, aux)``, from them and from the ``aux`` columns (read for the rules, never
    # output). A rule whose fields ``--map`` overrides is not applied.
    aux: Mapping[str, tuple[Path, ...]] = field(default_factory=dict)
    rules: tuple[tuple[frozenset[str], Rule], ...] = ()


def _p(*paths: str) -> tuple[Path, ...]:
    """Dotted names -> paths; ``|`` separates the keys of a nested path (``usage|input``)."""
    return tuple(tuple(p.split("|")) for p in paths)


_OTEL_ATTRIBUTE_CONTAINERS = ("attributes", "Attributes", "span_attributes", "SpanAttributes")


def _otel_paths(*names: str) -> tuple[Path, ...]:
    """An attribute may be a flat column or sit in the span's attribute map."""
    paths: list[Path] = [(n,) for n in names]
    for container in _OTEL_ATTRIBUTE_CONTAINERS:
        paths.extend((container, n) for n in names)
    return tuple(paths)


def _otlp_spans(record: object) -> list:
    """An OTLP/JSON ``{"resourceSpans": [...]}`` line -> its spans (attributes as a dict)."""
    if not isinstance(record, Mapping) or "resourceSpans" not in record:
        return [_otlp_attributes(record)]
    spans: list[Any] = []
    for resource in record.get("resourceSpans") or []:
        for scope in (resource or {}).get("scopeSpans") or []:
            spans.extend(_otlp_attributes(span) for span in (scope or {}).get("spans") or [])
    return spans


def _otlp_value(value: object) -> object:
    if not isinstance(value, Mapping):
        return value
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            return value[key]
    return None


def _otlp_attributes(span: object) -> object:
    """OTLP/JSON lists attributes as ``[{"key", "value": {"intValue": ...}}]``: make a dict."""
    if isinstance(span, Mapping) and isinstance(span.get("attributes"), list):
        attributes = {
            a.get("key"): _otlp_value(a.get("value"))
            for a in span["attributes"]
            if isinstance(a, Mapping)
        }
        return {**span, "attributes": attributes}
    return span


# The column of rows that are not estimated, and why (zero impact, no error): a log line of no
# inference. Not a request field (``estimate`` ignores it); ``pipeline`` gives those rows
# zero impacts and writes the reason in the output column of this name.
NOT_ESTIMATED = "not_estimated"
CACHE_HIT = "cache_hit"
NOT_A_MODEL_CALL = "not_a_model_call"
# gen_ai.operation.name values of a model call (gen-ai-spans.md); invoke_agent, create_agent,
# execute_tool, ... are not: an agent span's usage sums its model calls' (gen-ai-agent-spans.md).
OTEL_MODEL_CALLS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
# Langfuse observation types of a model call; SPAN, EVENT, AGENT, TOOL, CHAIN, ... are not.
LANGFUSE_MODEL_CALLS = frozenset({"GENERATION", "EMBEDDING"})


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _litellm_cache_hit(columns: dict[str, list], aux: dict[str, list]) -> None:
    """LiteLLM writes ``cache_hit`` as the text "True"/"False"/"None" (a bool in some exports)
    and ``_cache_hit<time>`` into a cache hit's ``request_id``: the answer came from LiteLLM's
    cache, no model ran."""
    columns[NOT_ESTIMATED] = [
        CACHE_HIT
        if hit is True
        or (isinstance(hit, str) and hit.strip().lower() == "true")
        or (isinstance(request, str) and "_cache_hit" in request)
        else None
        for hit, request in zip(aux["cache_hit"], aux["request_id"], strict=True)
    ]


def _otel_model_call(columns: dict[str, list], aux: dict[str, list]) -> None:
    """A span is a model call when its ``gen_ai.operation.name`` is one, or when it has none
    and names a model, a provider or a token count (older instrumentations); other spans
    (``invoke_agent``, ``execute_tool``, HTTP spans of the same trace) are not estimated."""
    out: list[str | None] = []
    given_columns = [aux[f] for f in _CALL_FIELDS]
    for operation, *given in zip(aux["operation"], *given_columns, strict=True):
        name = _text(operation)
        call = name.lower() in OTEL_MODEL_CALLS if name else any(v is not None for v in given)
        out.append(None if call else NOT_A_MODEL_CALL)
    columns[NOT_ESTIMATED] = out


_CALL_FIELDS = ("model", "provider", "input", "output")  # aux columns of the otel preset


def _langfuse_model_call(columns: dict[str, list], aux: dict[str, list]) -> None:
    """Langfuse observations of ``type`` SPAN, EVENT, AGENT, TOOL, ... are not model calls."""
    columns[NOT_ESTIMATED] = [
        NOT_A_MODEL_CALL if (t := _text(kind)) and t.upper() not in LANGFUSE_MODEL_CALLS else None
        for kind in aux["type"]
    ]


def _known_first(*candidates: list) -> list:
    """Per row, the first candidate name the default catalog knows (exactly or by a spelling,
    as ``estimate`` resolves it, fallbacks aside), else the first one given (``estimate`` then
    answers it, by a fallback or with unknown_model). Resolved once per distinct tuple."""
    from ai_impact import catalog as _catalog
    from ai_impact.catalog.names import find_model

    cat = _catalog.default()
    known: dict[object, bool] = {}

    def choose(names: tuple) -> object:
        given = [n for n in names if isinstance(n, str) and n.strip()]
        for name in given:
            if name not in known:
                known[name] = find_model(cat, name, "exact") is not None
            if known[name]:
                return name
        return given[0] if given else names[0]

    chosen: dict[tuple, object] = {}
    out = []
    for names in zip(*candidates, strict=True):
        if names not in chosen:
            chosen[names] = choose(names)
        out.append(chosen[names])
    return out


def _litellm_model(columns: dict[str, list], aux: dict[str, list]) -> None:
    """LiteLLM's ``model`` is the router's deployment name (``azure/prod-gpt4o-eastus2``) when
    the proxy config names one: a row whose ``model`` the catalog does not know is read by
    LiteLLM's pricing key (``model_map_information.model_map_key``), then by ``model_group``
    (the public name the caller asked for)."""
    if "model_id" in columns:
        columns["model_id"] = _known_first(
            columns["model_id"], aux["model_map_key"], aux["model_group"]
        )


def _input_with_cache(columns: dict[str, list], aux: dict[str, list]) -> None:
    """GenAI conventions: ``input_tokens`` SHOULD include cached tokens; Anthropic's counts (and
    instrumentations that copy them) leave cache reads and writes out. A row whose cache reads
    exceed its input is read as such: input = input + cache reads + cache writes."""
    inputs, cached = columns.get("input_tokens"), columns.get("input_cached_tokens")
    if inputs is None or cached is None:
        return
    out = []
    for given, read, written in zip(inputs, cached, aux["cache_creation"], strict=True):
        a, c = _number(given), _number(read)
        if a is not None and c is not None and c > a:
            given = _sum([[a], [c], [written]])[0]
        out.append(given)
    columns["input_tokens"] = out


def _azure_openai_endpoint(columns: dict[str, list], aux: dict[str, list]) -> None:
    """``gen_ai.system`` ``az.ai.inference`` is the Azure AI Inference SDK, which also calls
    Azure OpenAI: a span whose ``server.address`` is ``*.openai.azure.com`` is Azure OpenAI."""
    services = columns.get("managed_service_id")
    if services is None:
        return
    columns["managed_service_id"] = [
        "azure-openai"
        if s == "azure-ml"
        and isinstance(host, str)
        and host.strip().lower().endswith(".openai.azure.com")
        else s
        for s, host in zip(services, aux["server_address"], strict=True)
    ]


PRESETS: dict[str, Preset] = {
    "litellm": Preset(
        name="litellm",
        title="LiteLLM proxy spend logs (LiteLLM_SpendLogs, /spend/logs)",
        fields={
            # `model` is what the caller asked for and LiteLLM priced; LiteLLM's `model_id` is a
            # deployment id and is deliberately absent here.
            "model_id": _p("model", "model_group"),
            "managed_service_id": _p("custom_llm_provider"),
            "input_tokens": _p("prompt_tokens"),
            "output_tokens": _p("completion_tokens"),
            # usage_object since 2025; additional_usage_values on older exports (the provider's
            # extra usage fields, spend_tracking_utils.get_logging_payload).
            "input_cached_tokens": _p(
                "metadata|usage_object|prompt_tokens_details|cached_tokens",
                "metadata|usage_object|cache_read_input_tokens",
                "metadata|additional_usage_values|prompt_tokens_details|cached_tokens",
                "metadata|additional_usage_values|cache_read_input_tokens",
                "cache_read_input_tokens",
            ),
            "output_reasoning_tokens": _p(
                "metadata|usage_object|completion_tokens_details|reasoning_tokens",
                "metadata|additional_usage_values|completion_tokens_details|reasoning_tokens",
            ),
            "utc_datetime": _p("startTime", "start_time"),
            "request_id": _p("request_id"),
            "session_id": _p("session_id"),
        },
        convert={"utc_datetime": _utc_text},
        defaults={"integration_source": "litellm"},
        aux={
            "model_map_key": _p("metadata|model_map_information|model_map_key"),
            "model_group": _p("model_group"),
            "cache_hit": _p("cache_hit"),
            "request_id": _p("request_id"),
        },
        rules=(
            (frozenset({"model_id"}), _litellm_model),
            (frozenset({NOT_ESTIMATED}), _litellm_cache_hit),
        ),
    ),
    "otel": Preset(
        name="otel",
        title="OpenTelemetry GenAI spans (gen_ai.* attributes)",
        fields={
            "model_id": _otel_paths("gen_ai.response.model", "gen_ai.request.model"),
            "managed_service_id": _otel_paths("gen_ai.provider.name", "gen_ai.system"),
            "input_tokens": _otel_paths("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
            "output_tokens": _otel_paths(
                "gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"
            ),
            # OpenLLMetry (traceloop semconv_ai) spells some of them with underscores.
            "input_cached_tokens": _otel_paths(
                "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_read_input_tokens"
            ),
            "output_reasoning_tokens": _otel_paths(
                "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.reasoning_tokens"
            ),
            "utc_datetime": _p(
                "start_time", "startTimeUnixNano", "StartTime", "Timestamp", "timestamp"
            ),
            "trace_id": _p("context|trace_id", "traceId", "TraceId", "trace_id"),
        },
        convert={"utc_datetime": _utc_text, "managed_service_id": _otel_provider},
        defaults={"integration_source": "opentelemetry"},
        flatten=_otlp_spans,
        aux={
            "cache_creation": _otel_paths(
                "gen_ai.usage.cache_creation.input_tokens",
                "gen_ai.usage.cache_creation_input_tokens",
            ),
            "server_address": _otel_paths("server.address"),
            "operation": _otel_paths("gen_ai.operation.name"),
            "model": _otel_paths("gen_ai.response.model", "gen_ai.request.model"),
            "provider": _otel_paths("gen_ai.provider.name", "gen_ai.system"),
            "input": _otel_paths("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"),
            "output": _otel_paths("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens"),
        },
        rules=(
            (frozenset({"input_tokens", "input_cached_tokens"}), _input_with_cache),
            (frozenset({"managed_service_id"}), _azure_openai_endpoint),
            (frozenset({NOT_ESTIMATED}), _otel_model_call),
        ),
    ),
    "langfuse": Preset(
        name="langfuse",
        title="Langfuse observation exports (GENERATION observations)",
        fields={
            "model_id": _p("model", "providedModelName"),
            "input_tokens": _p("usage|input", "promptTokens", "usage|promptTokens"),
            "output_tokens": _p("usage|output", "completionTokens", "usage|completionTokens"),
            # Server-side OpenAI usage keys (ingestion/types.ts), LangChain's (CallbackHandler.py
            # _parse_usage_model: input_token_details -> input_<key>), Vertex's modality keys.
            "input_cached_tokens": _p(
                "usageDetails|input_cached_tokens",
                "usageDetails|cache_read_input_tokens",
                "usageDetails|input_cache_read",
                "usageDetails|cached_modality_*",
            ),
            "output_reasoning_tokens": _p(
                "usageDetails|output_reasoning_tokens", "usageDetails|output_reasoning"
            ),
            "utc_datetime": _p("startTime", "start_time"),
            "trace_id": _p("traceId", "trace_id"),
            "session_id": _p("sessionId"),
        },
        # Langfuse's usageDetails counts cached, audio, reasoning, predicted tokens apart from
        # `input` and `output` (each is priced once; its clients subtract them from the
        # totals): the request's totals are the sums. Vertex/Gemini's per-modality counts
        # (`input_modality_TEXT`, ...) hold the whole input and output, `input`/`output` 0;
        # `cached_modality_*` is part of `input_modality_*` and is not added again.
        sums={
            "input_tokens": _p(
                "usageDetails|input",
                "usageDetails|input_cached_tokens",
                "usageDetails|cache_read_input_tokens",
                "usageDetails|cache_creation_input_tokens",
                "usageDetails|input_audio_tokens",
                "usageDetails|input_cache_read",
                "usageDetails|input_cache_creation",
                "usageDetails|input_audio",
                "usageDetails|input_modality_*",
            ),
            "output_tokens": _p(
                "usageDetails|output",
                "usageDetails|output_reasoning_tokens",
                "usageDetails|output_audio_tokens",
                "usageDetails|output_accepted_prediction_tokens",
                "usageDetails|output_rejected_prediction_tokens",
                "usageDetails|output_reasoning",
                "usageDetails|output_audio",
                "usageDetails|output_modality_*",
            ),
        },
        convert={"utc_datetime": _utc_text},
        defaults={"integration_source": "langfuse"},
        aux={"type": _p("type")},
        rules=((frozenset({NOT_ESTIMATED}), _langfuse_model_call),),
    ),
    "openai-usage": Preset(
        name="openai-usage",
        title="OpenAI response objects and Batch API output lines",
        fields={
            "model_id": _p("response|body|model", "model"),
            "input_tokens": _p(
                "response|body|usage|prompt_tokens",
                "response|body|usage|input_tokens",
                "usage|prompt_tokens",
                "usage|input_tokens",
            ),
            "output_tokens": _p(
                "response|body|usage|completion_tokens",
                "response|body|usage|output_tokens",
                "usage|completion_tokens",
                "usage|output_tokens",
            ),
            "input_cached_tokens": _p(
                "response|body|usage|prompt_tokens_details|cached_tokens",
                "response|body|usage|input_tokens_details|cached_tokens",
                "usage|prompt_tokens_details|cached_tokens",
                "usage|input_tokens_details|cached_tokens",
            ),
            "output_reasoning_tokens": _p(
                "response|body|usage|completion_tokens_details|reasoning_tokens",
                "response|body|usage|output_tokens_details|reasoning_tokens",
                "usage|completion_tokens_details|reasoning_tokens",
                "usage|output_tokens_details|reasoning_tokens",
            ),
            "utc_datetime": _p(
                "response|body|created", "response|body|created_at", "created", "created_at"
            ),
            "request_id": _p("custom_id", "response|request_id", "id"),
        },
        convert={"utc_datetime": _utc_text},
        defaults={"managed_service_id": "openai", "integration_source": "openai"},
    ),
    "scope3": Preset(
        name="scope3",
        title="Scope3 ImpactRow fields (and this project's extension fields)",
        fields={name: ((name,),) for name in sorted(KNOWN_FIELDS)},
    ),
}


def detect(columns: Iterable[str], sample: Sequence[Mapping] = ()) -> str | None:
    """The preset whose format these columns (and a few sample records) look like, or None.

    Signatures: OpenAI Batch output (``custom_id`` + ``response``) or a response object
    (``usage`` + ``object``/``model``); LiteLLM spend logs (``spend``, ``prompt_tokens``,
    ``call_type``/``custom_llm_provider``); Langfuse observations (``traceId`` + ``type`` or
    ``usageDetails``); OpenTelemetry (any ``gen_ai.*`` attribute, OTLP ``resourceSpans``);
    Scope3 rows (``model_id`` or ``model_name`` with ImpactRow token fields).
    """
    cols = set(columns)
    if "custom_id" in cols and "response" in cols:
        return "openai-usage"
    if {"spend", "prompt_tokens"} <= cols and cols & {"call_type", "custom_llm_provider"}:
        return "litellm"
    if "traceId" in cols and cols & {"usageDetails", "promptTokens", "type", "observationId"}:
        return "langfuse"
    if "resourceSpans" in cols or any(c.startswith("gen_ai.") for c in cols):
        return "otel"
    for record in sample[:20]:
        for container in _OTEL_ATTRIBUTE_CONTAINERS:
            attributes = record.get(container) if isinstance(record, Mapping) else None
            if isinstance(attributes, Mapping) and any(
                str(k).startswith("gen_ai.") for k in attributes
            ):
                return "otel"
            if isinstance(attributes, list) and any(
                isinstance(a, Mapping) and str(a.get("key", "")).startswith("gen_ai.")
                for a in attributes
            ):
                return "otel"
    if "usage" in cols and cols & {"object", "model"}:
        return "openai-usage"
    if cols & {"model_id", "model_name", "model_family", "model_hugging_face_path"} and cols & (
        KNOWN_FIELDS - {"model_id"}
    ):
        return "scope3"
    return None


def parse_map(items: Iterable[str]) -> dict[str, Path]:
    """``--map col=field`` items -> {field: path}. ``col`` may be ``a.b`` for a nested value.

    Raises MappingError naming the item when the syntax or the target field is wrong.
    """
    out: dict[str, Path] = {}
    for item in items:
        column, sep, target = item.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise MappingError(f"--map {item!r}: expected COLUMN=FIELD, e.g. llm_model=model_id")
        if target not in KNOWN_FIELDS:
            raise MappingError(
                f"--map {item!r}: {target!r} is not a request field "
                f"(fields: {', '.join(sorted(KNOWN_FIELDS))})"
            )
        out[target] = (column,)
    return out


class Mapper:
    """Turns chunks of records of one format into request rows for ``ai_impact.estimate``.

    ``preset`` may be None when ``overrides`` name every field to read. ``overrides`` (from
    ``--map``) come first; paths given there are also tried nested (``a.b`` -> ``a`` then ``b``).
    """

    def __init__(self, preset: Preset | None, overrides: Mapping[str, Path] | None = None):
        self.preset = preset
        self.overrides = dict(overrides or {})
        fields: dict[str, tuple[Path, ...]] = dict(preset.fields) if preset else {}
        for target, (column,) in self.overrides.items():
            nested = tuple(column.split(".")) if "." in column else None
            fields[target] = ((column,), nested) if nested else ((column,),)
        self.fields = fields
        self.convert = dict(preset.convert) if preset else {}
        self.sums = {
            k: v for k, v in (preset.sums if preset else {}).items() if k not in self.overrides
        }
        self.defaults = dict(preset.defaults) if preset else {}
        self.flatten = preset.flatten if preset else None
        self.aux = dict(preset.aux) if preset else {}
        self.rules = [
            r for r in (preset.rules if preset else ()) if not r[0] & self.overrides.keys()
        ]
        self.derived: frozenset[str] = frozenset().union(*(f for f, _ in self.rules))

    def check(self, columns: Iterable[str], sample: Sequence[Mapping] = ()) -> None:
        """Fail with one clear line when this mapping cannot read these columns at all."""
        cols = set(columns)
        missing = [
            f"{target}<-{column}"
            for target, (column,) in self.overrides.items()
            if column not in cols and column.split(".")[0] not in cols
        ]
        if missing:
            raise MappingError(
                "--map names columns the input does not have: "
                + ", ".join(missing)
                + f" (columns: {', '.join(sorted(cols)[:30])})"
            )
        if self.preset is None and not self.overrides:
            raise MappingError("no mapping: pass --from FORMAT or --map COLUMN=FIELD")
        if sample and self.flatten:
            sample = [row for record in sample for row in self.flatten(record)]
            cols = set().union(*(r for r in sample if isinstance(r, Mapping)))
        model_fields = ("model_id", "model_name", "model_family", "model_hugging_face_path")
        readable = [
            f
            for f in model_fields
            if f in self.fields
            and any(path[0] in cols or ".".join(path) in cols for path in self.fields[f])
        ]
        if not readable:
            name = self.preset.name if self.preset else "--map"
            raise MappingError(
                f"{name} mapping finds no model column in the input (columns: "
                f"{', '.join(sorted(cols)[:30])}); pass --from FORMAT or --map COLUMN=model_id"
            )

    def explode(self, records: list) -> list:
        """Records -> rows of this format (OTLP lines hold several spans; others are one row)."""
        if self.flatten is None:
            return records
        return [row for record in records for row in self.flatten(record)]

    def columns(
        self,
        records: Sequence | None = None,
        batch: Any = None,
        arrow: bool = False,
        only: set[str] | None = None,
    ) -> dict[str, Any]:
        """The request fields this mapping finds, as columns (lists, one value per record, or
        per row of an Arrow ``batch``). From Arrow, only the columns read are converted to
        Python values, column by column; with ``arrow``, a field read from plain columns (no
        JSON text, no sums, no conversion but utc_datetime's) stays an Arrow array, holding
        what the list would hold (a timestamp stays a timestamp: its text is its RFC 3339).
        ``only``: the fields to read (None: all)."""
        if batch is not None:
            n = batch.num_rows
            keys = set(batch.schema.names)

            def read(paths: list[Path]) -> list:
                return _first([_arrow_values(batch, p) for p in paths])

            if arrow and only is None:
                return self._arrow_columns(batch, keys)

        else:
            records = records or []
            n = len(records)
            plain = set(map(type, records)) <= {dict}
            keys = set().union(*(records if plain else filter(_is_mapping, records)))

            def read(paths: list[Path]) -> list:
                if plain and len(paths) == 1 and len(paths[0]) == 1:
                    key = paths[0][0]
                    return [r.get(key) for r in records]  # (twice methodcaller's speed)
                return _read(records, paths)

        if only is not None and only & self.derived:
            only = only | self.derived  # a rule reads and writes all its fields at once
        out: dict[str, list] = {}
        for target, paths in self.fields.items():
            if only is not None and target not in only:
                continue
            usable = [p for p in paths if p[0] in keys or ".".join(p) in keys]
            values = read(usable) if usable else None
            if target in self.sums:
                parts = [read([p]) for p in self.sums[target] if p[0] in keys]
                summed = _sum(parts) if parts else None
                if summed is not None:
                    values = summed if values is None else _prefer(summed, values)
            if values is None:
                continue
            if target in self.convert:
                values = list(map(self.convert[target], values))
            out[target] = values
        if self.rules and (only is None or only & self.derived):
            aux = {}
            for name, paths in self.aux.items():
                usable = [p for p in paths if p[0] in keys or ".".join(p) in keys]
                aux[name] = read(usable) if usable else [None] * n
            for _, rule in self.rules:
                rule(out, aux)
        for target, value in self.defaults.items():
            if only is not None and target not in only:
                continue
            if target in out:
                out[target] = [value if v is None else v for v in out[target]]
            elif target not in self.overrides:
                out[target] = [value] * n
        return out

    def _arrow_columns(self, batch: Any, keys: set[str]) -> dict[str, Any]:
        """``columns`` of an Arrow batch, Arrow arrays where that keeps the values exact."""
        import pyarrow as pa

        n = batch.num_rows
        lists = self.columns(None, batch, only=self._list_fields(batch, keys))
        out: dict[str, Any] = {}
        for target, paths in self.fields.items():
            if target in lists:
                out[target] = lists[target]
                continue
            usable = [p for p in paths if p[0] in keys or ".".join(p) in keys]
            if not usable:
                continue
            values = _arrow_first(batch, usable)
            if target in self.convert:
                values = _convert_text(self.convert[target], values)
            default = self.defaults.get(target)
            if default is not None:
                values = values.fill_null(default)
            out[target] = values
        for target in self.derived - self.fields.keys():  # columns of the rules alone
            out[target] = lists[target]
        for target, value in self.defaults.items():
            if target not in out and target not in self.overrides:
                out[target] = pa.repeat(value, n)
        return out

    def _list_fields(self, batch: Any, keys: set[str]) -> set[str]:
        """The fields of a batch that ``columns`` must read as Python values (JSON text, nested
        maps, sums, conversions other than of text and timestamps, mixed types)."""
        import pyarrow as pa

        out = set(self.derived)
        for target, paths in self.fields.items():
            usable = [p for p in paths if p[0] in keys or ".".join(p) in keys]
            if not usable:
                continue
            values = _arrow_first(batch, usable)
            default = self.defaults.get(target)
            if (
                values is None
                or target in self.sums
                or (target in self.convert and self.convert[target] is not _utc_text)
                or (pa.types.is_timestamp(values.type) and target != "utc_datetime")
                or (
                    target in self.convert
                    and not (pa.types.is_string(values.type) or pa.types.is_timestamp(values.type))
                )
                or (default is not None and not pa.types.is_string(values.type))
            ):
                out.add(target)
        return out

    def rows(self, records: Sequence | None = None, batch: Any = None) -> list:
        """Request rows, one per record (or per row of an Arrow ``batch``), in order.

        A record that is not an object is passed on as is (``estimate`` answers it with an
        ``invalid_field`` error for that row only).
        """
        n = batch.num_rows if batch is not None else len(records or [])
        return rows_of(self.columns(records, batch), n, records if batch is None else None)


def _is_mapping(value: object) -> bool:
    return isinstance(value, Mapping)


def rows_of(
    columns: Mapping[str, Sequence[Any]], n: int, records: Sequence[Any] | None = None
) -> list[Any]:
    """``n`` row dicts from request columns; records that are not objects are passed on."""
    if not columns:
        out: list = [{} for _ in range(n)]
    else:
        names = list(columns)
        out = [
            dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
    if records is not None and not all(type(r) is dict for r in records):
        out = [o if isinstance(r, Mapping) else r for o, r in zip(out, records, strict=True)]
    return out


def _arrow_first(batch: Any, paths: list[Path]) -> Any:
    """Per row the first non-null value of ``paths`` as one Arrow array, or None when a path
    leaves Arrow (JSON text, maps) or the columns differ in type."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrays = []
    for path in paths:
        flat = ".".join(path)
        if flat in batch.schema.names:
            column = batch.column(flat)
        else:
            column, rest = batch.column(path[0]), path[1:]
            while rest and pa.types.is_struct(column.type):
                if column.type.get_field_index(rest[0]) < 0:
                    return None
                column, rest = pc.struct_field(column, rest[0]), rest[1:]
            if rest:
                return None
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if pa.types.is_dictionary(column.type):
            column = column.dictionary_decode()
        if pa.types.is_timestamp(column.type):  # whole seconds, as _arrow_values reads them
            column = column.cast(pa.timestamp("s"), safe=False)
        arrays.append(column)
    if len({a.type for a in arrays}) != 1:
        return None
    return arrays[0] if len(arrays) == 1 else pc.coalesce(*arrays)


def _convert_text(convert: Callable[[object], object], values: Any) -> Any:
    """``convert`` (``_utc_text``) of an Arrow column: timestamps stay (their text is RFC
    3339 already); text that is RFC 3339 already passes unchanged, the rest is converted."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ai_impact.io.columnar import RFC3339

    if not pa.types.is_string(values.type):
        return values
    odd = pc.invert(pc.match_substring_regex(values, RFC3339).fill_null(True))
    if not pc.any(odd).as_py():
        return values
    rows = pc.indices_nonzero(odd)
    converted = [convert(v) for v in values.take(rows).to_pylist()]
    return pc.replace_with_mask(values, odd, pa.array(converted, pa.string()))


def _arrow_values(batch: Any, path: Path) -> list:
    """Python values of ``path`` in an Arrow batch: struct fields walked in Arrow, JSON text
    and maps (the rest of the path) read in Python; timestamps become RFC 3339 text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    flat = ".".join(path)
    rest: tuple[str, ...]
    if len(path) > 1 and flat in batch.schema.names:
        column, rest = batch.column(flat), ()
    else:
        column, rest = batch.column(path[0]), path[1:]
        while rest and pa.types.is_struct(column.type) and not rest[0].endswith("*"):
            if column.type.get_field_index(rest[0]) < 0:
                return [None] * batch.num_rows
            column, rest = pc.struct_field(column, rest[0]), rest[1:]
    if not rest and pa.types.is_timestamp(column.type):
        # Whole seconds, UTC (a zone-aware column is stored in UTC); the year is what counts.
        column = column.cast(pa.timestamp("s"), safe=False)
        return pc.strftime(column, "%Y-%m-%dT%H:%M:%SZ").to_pylist()
    values = column.to_pylist()
    if not rest:
        return values
    if pa.types.is_map(column.type):
        values = [dict(v) if v is not None else None for v in values]
    return [get_path({"v": v}, ("v", *rest)) for v in values]


def _first(columns: list[list]) -> list:
    """Per row, the first non-null value among the columns."""
    out = columns[0]
    for other in columns[1:]:
        out = _prefer(out, other)
    return out


def get_path(record: object, path: Path) -> object:
    """The value at ``path`` in a record (flat dotted column, nested dicts, or JSON text)."""
    if not isinstance(record, Mapping):
        return None
    if len(path) > 1:
        flat = record.get(".".join(path))
        if flat is not None:
            return flat
    value: object = record
    for key in path:
        if isinstance(value, str) and value[:1] == "{":
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return None
        if not isinstance(value, Mapping):
            return None
        if key.endswith("*"):  # the sum of the numbers of the keys that start so (last key)
            parts = [[v] for k, v in value.items() if str(k).startswith(key[:-1])]
            return _sum(parts)[0] if parts else None
        value = value.get(key)
        if value is None:
            return None
    return value


def _read(records: Sequence, paths: list[Path]) -> list:
    """First non-null value among ``paths`` in each record."""
    if len(paths) == 1 and len(paths[0]) == 1:
        key = paths[0][0]
        return [r.get(key) if isinstance(r, Mapping) else None for r in records]
    out = []
    for r in records:
        value = None
        for path in paths:
            value = get_path(r, path)
            if value is not None:
                break
        out.append(value)
    return out


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _sum(parts: list[list]) -> list:
    """Per row, the sum of the numbers in ``parts`` (None where none is a number)."""
    out = []
    for values in zip(*parts, strict=True):
        total = None
        for value in values:
            n = _number(value)
            if n is not None:
                total = n if total is None else total + n
        out.append(int(total) if isinstance(total, float) and total.is_integer() else total)
    return out


def _prefer(first: list, second: list) -> list:
    return [a if a is not None else b for a, b in zip(first, second, strict=True)]
