"""The request row: field names, kinds and accepted ranges.

One table, used by every door (Python API, BigQuery protocol, REST API). Names, ranges and
patterns follow the hosted Scope3 AI API's ``ImpactRow`` (OpenAPI spec ``aiapi.yaml``, as
published in the scope3ai-py repository, tests/api-mocks/aiapi.yaml @ bfeb0bb), plus the
documented extension fields of this project (``batch_size``, ``gpu_id``, ``gpu_count``,
``model_total_params_billions``, ``model_active_params_billions``, ``model_datatype``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NumberField:
    """A numeric field. ``integer`` rejects fractional values; bounds are inclusive."""

    name: str
    minimum: float
    maximum: float
    integer: bool
    exclusive_minimum: bool = False


# Numeric fields of ImpactRow and the extensions, with the spec's bounds.
NUMBER_FIELDS: tuple[NumberField, ...] = (
    NumberField("input_tokens", 0, 100_000_000, integer=True),
    NumberField("output_tokens", 0, 100_000_000, integer=True),
    NumberField("input_audio_seconds", 0, 100_000, integer=False),
    NumberField("output_audio_seconds", 0, 100_000, integer=False),
    NumberField("output_audio_tokens", 0, 100_000_000, integer=True),
    NumberField("output_video_frames", 0, 100_000_000, integer=True),
    # The spec gives no bounds; 0 lines is no video, 100,000 lines is beyond any display.
    NumberField("output_video_resolution", 1, 100_000, integer=True),
    NumberField("input_steps", 1, 10_000, integer=True),
    NumberField("request_duration_ms", 0, 86_400_000, integer=False),
    NumberField("processing_duration_ms", 0, 86_400_000, integer=False),
    NumberField("request_cost", 0, 1e12, integer=False),
    # Extensions (this project). Bounds: a replica of 1..10,000 GPUs (the spec's Node.gpu_count
    # maximum), 1..100,000 concurrent requests, models up to 100,000 B parameters.
    NumberField("batch_size", 1, 100_000, integer=False),
    NumberField("gpu_count", 1, 10_000, integer=True),
    NumberField("model_total_params_billions", 0, 100_000, integer=False, exclusive_minimum=True),
    NumberField("model_active_params_billions", 0, 100_000, integer=False, exclusive_minimum=True),
    # The row's own emission factor of electricity (a contract or supplier factor), gCO2e/kWh;
    # it wins over both emissions bases. Bounds as the spec's GridMix.gco2e_per_kwh.
    NumberField("grid_emissions_factor_gco2e_per_kwh", 0, 2000, integer=False),
    # Parts of input_tokens / output_tokens, as OpenAI, Anthropic and Gemini usage objects
    # report them: prompt tokens served from a prefix cache, output tokens spent reasoning.
    NumberField("input_cached_tokens", 0, 100_000_000, integer=True),
    NumberField("output_reasoning_tokens", 0, 100_000_000, integer=True),
)

# String fields. Free text unless a pattern or enum is given below.
STRING_FIELDS: tuple[str, ...] = (
    "utc_datetime",
    "currency",
    "integration_source",
    "environment",
    "session_id",
    "trace_id",
    "request_id",
    "client_id",
    "project_id",
    "application_id",
    "model_id",
    "model_family",
    "model_name",
    "model_hugging_face_path",
    "model_used_id",
    "cloud_region",
    "managed_service_id",
    "cloud_id",
    "cloud_instance_id",
    "node_id",
    "country",
    "region",
    "task",
    "base_url",
    "datacenter_id",
    "gpu_id",
    "model_datatype",
)

# Fields holding a list of "WxH" image sizes (at most 100 entries, each side 1..4 digits).
IMAGE_LIST_FIELDS: tuple[str, ...] = ("input_images", "output_images")
MAX_IMAGES = 100

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
}

ALL_FIELDS: frozenset[str] = frozenset(
    [f.name for f in NUMBER_FIELDS] + list(STRING_FIELDS) + list(IMAGE_LIST_FIELDS)
)
