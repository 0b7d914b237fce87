"""Ranges and confidence (issue 11): low <= point <= high, determinism, narrowing with given
inputs, the composition of total_impact, the tiers, and all three doors."""

from __future__ import annotations

import math

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_impact
from ai_impact import bigquery, tasks, uncertainty
from ai_impact.catalog.defaults import TRAINING_RATIO, TRAINING_RATIO_HIGH, TRAINING_RATIO_LOW
from ai_impact.engine.columns import BLOCKS, METRICS
from ai_impact.engine.ranges import InputRange, Source, Uncertainty
from conftest import Tokens, call

BREAKDOWN = ("gpu_wh", "it_wh", "facility_wh")
CALIBRATED = {
    "model_id": "llama_31_8b",
    "input_tokens": 400,
    "output_tokens": 500,
    "gpu_id": "h100",
    "gpu_count": 1,
    "batch_size": 64,
    "model_datatype": "bf16",
    "country": "US",
    "utc_datetime": "2024-06-01T00:00:00Z",
}
MODEL_ONLY = {"model_id": "llama_31_8b", "input_tokens": 400, "output_tokens": 500}


def _check_bounds(reply: dict) -> None:
    ranges = reply["ranges"]
    for block in BLOCKS:
        for metric in METRICS:
            low, high = ranges[block][metric]
            point = reply[block][metric]
            assert 0.0 <= low <= point <= high, (block, metric, low, point, high)
            assert math.isfinite(high)
    for name in BREAKDOWN:
        low, high = ranges["energy_breakdown"][name]
        point = reply["debug"]["energy_breakdown"][name]
        assert 0.0 <= low <= point <= high, (name, low, point, high)


ROWS = st.fixed_dictionaries(
    {
        "model_id": st.sampled_from(
            [
                "llama_31_8b",
                "llama_31_70b",
                "gpt-4o",
                "gpt_5_mini",
                "stable_diffusion_xl",
                "claude-3-9-sonnet",  # family fallback
                "acme-chat-7b",  # size fallback
            ]
        ),
        "input_tokens": st.integers(0, 100_000),
        "output_tokens": st.integers(0, 20_000),
    },
    optional={
        "gpu_id": st.sampled_from(["h100", "a100_40gb", "b200", "t4", "l4"]),
        "gpu_count": st.integers(1, 16),
        "batch_size": st.integers(1, 512),
        "model_datatype": st.sampled_from(["bf16", "fp8", "int4"]),
        "country": st.sampled_from(["US", "FR", "IN", "XX"]),
        "utc_datetime": st.sampled_from(["2019-01-01T00:00:00Z", "2024-06-01T00:00:00Z"]),
        "managed_service_id": st.sampled_from(["openai", "aws-bedrock", "azure-openai"]),
        "task": st.sampled_from(["text-generation", "text-embedding", "speech-to-text"]),
        "input_audio_seconds": st.floats(0.5, 600),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROWS, min_size=1, max_size=6))
def test_low_point_high_on_every_metric(rows: list[dict]) -> None:
    for reply in ai_impact.estimate(rows, ranges=True, debug=True):
        if reply["error"] is not None:
            assert reply["ranges"] is None and reply["confidence"] is None
            continue
        _check_bounds(reply)
        assert reply["confidence"]["tier"] in ("calibrated", "extrapolated", "assumed")
        assert reply["debug"]["confidence"] == reply["confidence"]


def test_an_empty_batch_has_no_ranges() -> None:
    assert ai_impact.estimate([], ranges=True, debug=True) == []


def test_same_request_same_bytes() -> None:
    rows = [CALIBRATED, MODEL_ONLY, {"model_id": "gpt-4o", "output_tokens": 300}] * 5
    first = orjson.dumps(ai_impact.estimate(rows, ranges=True))
    assert orjson.dumps(ai_impact.estimate(rows, ranges=True)) == first
    # A row's range does not depend on the other rows of the batch.
    alone = ai_impact.estimate([rows[1]], ranges=True)[0]
    assert orjson.dumps(alone) == orjson.dumps(orjson.loads(first)[1])


def _width(reply: dict, name: str = "gpu_wh") -> float:
    low, high = reply["ranges"]["energy_breakdown"][name]
    return high / low


def test_giving_the_configuration_narrows_the_range() -> None:
    given_, only = ai_impact.estimate([CALIBRATED, MODEL_ONLY], ranges=True)
    assert _width(given_) < _width(only)
    # Given all of it, the width is the text calibration's residual spread alone.
    text_h = uncertainty.method_half_width(tasks.TEXT)
    assert math.isclose(_width(given_), math.exp(2 * text_h), rel_tol=1e-9)
    for partial in ("gpu_id", "batch_size", "model_datatype"):
        row = {k: v for k, v in CALIBRATED.items() if k != partial}
        reply = ai_impact.estimate([row], ranges=True)[0]
        assert _width(given_) < _width(reply) <= _width(only) * (1 + 1e-12), partial


def test_training_and_total_carry_the_training_scenario() -> None:
    """Training is r x inference: its range combines the inference block's with the training
    rule's low/high r; the total, (1 + r) x inference, is that one product's range: inside
    the sum of the blocks' bounds, not a sum of lows."""
    reply = ai_impact.estimate([CALIBRATED], ranges=True)[0]
    r = reply["ranges"]
    for metric in METRICS:
        p_i, p_t = reply["inference_impact"][metric], reply["training_impact"][metric]
        p_total = reply["total_impact"][metric]
        assert p_t > 0 and p_i > 0
        h = math.log(r["inference_impact"][metric][1] / p_i)
        low, high = r["training_impact"][metric]
        assert math.isclose(
            math.log(high / p_t), math.hypot(h, math.log(TRAINING_RATIO_HIGH / TRAINING_RATIO))
        )
        assert math.isclose(
            math.log(p_t / low), math.hypot(h, math.log(TRAINING_RATIO / TRAINING_RATIO_LOW))
        )
        assert high / low > r["inference_impact"][metric][1] / r["inference_impact"][metric][0]
        t_low, t_high = r["total_impact"][metric]
        up = math.log((1 + TRAINING_RATIO_HIGH) / (1 + TRAINING_RATIO))
        assert math.isclose(math.log(t_high / p_total), math.hypot(h, up))
        sum_lows = r["inference_impact"][metric][0] + low
        sum_highs = r["inference_impact"][metric][1] + high
        assert sum_lows < t_low < p_total < t_high < sum_highs


def test_tiers() -> None:
    rows = [
        CALIBRATED,
        {**CALIBRATED, "gpu_id": "t4"},  # GPU never measured
        {"model_id": "gpt-4o", "output_tokens": 300},  # closed-model size
        {**CALIBRATED, "task": "text-embedding"},  # no measurement of encoders
        MODEL_ONLY,  # default node
    ]
    tiers = [r["confidence"]["tier"] for r in ai_impact.estimate(rows, ranges=True)]
    assert tiers == ["calibrated", "extrapolated", "assumed", "extrapolated", "assumed"]
    conf = ai_impact.estimate([rows[2]], ranges=True)[0]["confidence"]
    assert any("closed model" in reason for reason in conf["reasons"])
    assert "docs/methodology.md#" in conf["method"]


def test_hardware_reasons_name_where_the_node_came_from() -> None:
    """A named but unknown service says so (not "no hardware given"); a serving profile the
    model id's provider prefix selected is assumed like a named one, with its own reason, and
    widens the range for the unknown GPU as a named service does."""
    open_model = "meta-llama/Llama-3.1-8B-Instruct"
    rows = [
        {**MODEL_ONLY, "managed_service_id": "no-such-service"},
        {**MODEL_ONLY, "model_id": f"together_ai/{open_model}"},
        {**MODEL_ONLY, "model_id": open_model, "managed_service_id": "together"},
        MODEL_ONLY,
    ]
    replies = ai_impact.estimate(rows, ranges=True, debug=True)
    by = [r["debug"]["assumptions"]["hardware_resolved_by"] for r in replies]
    assert by == [
        "default node (managed_service_id 'no-such-service' unknown)",
        "model prefix service default node",
        "managed_service_id default node",
        "default node",
    ]
    reasons = [r["confidence"]["reasons"] for r in replies]
    assert all(r["confidence"]["tier"] == "assumed" for r in replies)
    assert reasons[0] == ["managed_service_id names an unknown service: default node assumed"]
    assert len(reasons[1]) == 1 and "provider prefix" in reasons[1][0]
    assert reasons[2] == ["hardware and batch from the managed service's serving profile"]
    assert reasons[3] == ["no hardware given: default node"]
    # Same model, same service: the prefix and the named service give the same range.
    assert replies[1]["ranges"] == replies[2]["ranges"]


def test_a_closed_model_is_wider_than_an_open_one_on_the_same_hardware() -> None:
    rows = [
        {**CALIBRATED, "model_id": "gpt-4o"},
        {**CALIBRATED, "model_id": "llama_31_70b"},
    ]
    closed, open_ = ai_impact.estimate(rows, ranges=True)
    assert _width(closed) > _width(open_)


def test_a_source_is_one_more_line() -> None:
    """The engine's ranges take any source at any level: a new one widens what it acts on."""
    from ai_impact import catalog as _catalog
    from ai_impact.engine.chain import compute
    from ai_impact.parse import parse_rows
    from ai_impact.resolve import resolve

    parsed = parse_rows([CALIBRATED])
    resolved = resolve(parsed, _catalog.default())
    base = uncertainty.uncertainty(parsed, resolved, _catalog.default())
    extra = Source("serving profile", "gpu", "hardware", np.array([math.log(2.0)]))
    wider = Uncertainty([*base.sources, extra], base.training_ratio_half_width)
    columns = (resolved.model.columns, resolved.hardware.columns, resolved.location.columns)
    a = compute(parsed.engine_usage(), *columns, uncertainty=base).ranges
    b = compute(parsed.engine_usage(), *columns, uncertainty=wider).ranges
    assert a is not None and b is not None
    ha, hb = a.half_widths["gpu"][0], b.half_widths["gpu"][0]
    assert math.isclose(hb**2, ha**2 + math.log(2.0) ** 2)
    assert a.half_widths["grid"][0] == b.half_widths["grid"][0]


def test_ranges_off_adds_nothing() -> None:
    reply = ai_impact.estimate([CALIBRATED])[0]
    assert "ranges" not in reply and "confidence" not in reply
    debug = ai_impact.estimate([CALIBRATED], debug=True)[0]
    assert "ranges" not in debug and debug["debug"]["confidence"]["tier"] == "calibrated"


def test_bigquery_door() -> None:
    body = orjson.dumps(
        {
            "requestId": "r",
            "caller": "//bigquery.googleapis.com/projects/p/jobs/j",
            "sessionUser": "a@example.com",
            "userDefinedContext": {"ranges": "true"},
            "calls": [[CALIBRATED], [{"model_id": "no-such-model"}]],
        }
    )
    outcome = bigquery.handle(body, lambda project: ai_impact.estimate)
    assert outcome.status == 200
    good, bad = orjson.loads(outcome.body)["replies"]
    assert good["confidence"]["tier"] == "calibrated"
    low, high = good["ranges"]["total_impact"]["usage_emissions_gco2e"]
    assert low <= good["total_impact"]["usage_emissions_gco2e"] <= high
    assert bad["error"]["code"] == "unknown_model" and bad["ranges"] is None
    plain = orjson.loads(body.replace(b'"true"', b'"false"'))
    replies = orjson.loads(bigquery.handle(orjson.dumps(plain), lambda p: ai_impact.estimate).body)
    assert "ranges" not in replies["replies"][0]


def test_rest_door(server: str, tokens: Tokens) -> None:
    def rows(query: str) -> list[dict]:
        answer = call(f"{server}/v1/impact{query}", "POST", tokens.owner, {"rows": [CALIBRATED]})
        assert answer.status == 200, answer.body
        out: list[dict] = answer.json()["rows"]
        return out

    plain = rows("?ranges=true")[0]  # not without extensions: the SDK's ModeledRow stays valid
    assert "ranges" not in plain and "confidence" not in plain
    extended = rows("?extensions=true")[0]
    assert extended["confidence"]["tier"] == "calibrated" and "ranges" not in extended
    both = rows("?extensions=true&ranges=true")[0]
    low, high = both["ranges"]["energy_breakdown"]["facility_wh"]
    assert low < both["inference_impact"]["usage_energy_wh"] < high
    assert both["confidence"] == extended["confidence"]


def test_coverage_counts_inside_and_nests_the_residual_spread() -> None:
    from ai_impact.calibration import coverage

    ln_error = np.array([0.1, -0.2, 0.5, -0.9])
    h = np.full(4, 0.3)
    assert coverage.summary(ln_error, h) == (0.5, pytest.approx(math.exp(0.6)))
    # Nested: each model's half-width comes from the other models' residuals only.
    text_h = uncertainty.method_half_width(tasks.TEXT)
    cases = coverage.Cases(
        "text",
        np.array(["a", "a", "b", "b"]),
        ln_error,
        {"configuration given": np.zeros(4)},
        {"configuration given": np.full(4, text_h)},
    )
    nested = coverage.nested_half_width(cases)
    q = coverage.RESIDUAL_QUANTILE
    assert nested[0] == pytest.approx(np.quantile([0.5, 0.9], q))
    assert nested[2] == pytest.approx(np.quantile([0.1, 0.2], q))
    assert coverage.residual_half_width(ln_error) == pytest.approx(np.quantile(np.abs(ln_error), q))


def _resolved(rows: list[dict]) -> tuple:
    from ai_impact import catalog as _catalog
    from ai_impact.parse import parse_rows
    from ai_impact.resolve import resolve

    parsed = parse_rows(rows)
    resolved = resolve(parsed, _catalog.default())
    return resolved, uncertainty.uncertainty(parsed, resolved, _catalog.default())


def _line(u: Uncertainty, name: str) -> InputRange:
    (line,) = [s for s in u.sources if s.name == name]
    assert isinstance(line, InputRange)
    return line


def test_fallbacks_are_assumed_and_get_a_wide_size_range() -> None:
    rows = [
        {"model_id": "claude-3-9-sonnet", "output_tokens": 300},
        {"model_id": "acme-chat-7b", "output_tokens": 300},
    ]
    resolved, u = _resolved(rows)
    assert resolved.model.by.tolist() == ["family", "size"]
    for reply in ai_impact.estimate(rows, ranges=True):
        conf = reply["confidence"]
        assert conf["tier"] == "assumed", conf
        assert any("fallback" in reason for reason in conf["reasons"])
    size = _line(u, "model size")
    # The family range spans the tier's published sizes (wider than x2); the size read from a
    # name (+-15%) is floored at x2 either way.
    assert size.low["total_params"][0] < 0.5 and size.high["total_params"][0] > 2.0
    assert size.low["active_params"][1] == pytest.approx(0.5)
    assert size.high["active_params"][1] == pytest.approx(2.0)


def test_model_size_reads_the_resolved_published_range() -> None:
    resolved, u = _resolved(
        [
            {"model_id": "gpt-4o", "output_tokens": 300},
            {"model_id": "llama_31_8b", "output_tokens": 300},
            {"model_id": "gpt-4o", "model_total_params_billions": 400, "output_tokens": 300},
        ]
    )
    size = _line(u, "model size")
    t_low, t_high, _, a_high = resolved.model.params_range[0]
    point_t = resolved.model.columns.total_params_billions[0]
    point_a = resolved.model.columns.active_params_billions[0]
    assert size.low["total_params"][0] == pytest.approx(t_low / point_t)
    assert size.high["active_params"][0] == pytest.approx(a_high / point_a)
    assert t_low < point_t < t_high  # a published range, not re-derived
    # An open model and a size given inline have no size range.
    for k in (1, 2):
        assert all(np.isnan(v[k]) for v in (*size.low.values(), *size.high.values()))


def test_serving_profile_and_training_scenario_are_source_lines() -> None:
    _, u = _resolved(
        [
            {"model_id": "gpt-4o", "managed_service_id": "openai", "output_tokens": 300},
            {"model_id": "llama_31_8b", "output_tokens": 300},
        ]
    )
    names = [s.name for s in u.sources]
    for name in ("batch size, serving profile", "batch size, default", "datatype", "replica size"):
        assert name in names
    profile, default = _line(u, "batch size, serving profile"), _line(u, "batch size, default")
    assert profile.unless_given == default.unless_given == "batch_size"
    # The service's hardware takes the profile's range, the default node the default's.
    assert (profile.low["batch_size"][0], profile.high["batch_size"][0]) == (
        uncertainty.SERVING_BATCH_RANGE
    )
    assert np.isnan(profile.low["batch_size"][1]) and np.isnan(default.low["batch_size"][0])
    assert u.training_ratio_half_width[0] == pytest.approx(
        0.5 * math.log(TRAINING_RATIO_HIGH / TRAINING_RATIO_LOW)
    )
    # The profile's batch given by the row removes that line's widening.
    served = {"model_id": "gpt-4o", "managed_service_id": "openai", "output_tokens": 300}
    unknown, known = ai_impact.estimate([served, {**served, "batch_size": 256}], ranges=True)
    assert _width(known) < _width(unknown)
    assert known["total_impact"] == unknown["total_impact"]  # 256 is the profile's batch


def test_residual_spread_is_the_current_fits_and_covers() -> None:
    """residual_spread.json is derived from the current fit (else re-run the command it
    names) and its coverage meets the targets of issue 11."""
    from ai_impact.calibration import coverage

    spread = uncertainty.residual_spread()
    assert spread["inputs_sha256"] == coverage.inputs_sha256(), f"run `{coverage.COMMAND}`"
    assert spread["quantile"] == coverage.RESIDUAL_QUANTILE
    rows = {(r["method"], r["inputs"]): r for r in spread["coverage"]}
    assert {m for m, _ in rows} == {"text", "diffusion"}
    for (method, inputs), r in rows.items():
        assert r["coverage"] >= 0.80, (method, inputs, r)
        if inputs.startswith("configuration given"):
            assert r["median_width"] <= 3.0, (method, inputs, r)
    assert uncertainty.method_half_width(tasks.TEXT) == spread["half_width"]["text"]


def test_calibration_doc_shows_the_stored_coverage() -> None:
    """docs/calibration.md "Ranges: coverage" is the coverage script's output (re-run it and
    paste the table when the fit changes)."""
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "calibration.md").read_text(encoding="utf-8")
    section = doc[doc.index("# Ranges: coverage") :]
    for r in uncertainty.residual_spread()["coverage"]:
        line = (
            f"| {r['method']} | {r['inputs']} | {r['configurations']} | "
            f"{r['coverage']:.1%} | x{r['median_width']:.2f} |"
        )
        assert line in section, line
