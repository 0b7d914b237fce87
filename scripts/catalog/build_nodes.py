"""Build ``function/ai_impact/data/nodes.csv`` (cloud instances and generic servers: GPUs, host
power and embodied impacts outside the GPUs) from ``sources/nodes.csv``.

Usage (from the repository root): ``python scripts/catalog/build_nodes.py [--check]``.

``sources/nodes.csv`` holds, per node, the facts as found: ids, GPU and vCPU counts, the
boaviztapi 2.5.0 run of the instance (``host_embodied_kgco2e``: lifetime embodied of the
instance's share of the host; ``gpu_part_kgco2e``: its GPU part; ``host_power_w``: average power
of CPU + RAM + other at 50 % load; runs recorded in reference refdata/cloud_instances.csv), or,
for the few nodes without a boaviztapi archetype, the values themselves with their derivation in
``remark``; the provider whose server use life applies (``use_life``); the spec sources.

Derived here, per node (docs/methodology.md section 9)::

    embodied_emissions_kgco2e_ex_gpu = host_embodied_kgco2e - gpu_part_kgco2e
    idle_power_w_ex_gpu              = host_power_w
    embodied_water_l_ex_gpu          = embodied_emissions_kgco2e_ex_gpu x W_H100 / PCF_H100

(one decimal; a trailing .0 dropped, but for the water; W_H100 = the H100's central fab water of
scripts/derive_gpu_water.py, PCF_H100 = 164 kgCO2e, NVIDIA's HGX H100 PCF per GPU: 6.716 L per
kgCO2e), ``use_life_years`` from the provider's filing (USE_LIFE), and the notes and source
assembled from the row's remarks and the texts below.
"""

from __future__ import annotations

import sys
from pathlib import Path

from catalog_csv import SOURCES, main, read_csv, render

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from derive_gpu_water import h100_water_l

HEADER = [
    "node_id",
    "cloud_id",
    "cloud_instance_id",
    "gpu_id",
    "gpu_count",
    "cpu_count",
    "idle_power_w_ex_gpu",
    "embodied_emissions_kgco2e_ex_gpu",
    "embodied_water_l_ex_gpu",
    "use_life_years",
    "average_utilization_rate",
    "notes",
    "source",
    "datacenter_id",
]
H100_PCF_KG = 164.0
WATER_L_PER_KGCO2E = h100_water_l("central")["total"] / H100_PCF_KG
# Server use life (years), the notes' wording and the source, by whose filing applies.
USE_LIFE = {
    "aws": (
        5,
        "Amazon.com 10-K for FY2024 (filed Feb 2025): useful life of a subset of servers and "
        "networking equipment changed from six to five years effective 2025-01-01, citing the "
        "pace of AI/ML technology",
        "Amazon.com Inc. Form 10-K FY2024, property and equipment useful lives (as quoted by "
        "Deep Quarry, 2025-02-11)",
    ),
    "gcp": (
        6,
        "Alphabet 10-K for FY2022: in January 2023 the estimated useful life of servers was "
        "changed to six years",
        "Alphabet Inc. Form 10-K FY2022, change in estimated useful life of servers (January 2023)",
    ),
    "azure": (
        6,
        "Microsoft 10-Q for the quarter ended 2022-12-31: in July 2022 the estimated useful lives "
        "of server and network equipment were increased from four to six years",
        "Microsoft Corp. Form 10-Q, quarter ended 2022-12-31, change in accounting estimate "
        "(July 2022)",
    ),
    "ai-server": (
        5,
        "dedicated AI servers; Amazon.com 10-K FY2024 (AI-era servers 6 -> 5 years); Alphabet and "
        "Microsoft use 6, boaviztapi cloud archetypes 6 (52,560 h), EcoLogits 3",
        "Amazon.com Inc. Form 10-K FY2024; Alphabet 10-K FY2022; Microsoft 10-Q Q2 FY2023",
    ),
}
ESTIMATES = (
    "estimate: embodied water and utilisation are estimates (see below); embodied_water_l_ex_gpu:"
    " estimate: embodied_emissions_kgco2e_ex_gpu x {ratio:.3f} L/kgCO2e (fab water per kgCO2e "
    "derived for the H100, docs/methodology.md section 9; its memory and processors are "
    "semiconductors too); no published server water footprint found; average_utilization_rate "
    "{utilisation}: estimate: no provider publishes GPU fleet utilisation; {utilisation} makes "
    "the engine's idle-capacity term about 10-15% of busy energy for an 8-GPU node, close to "
    "Google's measured split (idle machines 10% vs accelerators 58% + hosts 25% of Gemini "
    "serving energy, Elsworth et al. 2025, arXiv:2508.15734)"
)
BOAVIZTA_METHOD = (
    "idle_power_w_ex_gpu = boaviztapi average power of CPU + RAM + other at 50% load (GPU not "
    "modelled), used for both busy and idle host power; embodied ex GPU = boaviztapi lifetime "
    "embodied of the instance's share of the host minus its GPU part"
)
RUN = (
    "boaviztapi 2.5.0 run, values derived (/v1/cloud/instance or /v1/server/, recorded in "
    "reference refdata/cloud_instances.csv; AGPL-3.0 tool, numbers are our run outputs): "
)
WATER_SOURCE = (
    "water ratio: scripts/derive_gpu_water.py (TSMC unit water use per wafer mask layer; "
    "docs/methodology.md section 9)"
)
UTILISATION_SOURCE = "utilisation basis: Elsworth et al. 2025, arXiv:2508.15734"


def one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def node_row(r: dict[str, str]) -> list[str]:
    if r["host_embodied_kgco2e"]:
        host, gpu = float(r["host_embodied_kgco2e"]), float(r["gpu_part_kgco2e"])
        embodied = one_decimal(host - gpu)
        power = one_decimal(float(r["host_power_w"]))
        run = (
            f"embodied {r['host_embodied_kgco2e']} - GPU part {r['gpu_part_kgco2e']} kgCO2e, "
            f"non-GPU power {r['host_power_w']} W"
        )
    else:
        embodied, power, run = r["embodied_emissions_kgco2e_ex_gpu"], r["idle_power_w_ex_gpu"], ""
    water = f"{float(embodied) * WATER_L_PER_KGCO2E:.1f}"
    years, life_note, life_source = USE_LIFE[r["use_life"]]
    notes = [ESTIMATES.format(ratio=WATER_L_PER_KGCO2E, utilisation=r["average_utilization_rate"])]
    notes += [r["utilisation_remark"]] if r["utilisation_remark"] else []
    notes += [BOAVIZTA_METHOD] if r["boavizta_method_note"] == "yes" else []
    notes += [r["remark"]] if r["remark"] else []
    notes.append(f"use_life_years {years}: {life_note}")
    sources = [r["specs"]] if r["specs"] else []
    sources += [RUN + (run or r["boavizta_run"]), f"use life: {life_source}"]
    sources += [WATER_SOURCE, UTILISATION_SOURCE]
    return [
        r["node_id"],
        r["cloud_id"],
        r["cloud_instance_id"],
        r["gpu_id"],
        r["gpu_count"],
        r["cpu_count"],
        power,
        embodied,
        water,
        str(years),
        r["average_utilization_rate"],
        "; ".join(notes),
        " | ".join(sources),
        r.get("datacenter_id", ""),  # optional source column: the site a node runs in
    ]


def build() -> str:
    return render(HEADER, [node_row(r) for r in read_csv(SOURCES / "nodes.csv")])


if __name__ == "__main__":
    sys.exit(main("nodes.csv", build, __doc__))
