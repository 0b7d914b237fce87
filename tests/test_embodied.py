"""Embodied figures from every source side by side, the point values they bracket, and the
fab-water derivation of an H100 (docs/methodology.md, section 9)."""

from __future__ import annotations

import math

import pytest

from ai_impact import catalog as cat
from ai_impact.catalog.embodied import embodied_range

METRICS = ("embodied_emissions_kgco2e", "embodied_water_l")


@pytest.fixture(scope="module")
def catalog() -> cat.Catalog:
    return cat.default()


def test_every_source_row_names_a_known_gpu_or_server(catalog: cat.Catalog) -> None:
    sources = catalog.embodied_sources
    for component, component_id in zip(sources["component"], sources["component_id"], strict=True):
        table = catalog.gpus if component == "gpu" else catalog.nodes
        assert table.find(component_id) is not None, component_id


def test_h100_emissions_span_the_published_figures(catalog: cat.Catalog) -> None:
    """NVIDIA's PCF (164 kg, the point value) to boaviztapi's bottom-up 575.1 kg; EcoLogits'
    273 kg and the hosted API's 176 kg in between."""
    assert embodied_range(catalog, "gpu", "h100", "embodied_emissions_kgco2e") == (164.0, 575.1)
    sources = catalog.embodied_sources
    h100 = {
        sources["source_key"][i]: sources["embodied_emissions_kgco2e"][i]
        for i in range(len(sources))
        if sources["component_id"][i] == "h100"
    }
    assert h100["nvidia_pcf"] == 164 and h100["ecologits_0.11.3"] == 273
    assert h100["scope3_catalogue_kgco2e"] == 176


def test_h100_water_is_the_fab_water_derivation(catalog: cat.Catalog) -> None:
    """Central case: 80 layers x 161 L over 63.5 x 0.7 good GH100 dies, 40 + 5 HBM3 dies of
    110 mm^2 at 45 layers and 0.8 yield, a 2,500 mm^2 interposer at 10 layers: about 1,100 L,
    two orders of magnitude above the hosted API's 11.2 L."""
    row = catalog.gpus.find("h100")
    water = catalog.gpus["embodied_water_l"][row]
    dies = math.pi * 150**2 / 814 - math.pi * 300 / math.sqrt(2 * 814)
    dram = math.pi * 150**2 / 110 - math.pi * 300 / math.sqrt(2 * 110)
    interposer = math.pi * 150**2 / 2500 - math.pi * 300 / math.sqrt(2 * 2500)
    expected = 80 * 161 / (dies * 0.7) + 45 * 45 * 161 / (dram * 0.8) + 10 * 161 / interposer
    assert water == pytest.approx(expected, abs=0.1)
    low, high = embodied_range(catalog, "gpu", "h100", "embodied_water_l")
    assert 600 < low < water < high < 2100
    assert water > 50 * 11.2


@pytest.mark.parametrize("metric", METRICS)
def test_every_gpu_point_value_lies_in_its_range(catalog: cat.Catalog, metric: str) -> None:
    for gpu in catalog.gpus["gpu_id"]:
        low, high = embodied_range(catalog, "gpu", gpu, metric)
        point = catalog.gpus[metric][catalog.gpus.find(gpu)]
        assert low <= point <= high, gpu
        if metric == "embodied_water_l":
            assert low < high, gpu  # the derivation's low and high cases


def test_server_embodied_sources(catalog: cat.Catalog) -> None:
    low, high = embodied_range(catalog, "server", "aws:p5.48xlarge", "embodied_emissions_kgco2e")
    assert (low, high) == (5699.0, 6000.0)
    assert math.isnan(embodied_range(catalog, "gpu", "no-such-gpu", METRICS[0])[0])
