"""Model names as logs carry them -> a catalog row, a family's size class, or a size in the name.

Proxies and SDKs log a model as their provider spells it: ``azure/gpt-4o``,
``bedrock/us-east-1/us.anthropic.claude-3-5-sonnet-20241022-v2:0``,
``fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct``,
``openrouter/qwen/qwen3-30b-a3b:free``. :func:`find_model` resolves such a name in steps, each
recorded (``how``) so that debug output says which one answered (docs/methodology.md,
"Model resolution"):

1. ``id`` / ``alias`` / ``hugging_face_path``: the name as given (the catalog's own lookup).
2. ``normalised``: provider and router prefixes removed (the provider is kept, see
   :func:`provider_service`), cloud region prefixes (``us.``, ``eu.``, ``apac.``, ``global.``),
   Bedrock vendor prefixes (``anthropic.``) and version suffixes in every style (``-20241022``,
   ``-2024-08-06``, ``-0613``, ``-v1:0``, ``@20240620``, ``-001``, ``-preview``, ``-latest``),
   router tags (``:free``, ``:thinking``), serving suffixes (``-fp8``, ``-awq``, ``-instruct``,
   ``-turbo``), compared in a canonical spelling (case, ``.``/``_``/``:`` as ``-``, ``3p1`` as
   ``3-1``, ``claude-sonnet-4`` as ``claude-4-sonnet``). These are spellings of one model.
3. ``family``: an unlisted version of a known family and tier (``claude-opus-4-7``,
   ``gpt-5.6-mini``) takes the size class of the nearest listed version of that tier, with a
   range widened to every size the tier has had (:data:`FAMILY_RANGE_FACTOR`); an unlisted tier
   takes the nearest ranked tier (:data:`TIER_ORDER`), an unknown tier word (``claude-fable-6``)
   the family's tiers together (:func:`_tier_members`).
4. ``size``: a name carrying its size (``70b``, ``8x22b``, ``30b-a3b``, ``1.5b``, ``335m``).

Steps 3 and 4 are fallbacks: ``model_match="exact"`` refuses them. Neither answers with a model
of another task than the one the name says (:func:`task_of`: ``qwen3-embedding-8b`` is an
embedder, ``gemini-3-pro-image`` an image model).
"""

from __future__ import annotations

import itertools
import re
import weakref
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from ai_impact.catalog import Catalog, lookup_key
from ai_impact.tasks import TASK_METHOD

MODEL_MATCH = ("fallback", "exact")
# Catalog columns of the low-high parameter range, in the order resolution reports them.
RANGE_COLUMNS = (
    "total_params_low_billions",
    "total_params_high_billions",
    "active_params_low_billions",
    "active_params_high_billions",
)
FALLBACK_STEPS = ("family", "size")

# Family fallback: the range spans every size the tier has had, widened by this factor both ways
# (an unlisted version may be smaller or larger than any listed one; estimate, see methodology).
FAMILY_RANGE_FACTOR = 2.0
# Size read from a name: the name rounds the count (``7b`` is 7.24 B for Mistral 7B, ``70b`` is
# 70.55 B for Llama 3.1 70B), so the range is +-15 %.
SIZE_RANGE_FRACTION = 0.15
# ``NxMb`` mixtures: total and active parameters relative to N*M and 2*M, from Mixtral 8x7B
# (46.7 B total, 12.9 B active of 8 x 7 B; Mistral AI, 2023): shared attention and embeddings
# make the total smaller than N*M. Checked on Mixtral 8x22B: 0.834 * 176 = 146.8 (141 B),
# 0.921 * 44 = 40.5 (39.1 B).
MIXTURE_TOTAL_SHARE = 46.7 / 56.0
MIXTURE_ACTIVE_SHARE = 12.9 / 14.0

# First path segments that name a provider or router (LiteLLM ``custom_llm_provider`` names and
# the like) -> service_id of services.csv. Segments that services.csv knows by id or alias need
# no entry; a router prefix whose serving profile the catalog lacks maps to None (stripped only).
PREFIX_SERVICES: dict[str, str | None] = {
    "bedrock-converse": "aws-bedrock",
    "bedrock-mantle": "aws-bedrock",
    "bedrock-invoke": "aws-bedrock",
    "amazon": "aws-bedrock",
    "vertex-ai-language-models": "google-vertex",
    "vertex-ai-anthropic-models": "google-vertex",
    "vertex-ai-llama-models": "google-vertex",
    "vertex-ai-mistral-models": "google-vertex",
    "vertex-ai-embedding-models": "google-vertex",
    "azure-openai": "azure-openai",
    "chatgpt": "openai",
    "text-completion-openai": "openai",
    "github-copilot": None,
    "nebius": None,
    "databricks": None,
    "ollama": None,
    "ollama-chat": None,
    "novita": None,
    "sambanova": None,
    "cerebras": None,
    "hyperbolic": None,
    "lambda-ai": None,
    "nscale": None,
    "cloudflare": None,
    "watsonx": None,
    "snowflake": None,
    "oci": None,
    "vercel-ai-gateway": None,
    "dashscope": None,
    "volcengine": None,
    "ai21": None,
    "anyscale": None,
    "baseten": None,
    "friendliai": None,
    "featherless-ai": None,
    "nvidia-nim": None,
    "sagemaker": None,
    "hosted-vllm": None,
    "vllm": None,
    "lm-studio": None,
    "meta-llama": None,
    "moonshot": None,
    "zai": None,
    "minimax": None,
}
# Segments after a provider that name a cloud region or a deployment scope, not a model.
_REGION_SEGMENT = re.compile(
    r"^(?:[a-z]{2}(?:-gov)?-[a-z]+-\d|global|us|eu|apac|jp|au|ca|in|uk|invoke|converse|"
    r"cross-region|regional|openai|v1|accounts|fireworks|models|routers|deployments|@cf|@hf)$"
)
_CLOUD_REGION_PREFIX = re.compile(r"^(?:us|eu|apac|global|jp|au|ca|us-gov|apne\d|in|uk)\.")
_VENDOR_DOT_PREFIX = re.compile(
    r"^(?:anthropic|meta|amazon|mistral|cohere|ai21|deepseek|qwen|openai|nvidia|stability|"
    r"writer|moonshotai|moonshot|google|xai|minimax|zai|twelvelabs|luma|ibm)\."
)
# Version and serving suffixes, tried repeatedly from the end (each removal is one spelling).
_SUFFIXES = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"[-:]v\d+(?:[:-]\d+)?$",  # -v1:0, -v2:0, :v1, -v1-0
        r":\d+$",  # :0 (Bedrock), :8b-like tags are handled by _TAG_SIZE
        r"@[\w.-]*$",  # Vertex @20240620, @001, @default
        r"-\d{4}-\d{2}-\d{2}$",
        r"-\d{2}-\d{4}$",  # Cohere: -08-2024
        r"-\d{8}$",
        r"-\d{6}$",  # -260215 (Volcano Engine: yymmdd)
        r"-(?:preview|exp)-\d{2}-\d{2,4}$",  # Google: -preview-06-17, -preview-10-2025
        r"-\d{3,4}$",  # -0613, -2407, -001
        r"-(?:preview|latest|exp|experimental|beta|stable|ga|default|original)$",
        r":(?:free|thinking|exacto|nitro|floor|online|beta|extended|latest)$",
        r"-(?:fp8|fp16|bf16|fp4|nvfp4|awq|gptq|int4|int8|w4a16|w8a8|gguf|mlx|4bit|8bit)$",
        r"-(?:turbo|instruct|chat|it|hf|fast|versatile|instant|thinking|reasoning)$",
        r"-(?:tput|lite-tput|maas|global|free|nothink|non-thinking)$",
    )
)
# A reasoning-effort word (``gpt-5-high``, ``o4-mini-low``) is removed only after a version
# number: in ``mistral-medium`` or ``whisper-medium`` the word is the model's size tier.
_EFFORT_SUFFIX = re.compile(r"-(?:high|low|medium)$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_VENDOR_DASH = re.compile(
    r"^(?:databricks|fw|c4ai|cohere|anthropic|openai|meta|mistral|zai|coding|azure|ai21|google|xai|"
    r"amazon|nvidia|deepseek-ai|moonshotai|system[-.]ai|perplexity|xiaomi)[-.](?=[a-z])",
    re.IGNORECASE,
)


# A name that starts with a size or tier word once its vendor is removed names no model by itself.
_GENERIC_HEAD = re.compile(
    r"^(?:large|medium|small|mini|tiny|base|pro|flash|lite|nano|ultra|max|plus|turbo|latest|"
    r"v?\d[\d.]*)(?:[-_.:]|$)",
    re.IGNORECASE,
)
_FINE_TUNE = re.compile(r"^ft:([^:]+)(?::.*)?$")


def canonical(text: str) -> str:
    """Spelling-free key of a model name: lower case; ``.``, ``_``, ``:``, spaces as ``-``;
    a hyphen between letters and digits (``qwen2.5`` = ``qwen-2-5``); Fireworks' ``3p1`` as
    ``3-1``; ``v3`` as ``3``; Claude's tier-first names (``claude-sonnet-4``) as version-first
    (``claude-4-sonnet``)."""
    s = text.strip().lower()
    s = re.sub(r"(\d)p(\d)", r"\1-\2", s)
    s = re.sub(r"[._:\s]+", "-", s)
    s = re.sub(r"(?<=[a-z])(?=\d)", "-", s)
    s = re.sub(r"(?:(?<=-)|^)v-(?=\d)", "", s)
    s = re.sub(r"-+", "-", s).strip("-")
    m = re.match(r"^claude-(opus|sonnet|haiku)-(\d+(?:-\d)?)(?=-|$)(.*)$", s)
    if m:
        s = f"claude-{m.group(2)}-{m.group(1)}{m.group(3)}"
    return s


@dataclass
class Match:
    """How a name resolved. ``row``: catalog row (steps 1-2, and step 3's nearest row).
    ``how``: step label (``id``, ``alias``, ``hugging_face_path``, ``normalised``, ``family``,
    ``size``) with details in ``detail``. For fallbacks, the size (billions) and its range."""

    row: int | None
    how: str
    detail: str = ""
    total_params_billions: float = float("nan")
    active_params_billions: float = float("nan")
    total_range: tuple[float, float] = (float("nan"), float("nan"))
    active_range: tuple[float, float] = (float("nan"), float("nan"))
    task: str | None = None
    candidates: list[str] = field(default_factory=list)


def provider_service(catalog: Catalog, value: str | None) -> str | None:
    """The service_id (services.csv) a model name's provider prefix selects, or None:
    ``azure/gpt-4o`` -> ``azure-openai``, ``bedrock/...`` -> ``aws-bedrock``,
    ``vertex_ai/...`` -> ``google-vertex``; a Bedrock id
    (``anthropic.claude-3-haiku-20240307-v1:0``) -> ``aws-bedrock``, a Vertex id
    (``claude-3-5-sonnet@20240620``) -> ``google-vertex``. A bare name (``gpt-4o``) selects
    nothing."""
    if not value:
        return None
    if "/" not in value:
        # Ids only one cloud spells: Bedrock's vendor-dotted ids with a version
        # (``us.anthropic.claude-3-5-sonnet-20241022-v2:0``), Vertex's ``model@version``.
        text = value.strip().lower()
        if _VENDOR_DOT_PREFIX.match(_CLOUD_REGION_PREFIX.sub("", text)) and re.search(
            r"-v\d+(?::\d+)?$", text
        ):
            return find_service(catalog, "aws-bedrock")
        if re.match(r"^[a-z][\w.-]*@[\w.-]+$", text):
            return find_service(catalog, "google-vertex")
        return None
    first = value.strip().split("/", 1)[0]
    return find_service(catalog, first)


def find_service(catalog: Catalog, value: str | None) -> str | None:
    """service_id of a managed service or provider name (id, alias, or a LiteLLM provider
    name such as ``bedrock_converse``), or None when unknown."""
    if not value:
        return None
    services = catalog.services
    row = services.find(value)
    if row is not None:
        return services["service_id"][row]
    return PREFIX_SERVICES.get(lookup_key(value).replace(".", "-"))


def _is_provider(catalog: Catalog, segment: str) -> bool:
    key = lookup_key(segment)
    return catalog.services.find(segment) is not None or key in PREFIX_SERVICES


def spellings(catalog: Catalog, value: str) -> list[str]:
    """Candidate spellings of ``value`` with prefixes, then suffixes, removed (in order, without
    the value itself)."""
    out: list[str] = []

    def add(text: str) -> None:
        text = text.strip().strip("/")
        if text and text not in out:
            out.append(text)

    value = value.strip()
    ft = _FINE_TUNE.match(value)
    if ft:
        add(ft.group(1))
        value = ft.group(1)
    segments = [s for s in value.split("/") if s]
    start = 0
    while start < len(segments) - 1 and (
        _is_provider(catalog, segments[start]) or _REGION_SEGMENT.match(segments[start].lower())
    ):
        start += 1
    # Every tail of the path: "vendor/model" (Hugging Face path), then "model".
    for i in range(start, len(segments)):
        add("/".join(segments[i:]))
    tails = list(out) or [value]
    for tail in tails:
        base = tail.rsplit("/", 1)[-1]
        regional = _CLOUD_REGION_PREFIX.sub("", base)
        base = _VENDOR_DOT_PREFIX.sub("", regional)
        undashed = _VENDOR_DASH.sub("", base)
        if _GENERIC_HEAD.match(undashed):
            undashed = base  # "mistral-large-3" is not a "large-3"
        for text in dict.fromkeys((regional, base, undashed)):
            add(text)
            for _ in range(8):
                before = text
                for suffix in _SUFFIXES:
                    stripped = suffix.sub("", text)
                    if stripped and stripped != text:
                        text = stripped
                        add(text)
                stripped = _EFFORT_SUFFIX.sub("", text)
                if stripped != text and _DIGIT.search(stripped):
                    text = stripped
                    add(text)
                if text == before:
                    break
    return out


_INDEXES: weakref.WeakKeyDictionary[Catalog, dict[str, int]] = weakref.WeakKeyDictionary()


def canonical_index(catalog: Catalog) -> dict[str, int]:
    """canonical(id | alias | HF path | HF path tail) -> model row; spellings shared by two rows
    are left out (ambiguous)."""
    index = _INDEXES.get(catalog)
    if index is not None:
        return index
    models = catalog.models
    seen: dict[str, set[int]] = {}
    for i in range(len(models)):
        names = [models["model_id"][i]]
        if models["aliases"][i]:
            names += [a for a in models["aliases"][i].split("|") if a.strip()]
        if models["hugging_face_path"][i]:
            names += [models["hugging_face_path"][i], models["hugging_face_path"][i].split("/")[-1]]
        for name in names:
            for key in {canonical(name), canonical(name.rsplit("/", 1)[-1])}:
                seen.setdefault(key, set()).add(i)
    index = {k: next(iter(v)) for k, v in seen.items() if len(v) == 1}
    _INDEXES[catalog] = index
    return index


def find_model(catalog: Catalog, value: str, model_match: str = "fallback") -> Match | None:
    """Resolve one model name (steps in the module docstring); None when nothing is known or
    when only a fallback would answer and ``model_match`` is ``exact``."""
    models = catalog.models
    row = models.find(value)
    if row is not None:
        return Match(row, _kind(catalog, row, value))
    candidates = spellings(catalog, value)
    for text in candidates:
        row = models.find(text)
        if row is not None:
            return Match(
                row,
                "normalised",
                f"{_removed(value, text)}{_kind(catalog, row, text)} {text!r}",
                candidates=candidates,
            )
    index = canonical_index(catalog)
    for text in [value, *candidates]:
        row = index.get(canonical(text))
        if row is not None:
            return Match(
                row,
                "normalised",
                f"{_removed(value, text)}spelling of {models['model_id'][row]!r}",
                candidates=candidates,
            )
    if model_match == "exact":
        return None
    task = task_of(value)
    for text in _fallback_texts(catalog, value, candidates):
        found = family_match(catalog, text, task)
        if found is not None:
            return found
    for text in [value, *candidates]:
        found = size_match(text)
        if found is not None:
            return found
    return None


def _fallback_texts(catalog: Catalog, value: str, candidates: list[str]) -> list[str]:
    """Names the fallbacks read: the spellings without a path, each path segment (right to
    left; ``fal_ai/openai/gpt-image-2/edit``) but a provider's, adjacent segments joined
    (``flux/dev``), and each with a vendor prefix written with a dash removed
    (``databricks-claude-haiku-4-5``)."""
    out = [c for c in candidates if "/" not in c] or [value]
    segments = [s for s in value.split("/") if s]
    if len(segments) > 1:
        segments = [s for s in segments if not _is_provider(catalog, s)] or segments[-1:]
    out += segments[::-1] + [f"{a}-{b}" for a, b in itertools.pairwise(segments)]
    out += [_VENDOR_DASH.sub("", t) for t in out if _VENDOR_DASH.match(t)]
    return list(dict.fromkeys(out))


def _removed(value: str, text: str) -> str:
    """What normalisation removed from ``value`` to get ``text``, for debug output."""
    tail = value.rsplit("/", 1)[-1].lower()
    short = text.rsplit("/", 1)[-1].lower()
    notes = []
    if "/" in value and "/" not in text:
        notes.append("router prefix removed")
    if short in tail and not tail.startswith(short):
        notes.append("region or vendor prefix removed")
    if short in tail and not tail.endswith(short):
        notes.append("version suffix removed")
    return "".join(f"{n}; " for n in notes)


def _kind(catalog: Catalog, row: int, text: str) -> str:
    models = catalog.models
    key = lookup_key(text)
    if key == lookup_key(models["model_id"][row]):
        return "id"
    path = models["hugging_face_path"][row]
    if path and key == lookup_key(path):
        return "hugging_face_path"
    return "alias"


# --- sizes in names --------------------------------------------------------------------------

_NUM = r"(\d+(?:\.\d+)?)"
_B = r"(?:^|(?<=[-_/:. ]))"  # a size starts a token
_END = r"(?=$|[-_/:. ])"
_MIXTURE = re.compile(_B + r"(\d+)x" + _NUM + r"b" + _END)
_TOTAL_ACTIVE = re.compile(_B + _NUM + r"([bt])-a" + _NUM + r"b" + _END)
_BILLIONS = re.compile(_B + _NUM + r"b" + _END)
_TRILLIONS = re.compile(_B + _NUM + r"t" + _END)  # Qwen3.8-2.4T-A95B, kimi-k2-1t
# Google's effective size (gemma-3n-e4b: 4 B effective of 7.85 B, the rest per-layer embeddings
# kept off the accelerator; Gemma 3n model card): the size that runs.
_EFFECTIVE = re.compile(_B + r"e" + _NUM + r"b" + _END)
_MILLIONS = re.compile(_B + _NUM + r"m" + _END)
_TAG_SIZE = re.compile(r":" + _NUM + r"b$")  # ollama tags: llama3.1:8b


def size_of(name: str) -> tuple[float, float] | None:
    """(total, active) parameters in billions written in a model name, or None.
    ``8x22b`` -> mixture shares above; ``30b-a3b`` -> 30, 3; ``70b``/``405B``/``1.5b``;
    ``335m`` -> 0.335; ``2.4t-a95b`` -> 2,400, 95; ``e4b`` (effective) -> 4. The largest plain
    size is taken when several appear."""
    s = re.sub(r"(\d)p(\d)", r"\1.\2", name.strip().lower())  # Fireworks: 0p6b = 0.6b
    m = _TOTAL_ACTIVE.search(s)
    if m:
        scale = 1000.0 if m.group(2) == "t" else 1.0
        return float(m.group(1)) * scale, float(m.group(3))
    m = _MIXTURE.search(s)
    if m:
        n, each = float(m.group(1)), float(m.group(2))
        return n * each * MIXTURE_TOTAL_SHARE, 2 * each * MIXTURE_ACTIVE_SHARE
    sizes = [float(x) for x in _BILLIONS.findall(s)]
    sizes += [float(x) * 1000.0 for x in _TRILLIONS.findall(s)]
    sizes += [float(x) for x in _EFFECTIVE.findall(s)]
    m = _TAG_SIZE.search(s)
    if m:
        sizes.append(float(m.group(1)))
    if sizes:
        size = max(sizes)
        return (size, size) if size > 0 else None
    millions = [float(x) for x in _MILLIONS.findall(s)]
    if millions and max(millions) > 0:
        size = max(millions) / 1000.0
        return size, size
    return None


_TASK_WORDS = (
    (re.compile(r"rerank|ranker|ranking"), "text-classification"),
    (re.compile(r"embed|bge-|e5-|gte-|minilm|retriev"), "text-embedding"),
    # Llama Guard answers "safe"/"unsafe"; gpt-oss-safeguard reasons in text (a generator).
    (re.compile(r"(?<!safe)guard|moderation|classif"), "text-classification"),
    (
        re.compile(r"whisper|transcri|scribe|\bstt\b|-asr|speech-to-text|speech-recognition"),
        "speech-to-text",
    ),
    (re.compile(r"\btts\b|-tts|text-to-speech|speech-\d|polly|orpheus"), "text-to-speech"),
    (re.compile(r"lyria|musicgen|music"), "music-generation"),
    (
        re.compile(r"video|\b[tir]2v\b|seedance|happyhorse|\bveo-|\bsora-|hailuo|kling"),
        "image-generation",
    ),
    (
        re.compile(
            r"image|imagen|dall-e|flux|diffusion|sdxl|seedream|nano-banana|recraft|ideogram"
        ),
        "text-to-image",
    ),
    (re.compile(r"runway"), "image-generation"),  # Runway's models generate video
)


def task_of(name: str) -> str | None:
    """Task a name says (``...-embed-...`` -> text-embedding, ``rerank`` -> text-classification,
    ``whisper`` -> speech-to-text, ``tts`` -> text-to-speech, ``lyria`` -> music-generation,
    ``video``/``t2v`` -> image-generation (video), ``image``/``flux`` -> text-to-image), or None
    (the name says nothing: text generation for a size read from it)."""
    s = name.lower()
    for pattern, task in _TASK_WORDS:
        if pattern.search(s):
            return task
    return None


def size_match(name: str) -> Match | None:
    """Step 4: the size written in the name, range +-:data:`SIZE_RANGE_FRACTION`."""
    size = size_of(name)
    if size is None:
        return None
    total, active = size
    f = SIZE_RANGE_FRACTION
    return Match(
        None,
        "size",
        f"size in name {name!r}",
        total,
        active,
        (total * (1 - f), total * (1 + f)),
        (active * (1 - f), active * (1 + f)),
        task_of(name) or "text-generation",
    )


# --- families ----------------------------------------------------------------------------------

# (family, pattern over canonical names with groups ``ver`` (optional) and ``tier`` (optional)).
# Order matters: specific (audio, image, embedding) before general. Tiers of one family are
# ordered by TIER_ORDER; a name that matches a family but none of its listed tiers has no
# family answer.
FAMILIES: tuple[tuple[str, re.Pattern], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "openai-transcribe",
            r"^gpt-(?:(?P<ver>\d+o?)-)?(?:(?P<tier>mini)-)?(?:live-|realtime-)?(?:transcribe|whisper)",
        ),
        ("openai-gpt-tts", r"^gpt-(?P<ver>\d+o?)(?:-(?P<tier>mini))?-tts"),
        (
            "openai-realtime",
            r"^gpt-(?:(?P<ver>\d+o?)-)?(?:(?P<tier>mini)-)?(?:realtime|audio)(?:-(?P<tier2>mini))?",
        ),
        ("gpt-image", r"^(?:chatgpt-)?gpt-image-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>mini))?"),
        ("gpt-image", r"^chatgpt-image(?:-|$)"),
        ("dall-e", r"^dall-e-(?P<ver>\d)"),
        ("openai-tts", r"^tts-(?P<ver>1)(?:-(?P<tier>hd))?"),
        ("openai-embedding", r"^text-embedding-(?P<ver>3)-(?P<tier>small|large)"),
        ("sora", r"^sora-(?P<ver>\d+)(?:-(?P<tier>pro))?"),
        ("gpt-oss", r"^gpt-oss(?:-(?:safeguard-)?(?P<tier>20b|120b)|(?=-|$))"),
        (
            "gpt",
            # A line word may stand between the version and the tier (gpt-5.1-codex-mini).
            r"^(?:chatgpt-|openai-)?gpt-(?P<ver>\d+(?:-\d+)?o?)"
            r"(?:(?:-[a-z]+)*?-(?P<tier>nano|mini|pro)(?=-|$))?(?!-?\d*b\b)",
        ),
        ("o-series", r"^o-(?P<ver>\d+)(?:-(?P<tier>mini|pro))?(?:-|$)"),
        ("claude", r"^claude-(?:(?P<ver>\d+(?:-\d+)?)-)?(?P<tier>haiku|sonnet|opus)(?:-|$)"),
        ("claude-legacy", r"^claude-(?:(?P<tier>instant)|(?P<ver>\d)(?:-\d)?)(?:-|$)"),
        (
            "gemini-embedding",
            r"^(?:gemini-embedding|text-embedding|text-multilingual-embedding)-?(?P<ver>\d+)?",
        ),
        (
            "gemini-image",
            r"^gemini-(?P<ver>\d+(?:-\d+)?)-(?P<tier>flash-lite|flash|pro)(?:-preview)?-image",
        ),
        (
            "gemini-image",
            r"^(?:gemini-)?nano-banana(?:-(?P<tier>pro))?(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)",
        ),
        (
            "gemini-tts",
            r"^gemini-(?P<ver>\d+(?:-\d+)?)-(?P<tier>flash-lite|flash|pro)(?:-preview)?(?:-\d+)?-tts",
        ),
        ("gemini", r"^gemini-(?P<ver>\d+(?:-\d+)?)-(?P<tier>flash-lite|flash|pro|ultra)(?:-|$)"),
        ("imagen", r"^imagen-(?P<ver>\d+(?:-\d+)?)(?:-generate)?(?:-(?P<tier>fast|ultra))?"),
        ("veo", r"^veo-(?P<ver>\d+(?:-\d+)?)(?:-generate)?(?:-(?P<tier>fast|lite))?"),
        ("grok", r"^grok-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>mini|fast|code|heavy))?(?:-|$)"),
        ("nova", r"^nova-(?:(?P<ver>\d+)-)?(?P<tier>micro|lite|pro|premier)(?:-|$)"),
        ("nova-canvas", r"^nova-(?:(?P<ver>\d+)-)?canvas"),
        ("nova-reel", r"^nova-(?:(?P<ver>\d+)-)?reel"),
        ("titan-text", r"^titan-text-(?P<tier>lite|express|premier)"),
        ("titan-embed", r"^titan-embed-(?:text|image|g1)"),
        ("titan-image", r"^titan-image-generator"),
        ("command", r"^command-(?P<tier>light|r7b|r|r-plus|a)(?:-|$)"),
        (
            "cohere-embed",
            r"^embed-(?:(?P<lang>english|multilingual)-)?(?:(?P<tier>light)-)?(?:image-)?(?:v-?)?(?P<ver>\d)",
        ),
        ("cohere-rerank", r"^rerank-(?:(?P<lang>english|multilingual)-)?(?:v-?)?(?P<ver>\d)"),
        ("jamba", r"^(?:ai21-)?jamba-(?:(?P<ver>\d+(?:-\d+)?))?-?(?P<tier>mini|large)?(?:-|$)"),
        ("codestral", r"^codestral(?:-(?P<ver>\d+))?(?:-|$)(?!mamba|embed)"),
        ("voxtral", r"^voxtral-(?P<tier>mini|small)"),
        ("wan", r"^wan-?(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        ("moonshot", r"^moonshot-(?:v-?)?(?P<ver>\d+)"),
        ("muse", r"^muse-(?P<tier>[a-z]+)"),
        ("hunyuan", r"^(?:hunyuan-|hy-?)(?P<ver>\d+)"),
        (
            "mistral",
            r"^(?P<line>mistral|magistral|devstral|pixtral|codestral)-(?P<tier>tiny|small|medium|large)(?:-|$)",
        ),
        # Alibaba's hosted tiers, also of a line (tier "coder-plus", ranked as "plus").
        (
            "qwen-api",
            r"^qwen-?(?P<ver>\d+(?:-\d+)?)?-(?:(?P<line>vl|coder|omni|math)-)?"
            r"(?P<tier>turbo|flash|plus|max)(?:-|$)",
        ),
        ("qwen", r"^qwen-?(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        # NVIDIA's tiers (nemotron-3-ultra), also of a Llama it was trained from: before llama.
        (
            "nemotron",
            r"^(?:llama-\d+(?:-\d+)?-|nvidia-)?nemotron(?:-(?P<ver>\d+(?:-\d+)?))?"
            r"(?:-(?P<tier>lightning|nano|super|ultra))?(?:-|$)",
        ),
        ("llama-4", r"^llama-4-(?P<tier>scout|maverick|behemoth)"),
        ("llama", r"^(?:meta-)?llama-(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        ("gemma", r"^gemma-(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        ("granite", r"^granite-(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        ("deepseek", r"^deepseek-(?:(?P<ver>\d+(?:-\d+)?)-)?(?P<tier>flash|pro)(?:-|$)"),
        (
            "deepseek",
            r"^deepseek-(?:(?P<tier>chat|reasoner)|r-?(?P<ver>\d)|(?P<ver2>\d+(?:-\d+)?))(?:-|$)",
        ),
        ("kimi", r"^kimi-(?:k-?(?P<ver>\d+(?:-\d+)?))(?:-|$)"),
        ("glm", r"^glm-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>air|flash|flashx|x|plus))?(?:-|$)"),
        ("minimax", r"^minimax-(?:m-?(?P<ver>\d+(?:-\d+)?)|text-01|(?P<tier>01))(?:-|$)"),
        ("sonar", r"^sonar(?:-(?P<tier>pro|reasoning|reasoning-pro|deep-research))?(?:-|$)"),
        ("whisper", r"^whisper(?:-(?P<tier>tiny|base|small|medium|large))?(?:-|$)"),
        (
            "voyage",
            r"^voyage-(?:(?P<ver>\d+(?:-\d+)?)-)?(?P<tier>lite|large|code|finance|law|multilingual|multimodal)?",
        ),
        ("voyage-rerank", r"^rerank-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>lite))?"),
        ("phi", r"^phi-(?P<ver>\d+(?:-\d+)?)-(?P<tier>mini|small|medium|vision|multimodal)"),
        ("flux", r"^flux-(?P<ver>\d+(?:-\d+)?)?-?(?:(?P<tier>schnell|dev|pro|kontext|ultra))"),
        ("flux", r"^flux-(?:(?P<ver>\d+(?:-\d+)?)-)?(?P<tier>[a-z]+)"),
        (
            "stable-diffusion",
            r"^(?:stable-diffusion|sd)-(?P<ver>\d+(?:-\d+)?)-(?P<tier>medium|large)",
        ),
        ("deepgram", r"^(?:deepgram-)?(?:nova|enhanced|base)(?:-(?P<ver>\d+))?(?:-|$)"),
        ("elevenlabs", r"^eleven-(?:multilingual|turbo|flash|english|monolingual|v|\d)"),
        ("mimo", r"^(?:xiaomi-)?mimo-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>flash|pro|omni))?(?:-|$)"),
        ("step", r"^step-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>flash|mini|turbo))?(?:-|$)"),
        (
            "seed",
            r"^(?:doubao-)?seed-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>mini|lite|turbo|pro|code))?(?:-|$)",
        ),
        ("seedance", r"^(?:doubao-)?seedance-?(?P<ver>\d+(?:-\d+)?)?(?:-(?P<tier>[a-z]+))?"),
        (
            "seedream",
            r"^(?:doubao-)?seedream(?:-image)?-?(?P<ver>\d+(?:-\d+)?)?(?:-(?P<tier>[a-z]+))?",
        ),
        ("qwen-image", r"^qwen-image(?:-(?P<ver>\d+(?:-\d+)?))?(?:-(?P<tier>pro|plus|max))?"),
        ("happyhorse", r"^happyhorse(?:-(?P<ver>\d+(?:-\d+)?))?"),
        ("grok-imagine-image", r"^grok-imagine-image(?:-(?P<tier>pro|quality))?"),
        (
            "grok-imagine-video",
            r"^grok-imagine-video(?:-(?P<ver>\d+(?:-\d+)?))?(?:-(?P<tier>lite))?",
        ),
        ("mai-image", r"^mai-image-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>flash|pro))?"),
        ("lyria", r"^lyria(?:-(?P<ver>\d+(?:-\d+)?))?(?:-(?P<tier>clip|pro|realtime))?(?:-|$)"),
        ("semantic-ranker", r"^semantic-ranker(?:-(?P<tier>default|fast))?"),
        ("soniox", r"^soniox-stt-(?P<tier>rt|async)"),
        ("aws-polly", r"^aws-polly-(?P<tier>standard|neural|long-form|generative)"),
        ("orpheus", r"^orpheus(?:-|$)"),
        ("bge", r"^bge-(?P<tier>small|base|large)(?:-en)?(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("gte", r"^gte-(?P<tier>small|base|large)(?:-en)?(?:-|$)"),
        ("stable-image", r"^stable-image-(?P<tier>core|ultra)"),
        ("marengo", r"^marengo-embed-(?P<ver>\d+(?:-\d+)?)"),
        ("pegasus", r"^pegasus-(?P<ver>\d+(?:-\d+)?)"),
        ("playground", r"^playground-(?P<ver>\d+(?:-\d+)?)"),
        ("kling", r"^kling(?:-video)?-(?P<ver>\d+(?:-\d+)?)"),
        ("hailuo", r"^(?:minimax-)?hailuo-(?P<ver>\d+(?:-\d+)?)"),
        ("ideogram", r"^ideogram(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("distil-whisper", r"^distil-(?:whisper-)?(?P<tier>small|medium|large)"),
        ("assemblyai", r"^assemblyai-(?P<tier>best|nano|universal|slam)"),
        ("doubao-embedding", r"^doubao-embedding(?:-(?P<tier>large|vision))?"),
        ("chirp", r"^chirp-(?P<ver>2)$"),
        ("glm-v", r"^glm-(?P<ver>\d+(?:-\d+)?)v(?:-(?P<tier>[a-z]+))?(?:-|$)"),
        ("jina-reranker", r"^jina-reranker-(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        ("jina-embeddings", r"^jina-embeddings-(?P<ver>\d+(?:-\d+)?)(?:-|$)"),
        ("recraft", r"^recraft-?v?-?(?P<ver>\d+)(?:-|$)"),
        (
            "runway-gen",
            r"^(?:runwayml-)?gen-?(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>turbo|aleph))?(?:-|$)",
        ),
        ("luma-ray", r"^(?:luma-)?ray-(?P<ver>\d+(?:-\d+)?)(?:-(?P<tier>flash))?(?:-|$)"),
        ("mai", r"^mai-(?P<tier>thinking|code|cyber|voice)(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("scribe", r"^scribe(?:-(?P<ver>\d+))?(?:-|$)"),
        ("minimax-speech", r"^(?:minimax-)?speech-(?P<ver>\d+(?:-\d+)?)-(?P<tier>hd|turbo)"),
        ("glm", r"^glm-(?P<ver>\d+(?:-\d+)?)-(?P<tier>flash)(?:-|$)"),
        # Versions of known families with a tier word the catalog has not seen (claude-fable-5,
        # gemini-4-argon, gpt-chat-latest): the family's size class over all its tiers.
        ("claude", r"^claude-(?P<tier>[a-z]+)(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("gemini", r"^gemini-(?P<ver>\d+(?:-\d+)?)-(?P<tier>[a-z]+)(?:-|$)"),
        ("gemini", r"^gemini-(?P<tier>[a-z]+)(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("gpt", r"^gpt-(?P<tier>[a-z]+)(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("grok", r"^grok-(?P<tier>[a-z]+)(?:-(?P<ver>\d+(?:-\d+)?))?(?:-|$)"),
        ("command", r"^command(?:-(?P<tier>[a-z]+))?(?:-|$)"),
        (
            "mistral",
            r"^(?P<line>mistral|magistral|devstral|codestral|ministral)(?:-(?P<tier>[a-z]+))?(?:-|$)",
        ),
    )
)

# Tier order within a family, smallest first (issue 18.2; checked by a test over the catalog).
TIER_ORDER: dict[str, tuple[str, ...]] = {
    "gpt": ("nano", "mini", "", "pro"),
    "o-series": ("mini", "", "pro"),
    "openai-transcribe": ("mini", ""),
    "openai-tts": ("", "hd"),
    "openai-gpt-tts": ("mini", ""),
    "openai-realtime": ("mini", ""),
    "gpt-image": ("mini", ""),
    "openai-embedding": ("small", "large"),
    "claude": ("haiku", "sonnet", "opus"),
    "gemini": ("flash-lite", "flash", "pro", "ultra"),
    "gemini-tts": ("flash-lite", "flash", "pro"),
    "grok": ("mini", "", "heavy"),  # fast and code are other lines, not sizes
    "nova": ("micro", "lite", "pro", "premier"),
    "titan-text": ("lite", "express", "premier"),
    "command": ("light", "r7b", "r", "r-plus", "a"),
    "jamba": ("mini", "large"),
    "mistral": ("tiny", "small", "medium", "large"),
    "qwen-api": ("turbo", "flash", "plus", "max"),
    "nemotron": ("lightning", "nano", "super", "ultra"),  # Lightning 3.5 is 30B-A3B, as a Nano
    "glm": ("flash", "flashx", "air", "x", "plus", ""),
    "sonar": ("", "pro"),  # sonar-reasoning runs another base model (R1), not a size tier
    "whisper": ("tiny", "base", "small", "medium", "large"),
    "voxtral": ("mini", "small"),
    "phi": ("mini", "small", "medium"),
    "llama-4": ("scout", "maverick", "behemoth"),
    "deepseek": ("flash", "", "pro"),
    "mimo": ("flash", "", "pro"),
    "step": ("mini", "flash", ""),
    "seed": ("mini", "lite", "pro"),
    "gemini-image": ("flash-lite", "flash", "pro"),
}
# Tier of a family name that names none (``whisper`` is OpenAI's whisper-1, large-v2;
# ``nano-banana`` is Gemini 2.5 Flash Image).
DEFAULT_TIER: dict[str, str] = {"whisper": "large", "gemini-image": "flash"}


@dataclass(frozen=True)
class Family:
    family: str
    tier: str
    version: tuple[int, ...]


def family_of(name: str) -> Family | None:
    """Family, tier and version of a model name (canonical form), or None."""
    s = canonical(name)
    for family, pattern in FAMILIES:
        m = pattern.match(s)
        if m is None:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v}
        tier = groups.get("tier") or groups.get("tier2") or DEFAULT_TIER.get(family, "")
        if groups.get("line", "mistral") != "mistral":
            tier = "-".join(t for t in (groups["line"], tier) if t)
        raw = groups.get("ver") or groups.get("ver2") or ""
        version = tuple(int(x) for x in re.findall(r"\d+", raw))
        return Family(family, tier, version)
    return None


@cache
def _tier_rank(family: str, tier: str) -> int:
    order = TIER_ORDER.get(family, ())
    base = tier.split("-")[-1] if family in ("mistral", "qwen-api") else tier
    return order.index(base) if base in order else -1


# A registry tag after a colon (``qwen3:8b``, ``deepseek-r1:latest``), not a Bedrock version
# (``mistral.mistral-large-2407-v1:0``, ``...-v1:0:200k``).
_OLLAMA_TAG = re.compile(r"^(?!.*-v\d+:\d).*:[^:]+$")
_FAMILY_ROWS: weakref.WeakKeyDictionary[Catalog, dict[tuple[str, str], list]] = (
    weakref.WeakKeyDictionary()
)


def family_rows(catalog: Catalog) -> dict[tuple[str, str], list[tuple[tuple[int, ...], int]]]:
    """(family, tier) -> [(version, row)] of every catalog row whose id or an alias parses as a
    family member and which has a parameter count."""
    cached = _FAMILY_ROWS.get(catalog)
    if cached is not None:
        return cached
    models = catalog.models
    out: dict[tuple[str, str], list] = {}
    for i in range(len(models)):
        if not np.isfinite(models["total_params_billions"][i]):
            continue
        # Aliases first: they carry the vendor's spelling ("claude-3-5-sonnet"), ids may not; the
        # first spelling of each (family, tier) gives the version, unless it is another
        # spelling's version squeezed ("llama_v31_8b" -> 31 where "llama-3.1-8b" says 3.1).
        # An Ollama tag ("deepseek-r1:latest" is a fine-tune of Qwen3 8B) names one build, not
        # a family member: it makes no row a member (Bedrock's "-v1:0" versions do).
        aliases = (models["aliases"][i] or "").split("|")
        names = [*(a for a in aliases if not _OLLAMA_TAG.search(a)), models["model_id"][i]]
        parsed: dict[tuple[str, str], list[tuple[int, ...]]] = {}
        for name in names:
            fam = family_of(name) if name else None
            if fam is not None:
                parsed.setdefault((fam.family, fam.tier), []).append(fam.version)
        for key, versions in parsed.items():
            spelt = {"".join(map(str, v)) for v in versions if len(v) > 1}
            unsqueezed = [v for v in versions if not (len(v) == 1 and str(v[0]) in spelt)]
            out.setdefault(key, []).append(((unsqueezed or versions)[0], i))
    for rows in out.values():
        rows.sort()
    _FAMILY_ROWS[catalog] = out
    return out


def _low_high(catalog: Catalog, row: int, kind: str) -> tuple[float, float, float]:
    models = catalog.models
    point = float(models[f"{kind}_params_billions"][row])
    if kind == "active" and not np.isfinite(point):
        point = float(models["total_params_billions"][row])
    low = float(models[f"{kind}_params_low_billions"][row])
    high = float(models[f"{kind}_params_high_billions"][row])
    return point, low if np.isfinite(low) else point, high if np.isfinite(high) else point


def _method(task: str | None) -> str:
    return TASK_METHOD.get(task or "text-generation", "")


def _nearest(members: list[tuple[tuple[int, ...], int]], version: tuple[int, ...]) -> int:
    """Row of the listed version nearest ``version``: the latest at or below it, else the
    earliest above; an unversioned name takes the latest."""
    below = [m for m in members if m[0] <= version] if version else members
    return (below[-1] if below else members[0])[1]


def _plain(catalog: Catalog, row: int) -> str:
    return catalog.models["model_id"][row].replace("_", "-")


def _tier_members(
    catalog: Catalog, fam: Family, method: str | None
) -> tuple[list[tuple[tuple[int, ...], int]], list[int], str]:
    """(members of the range, rows whose sizes give the point, how) for ``fam``:

    - its own tier's listed versions (point: the nearest version);
    - a tier of :data:`TIER_ORDER` without listed members: the nearest ranked tier that has
      some (``flash-lite`` TTS -> ``flash`` TTS);
    - a tier word the catalog has not seen (``claude-fable-5``): every tier of the family, the
      point from the nearest version of each tier (geometric mean, see :func:`family_match`).

    Only members whose task runs by ``method`` (text, encoder, ...; None: any) count."""
    rows = family_rows(catalog)
    tiers = {
        tier: [m for m in members if method in (None, _method(catalog.models["task"][m[1]]))]
        for (family, tier), members in rows.items()
        if family == fam.family
    }
    if method is None:
        # A name that says no task: the family's plain members (not its "-tts" or "-image" rows).
        tiers = {
            t: [m for m in members if task_of(_plain(catalog, m[1])) is None] or members
            for t, members in tiers.items()
        }
    tiers = {t: m for t, m in tiers.items() if m}
    if not tiers:
        return [], [], ""
    if fam.tier in tiers:
        members = tiers[fam.tier]
        return members, [_nearest(members, fam.version)], f"{fam.tier or '(base)'} tier"
    rank = _tier_rank(fam.family, fam.tier)
    ranked = [
        (abs(_tier_rank(fam.family, t) - rank), "-" in t, _tier_rank(fam.family, t), t)
        for t in tiers
        if _tier_rank(fam.family, t) >= 0
    ]
    if rank >= 0 and ranked:
        # Ties: the family's own tier before a line's ("plus" before "coder-plus"), then the
        # smaller tier.
        tier = min(ranked)[3]
        members = tiers[tier]
        how = f"{fam.tier or '(base)'} tier unlisted, nearest tier {tier or '(base)'}"
        return members, [_nearest(members, fam.version)], how
    members = sorted(m for listed in tiers.values() for m in listed)
    points = [_nearest(listed, fam.version) for listed in tiers.values()]
    return members, points, f"tier {fam.tier or '(none)'} unlisted, all {len(tiers)} tiers"


def family_match(catalog: Catalog, name: str, task: str | None = None) -> Match | None:
    """Step 3: an unlisted member of a known family (:func:`_tier_members` picks the listed
    members). The size is that of the nearest listed version (the latest at or below the
    requested one, else the earliest above); for a tier word the catalog has not seen, the
    geometric mean over the family's tiers. The range spans every member's range, widened by
    :data:`FAMILY_RANGE_FACTOR`. A size written in the name (``qwen3.8-27b``) replaces the size
    class. A name that says another task than the family's (``qwen3-embedding-8b``,
    ``gemini-3-pro-image``, ``voxtral-mini-tts``; ``task``: what the whole name says, else
    what ``name`` says) takes no answer from it; a name that says none takes the family's."""
    fam = family_of(name)
    if fam is None:
        return None
    said = task or task_of(name)
    members, points, how = _tier_members(catalog, fam, _method(said) if said else None)
    if not members:
        return None
    models = catalog.models
    sizes = np.array(
        [[_low_high(catalog, r, "total")[0], _low_high(catalog, r, "active")[0]] for r in points]
    )
    total, active = sizes[0] if len(points) == 1 else np.exp(np.log(sizes).mean(axis=0))
    # The listed row nearest the point answers the task and appears in debug.
    row = points[int(np.argmin(np.abs(np.log(sizes[:, 1] / active))))]
    t_low = min(_low_high(catalog, r, "total")[1] for _, r in members)
    t_high = max(_low_high(catalog, r, "total")[2] for _, r in members)
    a_low = min(_low_high(catalog, r, "active")[1] for _, r in members)
    a_high = max(_low_high(catalog, r, "active")[2] for _, r in members)
    k = FAMILY_RANGE_FACTOR
    detail = f"{fam.family} {how}, size class of {models['model_id'][row]!r}"
    if len(points) > 1:
        detail = f"{fam.family} {how}, geometric mean of their sizes"
    sized = size_of(name)
    row_total = _low_high(catalog, row, "total")[0]
    if sized is not None and abs(sized[0] / row_total - 1) <= SIZE_RANGE_FRACTION:
        # The size in the name is the listed member's (gpt-oss-safeguard-20b: gpt-oss-20b,
        # 21 B with 3.6 B active): its own counts and range.
        total, active = row_total, _low_high(catalog, row, "active")[0]
        t_low, t_high = _low_high(catalog, row, "total")[1:]
        a_low, a_high = _low_high(catalog, row, "active")[1:]
        k = 1.0
        detail = f"{fam.family} family, size in name as {models['model_id'][row]!r}"
    elif sized is not None:
        total, active = sized
        t_low, t_high = total * (1 - SIZE_RANGE_FRACTION), total * (1 + SIZE_RANGE_FRACTION)
        a_low, a_high = active * (1 - SIZE_RANGE_FRACTION), active * (1 + SIZE_RANGE_FRACTION)
        k = 1.0
        detail = f"{fam.family} family, size in name"
    return Match(
        row,
        "family",
        detail,
        float(total),
        float(active),
        (t_low / k, t_high * k),
        (a_low / k, a_high * k),
        models["task"][row],
    )
