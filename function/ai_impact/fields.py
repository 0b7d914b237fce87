"""The request row: one table of its fields (name, type, range, unit, description).

The table drives every door: row parsing (:mod:`ai_impact.parse`, used by the Python API, the
BigQuery protocol and the REST API), the pydantic models and OpenAPI document of the REST API
(:mod:`ai_impact.rest.schemas`) and the field list of docs/api.md (a test keeps it equal).
Names, ranges and patterns follow the hosted Scope3 AI API's ``ImpactRow`` (OpenAPI spec
``aiapi.yaml``, as published in the scope3ai-py repository, tests/api-mocks/aiapi.yaml @
bfeb0bb), plus this project's documented extension fields (``extension=True``).

:class:`Field` also declares the fields of the REST API's catalog objects
(:mod:`ai_impact.rest.resources`), which add the catalog column they map to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

FIELD_TYPES = ("string", "number", "integer", "array")


@dataclass(frozen=True)
class Field:
    """One field of a JSON object.

    ``type``: the JSON type (``array`` = array of strings, each matching ``item_pattern``).
    Bounds are inclusive unless ``exclusive_minimum``; strings are free text unless ``pattern``
    or ``enum``. ``quantity``: an amount of work; a request row must give at least
    one. Catalog objects only: ``column`` is the catalog column holding the field (API value =
    column value x ``scale``), ``required`` on create, ``updatable`` by PUT.
    """

    name: str
    type: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    enum: tuple[str, ...] | None = None
    max_items: int | None = None
    item_pattern: str | None = None
    unique_items: bool = False
    format: str | None = None
    unit: str = ""
    description: str = ""
    extension: bool = False
    quantity: bool = False
    column: str | None = None
    scale: float = 1.0
    required: bool = False
    updatable: bool = True

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: type {self.type!r} not in {FIELD_TYPES}")

    @property
    def numeric(self) -> bool:
        return self.type in ("number", "integer")

    @property
    def integer(self) -> bool:
        return self.type == "integer"


# Task enum of the spec (31 values).
TASKS: tuple[str, ...] = (
    "text-generation",
    "chat",
    "text-embedding",
    "text-classification",
    "sentiment-analysis",
    "named-entity-recognition",
    "question-answering",
    "summarization",
    "translation",
    "image-classification",
    "object-detection",
    "image-segmentation",
    "image-generation",
    "image-to-text",
    "text-to-image",
    "style-transfer",
    "face-detection",
    "facial-recognition",
    "speech-to-text",
    "text-to-speech",
    "speaker-identification",
    "audio-classification",
    "music-generation",
    "multimodal-embedding",
    "multimodal-generation",
    "visual-question-answering",
    "recommendation-system",
    "reinforcement-learning",
    "anomaly-detection",
    "time-series-forecasting",
    "clustering",
)

# DataType enum of the spec, mapped to bytes per weight.
DATATYPE_BYTES: dict[str, float] = {
    "fp8": 1.0,
    "fp8-e4m3": 1.0,
    "fp8-e5m2": 1.0,
    "fp16": 2.0,
    "tf32": 4.0,
    "fp32": 4.0,
    "fp64": 8.0,
    "bfloat8": 1.0,
    "bfloat16": 2.0,
    "bf16": 2.0,
    "int4": 0.5,
    "int8": 1.0,
    "int16": 2.0,
    "int32": 4.0,
    "int64": 8.0,
    "uint4": 0.5,
    "uint8": 1.0,
    "uint16": 2.0,
    "uint32": 4.0,
    "uint64": 8.0,
    # Not in the spec's enum but served widely (NVFP4/MXFP4 weights, e.g. gpt-oss), and the
    # names model cards and serving stacks use (vLLM/SGLang quantization names, HF dtypes).
    "fp4": 0.5,
    "mxfp4": 0.5,
    "nvfp4": 0.5,
    "awq": 0.5,
    "gptq": 0.5,
    "fp8_e4m3": 1.0,
    "fp8_e5m2": 1.0,
    "float16": 2.0,
    # FP8 weights with block-wise scales (128x128 tiles: DeepSeek-V3, Qwen3 "-FP8" checkpoints,
    # config.json weight_block_size); their kernels differ from per-channel FP8 (engine.text).
    "fp8_block": 1.0,
}

MAX_IMAGES = 100
IMAGE_PATTERN = r"^(\d{1,4})x(\d{1,4})$"
CODE_PATTERN = r"^[A-Z]{2}$"
_TOKENS = 100_000_000


def _text(name: str, description: str, **kw: Any) -> Field:
    return Field(name, "string", description=description, **kw)


# The request row. Bounds of the spec; where it gives none, the reason is in the description.
# Extensions: a replica of 1..10,000 GPUs (the spec's Node.gpu_count maximum), 1..100,000
# concurrent requests, models up to 100,000 B parameters.
ROW_FIELDS: tuple[Field, ...] = (
    # -- what the request did (quantities: a row gives at least one) --
    Field("input_tokens", "integer", 0, _TOKENS, unit="tokens", quantity=True,
          description="Prompt tokens (text, plus image and audio tokens the model read)."),
    Field("output_tokens", "integer", 0, _TOKENS, unit="tokens", quantity=True,
          description="Generated tokens."),
    Field("input_images", "array", max_items=MAX_IMAGES, item_pattern=IMAGE_PATTERN,
          unit="WxH px", quantity=True,
          description='Sizes of the input images, "WxH" (BigQuery: "WxH,WxH").'),
    Field("output_images", "array", max_items=MAX_IMAGES, item_pattern=IMAGE_PATTERN,
          unit="WxH px", quantity=True,
          description='Sizes of the generated images, "WxH" (BigQuery: "WxH,WxH").'),
    Field("input_audio_seconds", "number", 0, 100_000, unit="s", quantity=True,
          description="Length of the input audio."),
    Field("output_audio_seconds", "number", 0, 100_000, unit="s", quantity=True,
          description="Length of the generated audio."),
    Field("output_audio_tokens", "integer", 0, _TOKENS, unit="tokens", quantity=True,
          description="Generated audio tokens (instead of output_audio_seconds)."),
    Field("output_video_frames", "integer", 0, _TOKENS, unit="frames", quantity=True,
          description="Generated video frames."),
    Field("output_video_resolution", "integer", 1, 100_000, unit="lines",
          description="Lines of the generated video (720 for 1280x720); the spec gives no "
          "bounds: 0 lines is no video, 100,000 lines is beyond any display."),
    Field("input_steps", "integer", 1, 10_000, unit="steps",
          description="Denoising steps of image or video generation."),
    Field("request_duration_ms", "number", 0, 86_400_000, unit="ms",
          description="Wall time of the request (recorded, not used)."),
    Field("processing_duration_ms", "number", 0, 86_400_000, unit="ms",
          description="Processing time of the request (recorded, not used)."),
    Field("request_cost", "number", 0, 1e12, unit="currency",
          description="Price paid (recorded, not used)."),
    _text("currency", "Currency of request_cost (recorded, not used)."),
    # -- which model --
    _text("model_id", "Model id or alias of the catalog."),
    _text("model_family", "Model family (with model_name)."),
    _text("model_name", "Model name (with model_family)."),
    _text("model_hugging_face_path", "Hugging Face repository of the model."),
    _text("model_used_id", "Model that served the request, when model_id names a router."),
    _text("task", "Task of the request; else the model's, else text-generation.",
          enum=TASKS),
    # -- where and on what --
    _text("utc_datetime", "When the request ran (RFC 3339 or BigQuery TIMESTAMP text): picks "
          "the grid year.", format="date-time"),
    _text("node_id", "Hardware node of the catalog (aws-p5-48xlarge or aws:p5.48xlarge)."),
    _text("cloud_id", "Cloud provider (with cloud_instance_id)."),
    _text("cloud_instance_id", "Instance type (with cloud_id)."),
    _text("cloud_region", "Cloud region: location when country is absent."),
    _text("managed_service_id", "Managed service (openai, bedrock, ...): default node and "
          "location."),
    _text("country", "ISO 3166-1 alpha-2 country of the data centre.", pattern=CODE_PATTERN,
          min_length=2, max_length=2),
    _text("region", "ISO 3166-2 subdivision (US state) of the data centre.",
          pattern=CODE_PATTERN, min_length=2, max_length=2),
    _text("datacenter_id", "Datacenter (predefined or custom): decides location, PUE "
          "and WUE before cloud_region and managed_service_id."),
    # -- extensions: what a log may know better than the catalog --
    Field("batch_size", "number", 1, 100_000, unit="requests", extension=True,
          description="Concurrent requests sharing the replica."),
    _text("gpu_id", "GPU of the catalog replacing the node's.", extension=True),
    Field("gpu_count", "integer", 1, 10_000, unit="GPUs", extension=True,
          description="GPUs of the replica serving the model."),
    Field("model_total_params_billions", "number", 0, 100_000, exclusive_minimum=True,
          unit="billions", extension=True, description="Parameters of the model."),
    Field("model_active_params_billions", "number", 0, 100_000, exclusive_minimum=True,
          unit="billions", extension=True,
          description="Parameters active per token (mixture of experts)."),
    _text("model_datatype", "Datatype of the served weights.", enum=tuple(DATATYPE_BYTES),
          extension=True),
    # Bounds as the spec's GridMix.gco2e_per_kwh.
    Field("grid_emissions_factor_gco2e_per_kwh", "number", 0, 2000, unit="gCO2e/kWh",
          extension=True, description="The row's own emission factor of electricity (a "
          "contract or supplier factor); it wins over both emissions bases."),
    # Parts of input_tokens / output_tokens, as OpenAI, Anthropic and Gemini usage objects
    # report them: prompt tokens served from a prefix cache, output tokens spent reasoning.
    Field("input_cached_tokens", "integer", 0, 100_000_000, unit="tokens", extension=True,
          description="The part of input_tokens served from a prompt cache (no prefill "
          "compute; the attention read over them stays)."),
    Field("output_reasoning_tokens", "integer", 0, 100_000_000, unit="tokens", extension=True,
          description="The part of output_tokens spent reasoning (reported in debug; charged "
          "as other output tokens)."),
    # -- bookkeeping (recorded, not used) --
    _text("integration_source", "Recorded, not used."),
    _text("environment", "Recorded, not used."),
    _text("session_id", "Recorded, not used."),
    _text("trace_id", "Recorded, not used."),
    _text("request_id", "Recorded, not used."),
    _text("client_id", "Recorded, not used."),
    _text("project_id", "Recorded, not used."),
    _text("application_id", "Recorded, not used."),
    _text("base_url", "Recorded, not used."),
)  # fmt: skip

ROW_FIELD: dict[str, Field] = {f.name: f for f in ROW_FIELDS}
NUMBER_FIELDS: tuple[Field, ...] = tuple(f for f in ROW_FIELDS if f.numeric)
STRING_FIELDS: tuple[str, ...] = tuple(f.name for f in ROW_FIELDS if f.type == "string")
IMAGE_LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in ROW_FIELDS if f.type == "array")
QUANTITY_FIELDS: tuple[str, ...] = tuple(f.name for f in ROW_FIELDS if f.quantity)
ALL_FIELDS: frozenset[str] = frozenset(ROW_FIELD)


# --- unknown keys ----------------------------------------------------------------------------

# Keys longer than this are no typo of a field name (the longest is 29 characters).
_MAX_TYPO_KEY = 40


def _normalised(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (Levenshtein with transpositions), or ``limit + 1``
    when it exceeds ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def suggest(key: str, names: Iterable[str] = ALL_FIELDS) -> str | None:
    """The field an unknown ``key`` is probably a typo of, or None.

    Case, ``_``, ``-`` and blanks are ignored (``modelId``, ``gpu-id``); then an edit distance
    of 1 (names under 8 characters) or 2 (longer names) is a typo (``output_token``).
    """
    if len(key) > _MAX_TYPO_KEY:
        return None
    wanted = _normalised(key)
    best: tuple[int, str] | None = None
    for name in sorted(names):
        limit = 1 if len(name) < 8 else 2
        distance = _distance(wanted, _normalised(name), limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, name)
    return best[1] if best else None


# --- switches (query parameters, userDefinedContext) -----------------------------------------

FLAG_TRUE = ("true", "1", "yes")
FLAG_FALSE = ("false", "0", "no")


def flag(value: object) -> bool | None:
    """A boolean switch as both doors read it: JSON ``true``/``false`` or the (case-insensitive)
    text ``true``/``1``/``yes``, ``false``/``0``/``no``; None when absent (``None`` or blank).
    Raises ValueError for anything else."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text == "":
        return None
    if text in FLAG_TRUE:
        return True
    if text in FLAG_FALSE:
        return False
    raise ValueError("must be true or false")


# --- documentation ---------------------------------------------------------------------------

DOCS_START = "<!-- row fields: generated from ai_impact/fields.py -->"
DOCS_END = "<!-- end of row fields -->"


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,g}"


def _range(f: Field) -> str:
    if f.numeric:
        low = "" if f.minimum is None else _number(f.minimum)
        high = "" if f.maximum is None else _number(f.maximum)
        return f"{'> ' if f.exclusive_minimum else ''}{low} .. {high}"
    if f.type == "array":
        return f"at most {f.max_items} entries `{f.item_pattern}`"
    if f.enum is not None:
        return f"one of {len(f.enum)} values (OpenAPI enum)"
    if f.pattern:
        return f"`{f.pattern}`"
    return f.format or ""


def markdown_table() -> str:
    """The row fields as the Markdown table of docs/api.md (between DOCS_START and DOCS_END)."""
    lines = [
        DOCS_START,
        "| field | type | range | unit | quantity | description |",
        "|---|---|---|---|---|---|",
    ]
    for f in ROW_FIELDS:
        kind = f.type + (" (extension)" if f.extension else "")
        quantity = "yes" if f.quantity else ""
        lines.append(
            f"| `{f.name}` | {kind} | {_range(f)} | {f.unit} | {quantity} | {f.description} |"
        )
    return "\n".join([*lines, DOCS_END])


def write_docs(path: str) -> None:
    """Rewrite the table of the Markdown file ``path`` (docs/api.md)."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    start, end = text.index(DOCS_START), text.index(DOCS_END) + len(DOCS_END)
    with open(path, "w", encoding="utf-8") as file:
        file.write(text[:start] + markdown_table() + text[end:])
