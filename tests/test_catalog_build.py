"""Every catalog CSV whose sources are in the repository is what its builder in scripts/catalog/
writes from them, byte for byte (scripts/catalog/README.md lists the builders)."""

from __future__ import annotations

import csv
import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILDERS = ROOT / "scripts" / "catalog"
DATA = ROOT / "function" / "ai_impact" / "data"
# builder module -> the CSV it writes
BUILT = {
    "build_cloud_regions": "cloud_regions.csv",
    "build_cloud_region_intensity": "cloud_region_intensity.csv",
    "build_nodes": "nodes.csv",
    "build_provider_efficiency": "provider_efficiency.csv",
    "build_water_intensity": "water_intensity.csv",
    "build_market_factors": "market_factors.csv",
}


def _builder(name: str) -> ModuleType:
    if str(BUILDERS) not in sys.path:
        sys.path.insert(0, str(BUILDERS))
    return importlib.import_module(name)


@pytest.mark.parametrize(("module", "csv_name"), sorted(BUILT.items()))
def test_builder_reproduces_its_csv(module: str, csv_name: str) -> None:
    built = _builder(module).build()
    shipped = (DATA / csv_name).read_text(encoding="utf-8")
    assert built.splitlines() == shipped.splitlines()  # a readable diff on failure
    assert built == shipped  # and the bytes (line ends, final newline)


def test_check_mode_says_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, str(BUILDERS / "build_provider_efficiency.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "provider_efficiency.csv is up to date" in done.stdout


def test_derived_values_follow_their_inputs() -> None:
    """The derivations are computed, not copied: the figures they start from give them."""
    efficiency = _builder("build_provider_efficiency")
    wue, quoted = efficiency.derived_wue(
        {"water_gallons": 6.1e9, "facility_energy_kwh": 24e9, "pue": 1.10, "digits": 2}
    )
    # Google 2023: 6.1 billion US gallons over 24 TWh at PUE 1.10
    assert wue == pytest.approx(6.1e9 * 3.785411784 / (24e9 / 1.10), abs=0.005)
    assert quoted == {"litres_billion": "23.09", "wue": "1.058"}
    nodes = _builder("build_nodes")
    assert abs(nodes.WATER_L_PER_KGCO2E - 6.716) < 5e-4  # the ratio the notes quote
    with (DATA / "nodes.csv").open(newline="", encoding="utf-8") as handle:
        rows = {r["node_id"]: r for r in csv.DictReader(handle)}
    p5 = rows["aws:p5.48xlarge"]
    water = float(p5["embodied_emissions_kgco2e_ex_gpu"]) * nodes.WATER_L_PER_KGCO2E
    assert float(p5["embodied_water_l_ex_gpu"]) == pytest.approx(water, abs=0.05)


def test_every_catalog_csv_is_listed_in_the_builders_readme() -> None:
    readme = (BUILDERS / "README.md").read_text(encoding="utf-8")
    for path in sorted(DATA.glob("*.csv")):
        assert f"`{path.name}`" in readme, (
            f"{path.name}: say in scripts/catalog/README.md how it is built"
        )
