"""Unit tests of the infrastructure physics (engine/infrastructure.py), one per function."""

import numpy as np
import pytest

from ai_impact.engine import infrastructure as infra


def a(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_replica_gpu_count_matches_mlenergy_deployments() -> None:
    # Llama 3.1 8B / 70B / 405B in bf16 on H100 80GB: ML.ENERGY ran them on 1, 4 and 16 GPUs.
    n = infra.replica_gpu_count(a(8.03, 70.6, 405.0), a(2, 2, 2), a(80, 80, 80))
    assert n.tolist() == [1.0, 4.0, 16.0]
    # FP8 halves the memory: 405B fits 8 H100s.
    assert infra.replica_gpu_count(a(405.0), a(1), a(80)).tolist() == [8.0]
    # Tiny models still take one GPU.
    assert infra.replica_gpu_count(a(0.1), a(2), a(80)).tolist() == [1.0]


def test_host_power_is_the_replica_share_over_the_batch() -> None:
    # 1200 W host, replica of 4 of 8 GPUs, 64 concurrent requests: 1200 * 0.5 / 64 W each.
    p = infra.host_power_share_w(a(1200), a(4), a(8), a(64))
    assert p[0] == pytest.approx(1200 * 0.5 / 64)


def test_idle_capacity_vanishes_at_full_utilisation_and_grows_below() -> None:
    args = (a(60), a(4), a(1200), a(8), a(64))
    assert infra.idle_power_share_w(a(1.0), *args)[0] == 0.0
    half = infra.idle_power_share_w(a(0.5), *args)[0]
    assert half == pytest.approx((4 * 60 + 1200 * 0.5) / 64)
    assert infra.idle_power_share_w(a(0.25), *args)[0] == pytest.approx(3 * half)


def test_usage_emissions_scale_with_grid() -> None:
    assert infra.usage_emissions_gco2e(a(1000), a(400))[0] == pytest.approx(400)


def test_usage_water_on_site_on_it_energy_off_site_on_facility_energy() -> None:
    # 1 Wh IT, PUE 1.2 -> 1.2 Wh facility; WUE 0.5 L/kWh, EWIF 3 L/kWh -> 0.5 + 3.6 mL.
    # 1 Wh of IT energy at PUE 1.2: 0.5 mL of cooling water + 1.2 Wh x 3 mL/Wh off site.
    onsite = infra.onsite_water_ml(a(1), a(0.5))
    assert (onsite + infra.offsite_water_ml(a(1.2), a(3)))[0] == pytest.approx(4.1)


def test_embodied_per_busy_second() -> None:
    year_s = infra.SECONDS_PER_YEAR
    # 1 GPU of 100 kg alone in its node (node 0 kg), 1 request at a time, 1 year, always busy:
    # a request holding it for a whole year carries all 100 kg.
    whole = infra.embodied_per_busy_second(a(1), a(100), a(1), a(0), a(1), a(1), a(1))
    assert whole[0] * year_s == pytest.approx(100)
    # 2 of 8 GPUs (100 kg each) + a quarter of an 800 kg node, batch 2, 4 years, 50% busy.
    rate = infra.embodied_per_busy_second(a(2), a(100), a(8), a(800), a(2), a(4), a(0.5))
    assert rate[0] * year_s == pytest.approx((200 + 200) / (2 * 4 * 0.5))


def test_development_shares_split_the_ratio_of_the_inference() -> None:
    training, fine_tuning = infra.development_shares(a(10.0, 10.0), a(0.5, 0.5), a(0.0, 0.2))
    assert training.tolist() == pytest.approx([5.0, 4.0])
    assert fine_tuning.tolist() == pytest.approx([0.0, 1.0])


def test_modelled_gpu_count_is_bounded_by_the_fitted_range() -> None:
    n = infra.modelled_gpu_count(a(1, 8, 16, 64, 256))
    assert n.tolist() == [1, 8, 16, 16, 16]
