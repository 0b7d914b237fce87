"""The engine's fast paths give the numbers of the plain formulas: the context power read from a
table, the per-row arithmetic run in chunks of rows, rows straddling the chunk boundaries."""

from __future__ import annotations

import numpy as np
import pytest

from ai_impact import catalog as _catalog
from ai_impact.engine import keys, text
from ai_impact.engine.chain import compute
from ai_impact.engine.columns import Impacts
from ai_impact.engine.keys import ROWS_PER_CHUNK, row_chunks
from ai_impact.parse import parse_rows
from ai_impact.resolve import resolve
from ai_impact.uncertainty import uncertainty

GAMMA = float(text.PHYSICS.time_context_exponent)


def test_row_chunks_cover_every_row_once() -> None:
    for n in (0, 1, ROWS_PER_CHUNK - 1, ROWS_PER_CHUNK, 2 * ROWS_PER_CHUNK + 5):
        covered = np.concatenate([np.arange(n)[rows] for rows in row_chunks(n)] or [[]])
        assert covered.tolist() == list(range(n))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_context_power_table_gives_each_rows_own_power(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 20_000
    # Whole token counts: contexts are multiples of 0.5 below n / 2, the table's case.
    context = rng.integers(0, 4_000, n) + 0.5 * rng.integers(0, 2_000, n)
    assert np.array_equal(text.context_power(context, GAMMA), (1e-3 * context) ** GAMMA)
    # Other contexts take each row's power: fractions, a NaN, a context beyond the rows.
    for other in (context + 0.25, np.append(context, np.nan), np.append(context, 1e7)):
        expected = (1e-3 * other) ** GAMMA
        assert np.array_equal(text.context_power(other, GAMMA), expected, equal_nan=True)


def test_request_energy_and_time_match_the_formula_on_random_deployments() -> None:
    rng = np.random.default_rng(7)
    deployments, n = 40, 3 * ROWS_PER_CHUNK + 123
    size = rng.uniform(1.0, 400.0, deployments)

    def spread(low: float, high: float) -> np.ndarray:
        return rng.uniform(low, high, deployments)

    c = text.coefficients(
        size * spread(0.05, 1.0),
        size,
        rng.choice([0.5, 1.0, 2.0], deployments),
        rng.choice([1.0, 2.0, 8.0, 32.0], deployments),
        rng.choice([1.0, 16.0, 64.0, 256.0], deployments),
        spread(300.0, 1200.0),
        spread(1.0, 8.0),
        spread(100.0, 2500.0),
        spread(24.0, 192.0),
    )
    codes = rng.integers(0, deployments, n)
    t_in = rng.integers(0, 50_000, n).astype(float)
    t_out = rng.integers(0, 5_000, n).astype(float)
    t_cached = np.floor(t_in * rng.uniform(0.0, 1.0, n))
    energy, busy = text.request_gpu_j_and_busy_s(t_in, t_out, c, codes, t_cached)
    # The docstring's formula, row by row in Python floats.
    for i in rng.choice(n, 300, replace=False).tolist():
        d, ti, to, tc = int(codes[i]), float(t_in[i]), float(t_out[i]), float(t_cached[i])
        ctx = ti + to / 2
        e = (
            to * (c.decode_j_per_token[d] + c.attention_j_per_token[d] * ctx)
            + (ti - tc) * c.prefill_j_per_token[d]
            + (ti**2 - tc**2) * c.prefill_attention_j[d]
        )
        ms = (
            to * (c.step_fixed_ms[d] + c.step_context_ms[d] * (ctx / 1000) ** GAMMA)
            + (ti - tc) * c.prefill_ms_per_token[d]
            + (ti**2 - tc**2) * c.prefill_attention_ms[d]
        )
        assert energy[i] == pytest.approx(e, rel=1e-12, abs=1e-9)
        assert busy[i] == pytest.approx(1e-3 * ms, rel=1e-12, abs=1e-12)


def _rows(n: int) -> list[dict]:
    """Text rows of many deployments (models, services, places, batch sizes), fine-tuned
    models and cached prompts among them."""
    rng = np.random.default_rng(11)
    models = ["llama_31_8b", "llama_31_70b", "gpt-4o", "deepseek_r1", "llama_32_11b_vision"]
    services = [None, "openai", "together", "aws-bedrock"]
    countries = [None, "US", "FR", "IN"]
    rows = []
    for i in range(n):
        row = {
            "model_id": models[i % 5],
            "input_tokens": int(rng.integers(0, 20_000)),
            "output_tokens": int(rng.integers(0, 3_000)),
        }
        if services[i % 4]:
            row["managed_service_id"] = services[i % 4]
        if countries[(i // 4) % 4]:
            row["country"] = countries[(i // 4) % 4]
        if i % 7 == 0:
            row["batch_size"] = int(rng.choice([8, 64, 256]))
        if i % 3 == 0:
            row["input_cached_tokens"] = row["input_tokens"] // 2
        rows.append(row)
    return rows


def _impacts(rows: list[dict]) -> Impacts:
    cat = _catalog.default()
    parsed = parse_rows(rows)
    resolved = resolve(parsed, cat)
    model, hardware = resolved.model.columns, resolved.hardware.columns
    return compute(
        parsed.engine_usage(),
        model,
        hardware,
        resolved.location.columns,
        uncertainty=uncertainty(parsed, resolved, cat),
    )


def _columns(impacts: Impacts) -> dict[str, np.ndarray]:
    out = {
        name: getattr(impacts, name)
        for name in ("gpu_wh", "it_wh", "facility_wh", "busy_time_s", "water_onsite_ml")
    }
    assert impacts.ranges is not None
    for b, block in enumerate(impacts.blocks()):
        for metric, value in vars(block).items():
            out[f"{b} {metric}"] = value
    for name, metrics in impacts.ranges.blocks.items():
        for metric, (low, high) in metrics.items():
            out[f"{name} {metric} low"], out[f"{name} {metric} high"] = low, high
    return out


def test_rows_across_chunk_boundaries_equal_the_same_rows_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chunk = 100  # small chunks (the code reads the size at each call): a small batch spans many
    monkeypatch.setattr(keys, "ROWS_PER_CHUNK", chunk)
    n = 3 * chunk + 50
    rows = _rows(n)
    batch = _columns(_impacts(rows))
    assert any(v.any() for k, v in batch.items() if k.startswith("2 "))  # fine-tuning present
    edges = [0, chunk - 1, chunk, 2 * chunk - 1, 3 * chunk - 1, n - 3]
    picked = sorted({i for e in edges for i in range(e, e + 3)})
    alone = _columns(_impacts([rows[i] for i in picked]))
    for name, values in batch.items():
        assert np.array_equal(values[picked], alone[name]), name
