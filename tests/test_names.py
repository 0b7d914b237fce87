"""Model names as logs carry them resolve (catalog/names.py), the prefix selects the serving
profile, fallbacks say so and can be refused, tiers keep their order, and a public list of
proxy model ids mostly resolves."""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import orjson
import pytest

import ai_impact
from ai_impact import bigquery
from ai_impact import catalog as cat
from ai_impact.catalog import coverage, names
from ai_impact.tasks import TASK_METHOD
from conftest import Tokens, call

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_LIST = ROOT / "tests" / "data" / "litellm_model_ids.txt"
PUBLIC_MODES = ROOT / "tests" / "data" / "litellm_model_modes.tsv"


@pytest.fixture(scope="module")
def catalog() -> cat.Catalog:
    return cat.default()


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("anthropic/claude-3-5-sonnet", "claude_35_sonnet"),
        ("bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "claude_3_sonnet"),
        ("bedrock/us-east-1/us.anthropic.claude-3-5-sonnet-20241022-v2:0", "claude_35_sonnet"),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude_37_sonnet"),
        ("apac.anthropic.claude-sonnet-4-20250514-v1:0", "claude_sonnet_4"),
        ("claude-3-5-sonnet@20240620", "claude_35_sonnet"),
        ("vertex_ai/claude-3-7-sonnet@20250219", "claude_37_sonnet"),
        ("claude-3.5-sonnet", "claude_35_sonnet"),
        ("claude-3-7-sonnet", "claude_37_sonnet"),
        ("CLAUDE-SONNET-4.5", "claude_sonnet_45"),
        ("gemini-2.0-flash-001", "gemini_20_flash"),
        ("vertex_ai/gemini-2.5-flash-preview-05-20", "gemini_25_flash"),
        ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "llama_33_70b"),
        ("fireworks_ai/accounts/fireworks/models/llama-v3p1-70b-instruct", "llama_31_70b"),
        ("groq/llama-3.1-8b-instant", "llama_31_8b"),
        ("deepinfra/meta-llama/Meta-Llama-3.1-8B-Instruct", "llama_31_8b"),
        ("openrouter/qwen/qwen3-30b-a3b:free", "qwen3_30b_a3b"),
        ("openrouter/deepseek/deepseek-r1:free", "deepseek_r1"),
        ("azure/gpt-4o-2024-08-06", "gpt_4o"),
        ("gpt-4-0613", "gpt_4"),
        ("gpt-4o-mini-2024-07-18", "gpt_4o_mini"),
        ("o3", "o3"),
        ("qwen2.5-72b", "qwen25_72b"),
        ("Qwen/Qwen2.5-72B-Instruct-AWQ", "qwen25_72b"),
        ("meta-llama/Llama-3.1-8B-Instruct-FP8", "llama_31_8b"),
        ("ft:gpt-4o-2024-08-06:my-org::abc123", "gpt_4o"),
        ("databricks/databricks-claude-3-7-sonnet", "claude_37_sonnet"),
    ],
)
def test_real_id_shapes_resolve_to_the_model(
    catalog: cat.Catalog, name: str, model_id: str
) -> None:
    match = names.find_model(catalog, name, "exact")
    assert match is not None, name
    assert catalog.models["model_id"][match.row] == model_id
    assert match.how not in names.FALLBACK_STEPS


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("claude-3.5-sonnet", "claude-3-5-sonnet"),
        ("claude-sonnet-4-5", "claude-4-5-sonnet"),
        ("llama-v3p1-8b", "llama-3-1-8b"),
        ("Qwen2.5_72B", "qwen-2-5-72b"),
        ("llama3.1:8b", "llama-3-1-8b"),
    ],
)
def test_canonical_spelling(text: str, canonical: str) -> None:
    assert names.canonical(text) == canonical


@pytest.mark.parametrize(
    ("name", "total", "active"),
    [
        ("acme-70b-chat", 70, 70),
        ("foo-405B", 405, 405),
        ("tiny-1.5b-instruct", 1.5, 1.5),
        ("bar-30b-a3b", 30, 3),
        ("baz-8x22b", 8 * 22 * 46.7 / 56, 2 * 22 * 12.9 / 14),
        ("embedder-335m", 0.335, 0.335),
        ("ollama/foo:8b", 8, 8),
        ("Qwen/Qwen3.8-2.4T-A95B", 2400, 95),  # trillions (before: no size, the family's 8.8 B)
        ("inclusionai/ling-1t", 1000, 1000),
        ("google/gemma-4-E4B-it", 4, 4),  # effective size (before: the family's 12.2 B)
    ],
)
def test_sizes_in_names(name: str, total: float, active: float) -> None:
    assert names.size_of(name) == pytest.approx((total, active))


def test_mixture_rule_matches_mixtral_8x22b_within_5_percent() -> None:
    total, active = names.size_of("mixtral-8x22b")
    assert total == pytest.approx(140.6, rel=0.05)  # Mistral AI: 141 B total
    assert active == pytest.approx(39.1, rel=0.05)  # 39 B active


def test_no_size_in_plain_names() -> None:
    for name in (
        "gpt-4o",
        "claude-3-haiku",
        "o3-mini",
        "text-embedding-3-small",
    ):
        assert names.size_of(name) is None, name


def _one(row: dict, **options: object) -> dict:
    return ai_impact.estimate([row], debug=True, **options)[0]


def assert_resolves_to(catalog: cat.Catalog, name: str, model_id: str) -> None:
    match = names.find_model(catalog, name)
    assert match is not None and match.row is not None
    assert catalog.models["model_id"][match.row] == model_id, match.detail


@pytest.mark.parametrize(
    ("name", "like"),
    [
        ("claude-opus-4-7", "claude_opus_46"),
        ("gpt-5.6-mini", "gpt_54_mini"),
        ("gemini-3.7-flash-lite", "gemini_31_flash_lite"),
        ("grok-4.3", "grok_4"),
        ("gpt-5.1-codex-mini", "gpt_5_mini"),  # a line word before the tier
    ],
)
def test_unlisted_versions_resolve_by_family(catalog: cat.Catalog, name: str, like: str) -> None:
    out = _one({"model_id": name, "output_tokens": 100})
    assert out["error"] is None
    assumptions = out["debug"]["assumptions"]
    assert assumptions["model_resolved_by"] == "family"
    row = catalog.models.find(like)
    assert assumptions["active_params_billions"] == pytest.approx(
        catalog.models["active_params_billions"][row]
    )
    match = names.find_model(catalog, name)
    low, high = match.active_range
    assert low < match.active_params_billions < high
    assert high / low >= names.FAMILY_RANGE_FACTOR**2  # a wide range


def test_family_with_a_size_in_the_name_takes_the_size() -> None:
    out = _one({"model_id": "qwen3.8-27b", "output_tokens": 100})
    assert out["debug"]["assumptions"]["model_resolved_by"] == "family"
    assert out["debug"]["assumptions"]["total_params_billions"] == 27


@pytest.mark.parametrize("name", ["acme-70b", "mixtral-8x22b-custom", "foo-30b-a3b", "bar-1.5b"])
def test_names_with_a_size_resolve_by_size(name: str) -> None:
    out = _one({"model_id": name, "output_tokens": 100})
    assert out["error"] is None
    assert out["debug"]["assumptions"]["model_resolved_by"] == "size"


@pytest.mark.parametrize("name", ["claude-opus-4-7", "acme-70b", "qwen3.8-27b"])
def test_exact_match_refuses_fallbacks(name: str) -> None:
    out = _one({"model_id": name, "output_tokens": 100}, model_match="exact")
    assert out["error"]["code"] == "unknown_model"
    assert out["inference_impact"]["usage_energy_wh"] == 0
    # Spellings of a listed model are not fallbacks.
    assert (
        _one({"model_id": "azure/gpt-4o-2024-08-06", "output_tokens": 100}, model_match="exact")[
            "error"
        ]
        is None
    )


def test_bad_model_match_value_is_refused() -> None:
    with pytest.raises(ValueError, match="model_match"):
        ai_impact.estimate([{"model_id": "gpt-4o"}], model_match="loose")


def test_nothing_known_stays_unknown() -> None:
    out = _one({"model_id": "not-a-model", "output_tokens": 10})
    assert out["error"]["code"] == "unknown_model"


@pytest.mark.parametrize(
    ("name", "service"),
    [
        ("azure/gpt-4o", "azure-openai"),
        ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "aws-bedrock"),
        ("bedrock_converse/us.amazon.nova-pro-v1:0", "aws-bedrock"),
        ("vertex_ai/gemini-2.5-pro", "google-vertex"),
        ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together"),
        ("us.anthropic.claude-3-5-sonnet-20241022-v2:0", "aws-bedrock"),
        ("claude-3-5-sonnet@20240620", "google-vertex"),
    ],
)
def test_prefix_selects_the_serving_profile(name: str, service: str) -> None:
    out = _one({"model_id": name, "output_tokens": 100})
    assert out["debug"]["hardware_node"]["managed_service_id"] == service
    assert (
        out["debug"]["assumptions"]["hardware_resolved_by"] == "model prefix service default node"
    )


def test_bare_names_select_no_service(catalog: cat.Catalog) -> None:
    for name in ("gpt-4o", "claude-3-haiku", "llama3.1:8b", "mistral-large-latest"):
        assert names.provider_service(catalog, name) is None, name


def test_row_service_wins_over_prefix() -> None:
    out = _one({"model_id": "azure/gpt-4o", "managed_service_id": "openai", "output_tokens": 1})
    assert out["debug"]["hardware_node"]["managed_service_id"] == "openai"


def test_unknown_managed_service_is_not_silent() -> None:
    out = _one({"model_id": "gpt-4o", "managed_service_id": "acme-cloud", "output_tokens": 1})
    assert "'acme-cloud' unknown" in out["debug"]["assumptions"]["hardware_resolved_by"]


def _larger(small: tuple[float, float], big: tuple[float, float]) -> bool:
    """A larger tier: no smaller in active nor in total parameters, and larger in one. A dense
    tier and a mixture of experts next to it (Mistral Medium 3, 52.7 B dense by the price fit,
    and Mistral Large 3, 675 B with 41 B active) are ordered by the total; the active sizes of
    two price-fitted tiers at near-equal prices lie within the fit's error (x1.66) of each
    other, so only the order where both counts agree would be a fact."""
    return (big[0] >= small[0] and big[1] >= small[1]) or (big[0] > small[0]) != (big[1] > small[1])


def test_tiers_are_ordered_in_every_family(catalog: cat.Catalog) -> None:
    """nano < mini < base < pro; haiku < sonnet < opus; flash-lite < flash < pro; ... for every
    family and version of the catalog with two or more tiers (issue 18.2): a higher tier is
    never smaller in both active and total parameters (:func:`_larger`)."""
    models = catalog.models
    groups: dict[tuple, list[tuple[int, float, str]]] = {}
    for (family, tier), members in names.family_rows(catalog).items():
        rank = names._tier_rank(family, tier)
        if rank < 0:
            continue
        for version, row in members:
            total = float(models["total_params_billions"][row])
            active = float(models["active_params_billions"][row])
            size = (active if np.isfinite(active) else total, total)
            groups.setdefault((family, version), []).append((rank, size, models["model_id"][row]))
    checked = 0
    for key, members in groups.items():
        members = sorted(set(members))
        for (r1, a1, m1), (r2, a2, m2) in itertools.pairwise(members):
            if r1 < r2 and m1 != m2:
                # Llama 4 Scout and Maverick: 17 B active each, 109 B and 400 B in total.
                assert a1 != a2 and _larger(a1, a2), f"{key}: {m1} ({a1} B) vs {m2} ({a2} B)"
                checked += 1
    assert checked >= 15


def test_closed_rows_have_evidence_and_a_range(catalog: cat.Catalog) -> None:
    models = catalog.models
    for i in range(len(models)):
        if models["params_is_estimate"][i] != "yes":
            continue
        assert models["size_method"][i], models["model_id"][i]
        assert models["size_evidence"][i], models["model_id"][i]
        for kind in ("total", "active"):
            assert np.isfinite(models[f"{kind}_params_low_billions"][i]), models["model_id"][i]
            assert np.isfinite(models[f"{kind}_params_high_billions"][i]), models["model_id"][i]
    for kind in ("total", "active"):
        point = models[f"{kind}_params_billions"]
        low, high = models[f"{kind}_params_low_billions"], models[f"{kind}_params_high_billions"]
        ranged = np.isfinite(low)
        assert (low[ranged] <= point[ranged] * 1.0001).all()
        assert (high[ranged] >= point[ranged] * 0.9999).all()


def test_the_earlier_placeholder_sizes_are_gone(catalog: cat.Catalog) -> None:
    """gpt-4o, claude-sonnet-4 and both Gemini Flash models shared 440 B / 76 B (issue 18)."""
    models = catalog.models
    active = {
        m: models["active_params_billions"][models.find(m)]
        for m in ("gpt-4o", "claude-sonnet-4", "gemini-2.0-flash", "gemini-2.5-flash")
    }
    assert len(set(active.values())) == 4, active
    haiku, mini = models.find("claude-3-haiku"), models.find("gpt-4o-mini")
    ratio = models["active_params_billions"][haiku] / models["active_params_billions"][mini]
    assert ratio < 4


def test_generator_reproduces_models_csv() -> None:
    script = ROOT / "scripts" / "catalog" / "build_models.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "leave-one-out RMS error" in done.stdout


EVERYDAY = [
    "o3",
    "mistral-large-latest",
    "qwen2.5-72b",
    "anthropic/claude-3-5-sonnet",
    "bedrock/anthropic.claude-3-sonnet-20240229-v1:0",
    "claude-3-7-sonnet",
    "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    "azure/gpt-4o",
    "gpt-5.1",
    "claude-opus-4-5",
    "gemini-3-pro-preview",
    "deepseek-v3.2",
    "kimi-k2-thinking",
    "glm-4.6",
    "xai/grok-4",
    "amazon.nova-pro-v1:0",
    "qwen3-235b-a22b-instruct-2507",
    # Unlisted versions (issue 12): by family, or by family and the size in the name.
    "claude-opus-4-7",
    "gpt-5.6-mini",
    "gemini-3.7-flash-lite",
    "qwen3.8-27b",
]


@pytest.mark.parametrize("name", EVERYDAY)
def test_everyday_names_resolve(name: str) -> None:
    out = _one({"model_id": name, "output_tokens": 100})
    assert out["error"] is None, (name, out["error"])


def test_public_proxy_list_coverage(catalog: cat.Catalog) -> None:
    """LiteLLM's public list of 4,575 model ids: at least 95 % resolve by some step (issue 12;
    95.6 % when written, docs/methodology.md "Coverage")."""
    report = coverage.coverage(coverage.read_names(PUBLIC_LIST), catalog)
    assert report.total == 4575
    assert report.resolved_share >= 0.95, coverage.format_report(report, 20)
    assert report.share("family") + report.share("size") < 0.6  # most answers are not fallbacks


def test_coverage_cli_reads_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "spend.csv"
    csv_file.write_text("model,spend\nazure/gpt-4o,1\nazure/gpt-4o,2\nnot-a-model,3\n")
    jsonl = tmp_path / "spend.jsonl"
    jsonl.write_text('{"model": "gpt-4o"}\n{"model": "acme-70b"}\n')
    assert coverage.read_names(csv_file) == ["azure/gpt-4o", "azure/gpt-4o", "not-a-model"]
    report = coverage.coverage(coverage.read_names(jsonl))
    assert report.by_step["id"] == 1 and report.by_step["size"] == 1
    done = subprocess.run(
        [sys.executable, "-m", "ai_impact.catalog.coverage", str(csv_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "unresolved" in done.stdout and "not-a-model" in done.stdout


def _bigquery(context: dict | None) -> tuple[int, dict]:
    envelope = {
        "requestId": "r",
        "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
        "calls": [
            [{"model_id": "acme-70b", "output_tokens": 10}],
            [{"model_id": "gpt-4o", "output_tokens": 10}],
        ],
    }
    if context is not None:
        envelope["userDefinedContext"] = context
    outcome = bigquery.handle(orjson.dumps(envelope), lambda project: ai_impact.estimate)
    return outcome.status, orjson.loads(outcome.body)


def test_model_match_on_the_bigquery_door() -> None:
    status, body = _bigquery(None)
    assert status == 200 and body["replies"][0]["error"] is None
    status, body = _bigquery({"model_match": "exact"})
    assert status == 200
    assert body["replies"][0]["error"]["code"] == "unknown_model"
    assert body["replies"][1]["error"] is None
    status, body = _bigquery({"model_match": "loose"})
    assert status == 400 and "model_match" in body["errorMessage"]


def test_model_match_on_the_rest_door(server: str, tokens: Tokens) -> None:
    rows = {"rows": [{"model_id": "acme-70b", "output_tokens": 10}]}
    loose = call(f"{server}/v1/impact", "POST", tokens.owner, rows).json()
    assert loose["rows"][0].get("error") is None
    exact = call(f"{server}/v1/impact?model_match=exact", "POST", tokens.owner, rows).json()
    assert exact["rows"][0]["error"]["code"] == "unknown_model"
    bad = call(f"{server}/v1/impact?model_match=loose", "POST", tokens.owner, rows)
    assert bad.status == 400 and bad.json()["details"]["field"] == "model_match"


# LiteLLM's mode (the endpoint kind) -> the estimation method a model of that mode runs by.
MODE_METHOD = {
    "chat": "text",
    "completion": "text",
    "responses": "text",
    "realtime": "text",
    "embedding": "encoder",
    "rerank": "encoder",
    "image_generation": "image_generation",
    "video_generation": "image_generation",
    "audio_transcription": "speech_to_text",
    "audio_speech": "audio_generation",
}
# Ids whose LiteLLM mode and catalog task differ by the catalog's choice: Voxtral is an
# audio-in model served on chat endpoints (catalog: speech to text); LiteLLM files
# gemini-flash-experimental under embedding.
MODE_EXCEPTIONS = ("voxtral-small", "voxtral-mini-3b", "gemini-flash-experimental")


def _resolved_task(catalog: cat.Catalog, name: str) -> str | None:
    match = names.find_model(catalog, name)
    if match is None:
        return None
    return match.task or catalog.models["task"][match.row]


def test_no_public_id_resolves_to_another_modality(catalog: cat.Catalog) -> None:
    """Every resolved id of the public list runs by the method of its LiteLLM mode (an
    embedding model is never estimated as chat, an image model never as text). A chat-served
    model whose name says its task (``llama-guard``, ``flux-1-dev``, ``lyria-3``) may keep it."""
    wrong = []
    checked = 0
    for line in PUBLIC_MODES.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        name, mode = line.split("\t")
        task = _resolved_task(catalog, name)
        if task is None or mode not in MODE_METHOD:
            continue
        checked += 1
        method = TASK_METHOD[task]
        if method == MODE_METHOD[mode]:
            continue
        said = names.task_of(name)
        chat_served = MODE_METHOD[mode] == "text" and said is not None
        if chat_served and TASK_METHOD[said] == method:
            continue
        if any(e in name for e in MODE_EXCEPTIONS):
            continue
        wrong.append((name, mode, task))
    assert checked > 4000
    assert not wrong, wrong[:20]


@pytest.mark.parametrize(
    ("name", "task"),
    [
        ("fireworks_ai/accounts/fireworks/models/qwen3-embedding-8b", "text-embedding"),
        ("fireworks_ai/accounts/fireworks/models/qwen3-reranker-0p6b", "text-classification"),
        ("gemini/gemini-3.1-flash-image-preview", "text-to-image"),
        ("vertex_ai/gemini-3-pro-image-preview", "text-to-image"),
        ("mistral/voxtral-mini-tts-2603", "text-to-speech"),
        ("gpt-realtime-whisper", "speech-to-text"),
        ("dashscope/happyhorse-1.1-i2v", "image-generation"),
        ("xai/grok-imagine-video-1.5", "image-generation"),
        ("gemini/lyria-3-pro-preview", "music-generation"),
        ("vertex_ai/semantic-ranker-fast-004", "text-classification"),
    ],
)
def test_fallbacks_keep_the_task_the_name_says(catalog: cat.Catalog, name: str, task: str) -> None:
    assert _resolved_task(catalog, name) == task


@pytest.mark.parametrize(
    "name", ["amazon.nova-2-multimodal-embeddings-v1:0", "gemini/gemini-3.5-transcribe"]
)
def test_a_name_of_another_task_than_its_family_stays_unknown(
    catalog: cat.Catalog, name: str
) -> None:
    """Nova 2 embeddings are not Deepgram's Nova speech model, Gemini transcription is not a
    Gemini chat model: with no catalog row of that task, nothing is known."""
    assert names.find_model(catalog, name) is None


def test_vendor_prefix_never_leaves_a_bare_tier(catalog: cat.Catalog) -> None:
    """``mistral-large-3`` without its vendor is not ``large-v3`` (a Whisper alias)."""
    for name in ("mistral/mistral-large-3", "azure_ai/mistral-large-3"):
        match = names.find_model(catalog, name)
        assert match is not None
        row = match.row if match.row is not None else -1
        assert "mistral" in catalog.models["model_id"][row], name
        assert _resolved_task(catalog, name) == "text-generation"


@pytest.mark.parametrize(
    ("name", "like"),
    [
        ("mistral-medium-2508", "mistral_medium_3"),
        ("mistral/mistral-medium-latest", "mistral_medium_3"),
        ("whisper-medium", "whisper_medium"),
        ("gpt-5-high", "gpt_5"),
        ("o4-mini-low", "o4_mini"),
        ("CohereForAI/c4ai-command-r-plus-08-2024", "command_r_plus"),  # -MM-YYYY version
    ],
)
def test_version_and_effort_suffixes(catalog: cat.Catalog, name: str, like: str) -> None:
    """``-medium`` after a version is a reasoning effort (``gpt-5-high``); after a family name it
    is the size tier: ``mistral-medium-2508`` is Mistral Medium, not ``mistral`` (Mistral 7B).
    Cohere's ``-MM-YYYY`` is a version suffix."""
    assert_resolves_to(catalog, name, like)


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("ollama/llama3.1", "llama_31_8b"),
        ("ollama_chat/llama3", "llama_3_8b"),
        ("llama2", "llama_2_7b"),
        ("qwen2.5:latest", "qwen25_7b"),
        ("qwen3", "qwen3_8b"),
        ("gemma2", "gemma_2_9b"),
        ("gpt-oss", "gpt_oss_20b"),
        ("llama3.2-vision", "llama_32_11b_vision"),
        ("granite4:micro-h", "granite_4_micro"),
        ("ollama/granite4:small-h", "granite_4_small"),
        ("deepseek-r1:latest", "qwen3_8b"),  # DeepSeek-R1-0528-Qwen3-8B
        ("ollama/codellama", "codellama_7b"),
        ("codegemma:latest", "codegemma_7b"),
        ("starcoder2", "starcoder2_3b"),
    ],
)
def test_an_untagged_ollama_name_is_its_latest_tag(
    catalog: cat.Catalog, name: str, model_id: str
) -> None:
    """Ollama names a model without a size tag as ``name:latest`` (its default size): before,
    ``llama3.1`` fell to the family step and took the last-listed 3.1 row (Sonar, 70 B)."""
    assert_resolves_to(catalog, name, model_id)


def test_an_ollama_tag_makes_no_row_a_family_member(catalog: cat.Catalog) -> None:
    """``deepseek-r1:latest`` is an alias of Qwen3 8B (Ollama's default build is the 8 B
    distillation): the tag must not make Qwen3 8B a DeepSeek R1, or an unlisted DeepSeek R1
    name would take 8 B instead of DeepSeek-R1's 671 B."""
    match = names.find_model(catalog, "deepseek-r1-basic")
    assert match is not None and match.row is not None
    assert catalog.models["model_id"][match.row] == "deepseek_r1", match.detail
    assert match.total_params_billions == 671
    members = {
        str(catalog.models["model_id"][r]) for _, r in names.family_rows(catalog)[("deepseek", "")]
    }
    assert "qwen3_8b" not in members and "deepseek_r1" in members


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("dashscope/qwen3-vl-plus", "qwen_plus"),
        ("qwen3-coder-flash-2025-07-28", "qwen38_flash"),
        ("qwen3-coder-plus", "qwen3_coder_480b"),  # its own row (an alias)
        ("qwen3.5-plus", "qwen_plus"),
    ],
)
def test_a_hosted_tier_of_a_line_is_the_tier(
    catalog: cat.Catalog, name: str, model_id: str
) -> None:
    """Alibaba's ``qwen3-vl-plus`` is the Plus tier of its VL line: it takes the Plus tier's
    size (before: the last-listed Qwen3 row, Qwen3-VL 8B), and the Coder line's own Plus row
    (Qwen3-Coder-480B) does not become every Plus."""
    assert_resolves_to(catalog, name, model_id)


@pytest.mark.parametrize(
    ("name", "model_id"),
    [
        ("fireworks_ai/nemotron-3-ultra-nvfp4", "nemotron_ultra_253b"),
        ("nebius/nvidia/Nemotron-3.5-Super-VL", "nemotron_super_49b"),
        ("databricks/databricks-meta-llama-3-3-70b-instruct", "llama_33_70b"),
    ],
)
def test_nemotron_tiers(catalog: cat.Catalog, name: str, model_id: str) -> None:
    """NVIDIA's Nemotron tiers are read (``nemotron-3-ultra`` took Nano 12B VL's 13 B), and a
    Nemotron trained from a Llama (``llama-3.3-nemotron-super-49b``) is a Nemotron, not a
    Llama 3.3 row that unlisted Llama 3.3 names would take."""
    assert_resolves_to(catalog, name, model_id)


def test_a_squeezed_spelling_does_not_date_a_family_row(catalog: cat.Catalog) -> None:
    """``llama_v31_8b`` (an alias) reads as version 31; ``llama-3.1-8b`` says 3.1, which dates
    the row, so an unlisted Llama 3.1 name sits among the 3.1 rows, not after Llama 4."""
    versions = {
        str(catalog.models["model_id"][row]): version
        for version, row in names.family_rows(catalog)[("llama", "")]
    }
    assert versions["llama_31_8b"] == (3, 1)
    assert versions["llama_31_405b"] == (3, 1)


def test_a_bare_gpt_oss_is_not_a_gpt_tier(catalog: cat.Catalog) -> None:
    """``gpt-oss`` (an alias) must not join GPT's tiers: an unknown GPT tier word takes the
    geometric mean of the GPT tiers, which a 20 B open model would pull down."""
    assert names.family_of("gpt-oss") == names.Family("gpt-oss", "", ())
    gpt_rows = [
        row
        for (family, _), members in names.family_rows(catalog).items()
        if family == "gpt"
        for _, row in members
    ]
    assert gpt_rows
    assert not any(str(catalog.models["model_id"][r]).startswith("gpt_oss") for r in gpt_rows)


def test_fireworks_size_spelling() -> None:
    assert names.size_of("qwen3-embedding-0p6b") == pytest.approx((0.6, 0.6))


@pytest.mark.parametrize(
    ("larger", "smaller"),
    [
        ("claude-opus-9", "claude-sonnet-9"),
        ("claude-sonnet-9", "claude-haiku-9"),
        ("gemini-9-pro", "gemini-9-flash"),
        ("gemini-9-flash", "gemini-9-flash-lite"),
        ("gpt-9", "gpt-9-mini"),
        ("gpt-9-mini", "gpt-9-nano"),
        ("deepseek-v9-pro", "deepseek-v9-flash"),
    ],
)
def test_family_fallback_keeps_the_size_order(
    catalog: cat.Catalog, larger: str, smaller: str
) -> None:
    big, small = names.find_model(catalog, larger), names.find_model(catalog, smaller)
    assert big.how == small.how == "family"
    assert big.active_params_billions > small.active_params_billions


def test_family_order_holds_for_a_new_version_of_every_family(catalog: cat.Catalog) -> None:
    """For every family with ordered tiers (:data:`names.TIER_ORDER`), a version newer than
    any listed one takes, tier by tier, sizes that grow with the tier (:func:`_larger`)."""
    models = catalog.models
    listed = names.family_rows(catalog)
    checked = 0
    for family, order in names.TIER_ORDER.items():
        sizes = []
        for tier in order:
            if (family, tier) not in listed:
                continue
            fam = names.Family(family, tier, (99,))
            _members, points, _how = names._tier_members(catalog, fam, None)
            (row,) = points
            sizes.append(
                (
                    float(models["active_params_billions"][row]),
                    float(models["total_params_billions"][row]),
                    models["model_id"][row],
                )
            )
        for small, big in itertools.pairwise(sizes):
            assert small[:2] != big[:2] and _larger(small[:2], big[:2]), f"{family}: {small}, {big}"
            checked += 1
    assert checked >= 40


def test_an_unlisted_tier_word_takes_the_family_range(catalog: cat.Catalog) -> None:
    """``claude-zephyr-6`` (a tier the catalog has never seen) is a Claude model: the geometric
    mean of the Claude tiers, with a range from below the smallest to above the largest."""
    match = names.find_model(catalog, "claude-zephyr-6")
    assert match.how == "family" and "unlisted" in match.detail
    haiku = names.find_model(catalog, "claude-haiku-9")
    opus = names.find_model(catalog, "claude-opus-9")
    assert haiku.active_params_billions < match.active_params_billions
    assert match.active_params_billions < opus.active_params_billions
    low, high = match.active_range
    assert low < haiku.active_params_billions and high > opus.active_params_billions
    assert names.find_model(catalog, "claude-zephyr-6", "exact") is None


def test_unknown_managed_service_is_not_silent_with_ranges() -> None:
    """A service the catalog does not know answers on the default node, and says so: in
    debug, and with ranges as an assumed tier."""
    out = _one(
        {"model_id": "gpt-4o", "managed_service_id": "acme-cloud", "output_tokens": 1},
        ranges=True,
    )
    assert out["error"] is None
    assert out["debug"]["assumptions"]["hardware_resolved_by"].startswith("default node")
    assert out["confidence"]["tier"] == "assumed"
    known = _one({"model_id": "gpt-4o", "managed_service_id": "azure", "output_tokens": 1})
    assert known["debug"]["hardware_node"]["managed_service_id"] == "azure-openai"


def test_a_size_in_the_name_that_is_a_listed_members_takes_its_counts(
    catalog: cat.Catalog,
) -> None:
    """``gpt-oss-safeguard-20b`` is gpt-oss-20b post-trained for safety policies: a text
    generator (it reasons), of gpt-oss-20b's size (21 B total, 3.6 B active), not a dense 20 B
    classifier."""
    match = names.find_model(catalog, "groq/openai/gpt-oss-safeguard-20b")
    base = catalog.models.find("gpt_oss_20b")
    assert match.how == "family" and match.task == "text-generation"
    assert match.active_params_billions == catalog.models["active_params_billions"][base]
    assert match.total_params_billions == catalog.models["total_params_billions"][base]
