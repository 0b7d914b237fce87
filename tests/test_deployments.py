"""Deployment keys: rows sharing nothing never share coefficients, however many distinct values
a batch holds (issue 14: the key multiplied five part codes in int64 and overflowed)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ai_impact
from ai_impact.engine.keys import combine_codes
from ai_impact.factorize import factorize


def _reference_codes(parts: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """Codes of the combinations by Python tuples: the truth ``combine_codes`` must match (up
    to the numbering of the codes)."""
    codes, _ = factorize(list(zip(*(p.tolist() for p, _ in parts), strict=True)))
    return codes


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    """Two code columns group the rows alike (a bijection maps one onto the other)."""
    pairs = set(zip(a.tolist(), b.tolist(), strict=True))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@st.composite
def _parts(draw: st.DrawFn) -> list[tuple[np.ndarray, int]]:
    n = draw(st.integers(1, 40))
    out = []
    for _ in range(draw(st.integers(1, 6))):
        count = draw(st.integers(1, 1 << 40))  # ranges whose product passes 2^63 quickly
        codes = draw(st.lists(st.integers(0, count - 1), min_size=n, max_size=n))
        out.append((np.array(codes, dtype=np.int64), count))
    return out


@settings(max_examples=300, deadline=None)
@given(_parts())
def test_combined_codes_group_rows_as_tuples_do(parts: list[tuple[np.ndarray, int]]) -> None:
    codes, first = combine_codes(parts)
    reference = _reference_codes(parts)
    assert _same_partition(codes, reference)
    assert codes.min() == 0 and codes.max() == len(first) - 1  # dense
    # first[k] is a row of combination k: its parts equal those of every row with code k.
    for part, _ in parts:
        assert (part[first[codes]] == part).all()


def test_combined_codes_of_an_empty_batch() -> None:
    codes, first = combine_codes([(np.zeros(0, np.int64), 1)] * 5)
    assert len(codes) == len(first) == 0


def _distinct_rows(n: int) -> list[dict]:
    """Rows 0..n-2 distinct in model size, service, cloud region, batch size and GPU count; the
    last row a new model size with row 0's other values."""
    rows = [
        {
            "model_total_params_billions": 1.0 + i / 1000,
            "managed_service_id": f"service-{i}",
            "cloud_region": f"region-{i}",
            "batch_size": i + 1,
            "gpu_count": i + 1,
            "output_tokens": 500,
        }
        for i in range(n - 1)
    ]
    return [*rows, {**rows[0], "model_total_params_billions": 200.0}]


def test_many_distinct_deployments_keep_their_own_coefficients() -> None:
    """8,193 rows: 8,192 distinct values of four parts (2^13 each) make the old int64 key of
    row 8,192 (model code 8,192 -> 8,192 x 2^52 = 2^65) wrap to row 0's, which gave the 200 B
    model of the last row the 1 B model's energy."""
    rows = _distinct_rows(8193)
    out = ai_impact.estimate(rows)
    assert all(r["error"] is None for r in out)
    last = ai_impact.estimate([rows[-1]])[0]
    assert out[-1] == last
    assert (
        out[-1]["inference_impact"]["usage_energy_wh"]
        > out[0]["inference_impact"]["usage_energy_wh"]
    )
    for i in range(0, len(rows), 997):
        assert out[i] == ai_impact.estimate([rows[i]])[0]


_SIZES = st.floats(0.1, 2000, allow_nan=False, allow_infinity=False)
_SERVICES = ["openai", "anthropic", "groq", "together", "aws-bedrock", "mystery", "other"]
_REGIONS = ["us-east-1", "europe-west1", "eastus", "asia-south1", "nowhere-1", "mars-2"]
_ROW = st.fixed_dictionaries(
    {"model_total_params_billions": _SIZES, "output_tokens": st.integers(0, 100_000)},
    optional={
        "input_tokens": st.integers(0, 100_000),
        "managed_service_id": st.sampled_from(_SERVICES) | st.text(min_size=1, max_size=8),
        "cloud_region": st.sampled_from(_REGIONS) | st.text(min_size=1, max_size=8),
        "batch_size": st.integers(1, 100_000) | st.floats(1, 100_000),
        "gpu_count": st.integers(1, 10_000),
        "country": st.sampled_from(["US", "FR", "IN", "DE"]),
    },
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ROW, min_size=2, max_size=40))
def test_every_row_equals_that_row_estimated_alone(rows: list[dict]) -> None:
    out = ai_impact.estimate(rows)
    assert out == [ai_impact.estimate([row])[0] for row in rows]
