"""Embodied (fab) water of one NVIDIA H100 SXM5 80GB, from fab water per wafer layer, die areas
and memory: the arithmetic of docs/methodology.md section 9, with a low and a high case.

``python scripts/derive_gpu_water.py`` prints the table; the numbers of
``function/ai_impact/data/embodied_sources.csv`` (source ``derived_fab_water``) come from here.

Inputs (cited in docs/methodology.md):

- fab water per 12-inch-equivalent wafer mask layer: TSMC 161.0 L (2024) and 176.4 L (2023),
  TSMC Sustainability Reports (unit water use, i.e. water drawn by the fab per layer);
- GH100 logic die 814 mm^2 (NVIDIA H100 Tensor Core GPU Architecture whitepaper, 2022);
- 80 GB HBM3 = 5 stacks x 8 DRAM dies of 16 Gb + 1 base die each (JEDEC HBM3 16 Gb dies);
- assumptions, stated as such: mask layers (logic 70-90, DRAM 35-55, interposer 8-12), DRAM and
  base die area (90-130 mm^2), CoWoS interposer area (2,000-3,000 mm^2), yields.
"""

from __future__ import annotations

import math

WAFER_DIAMETER_MM = 300.0


def dies_per_wafer(area_mm2: float) -> float:
    """Gross dies per 300 mm wafer: pi r^2 / A - pi d / sqrt(2 A) (the standard edge-loss
    approximation)."""
    d = WAFER_DIAMETER_MM
    return math.pi * (d / 2) ** 2 / area_mm2 - math.pi * d / math.sqrt(2 * area_mm2)


def part_water_l(area_mm2: float, layers: float, l_per_layer: float, yield_: float) -> float:
    """Fab water of one good die: wafer water (layers x L per wafer layer) / good dies."""
    return layers * l_per_layer / (dies_per_wafer(area_mm2) * yield_)


CASES = {
    # name: L/layer, logic (area, layers, yield), DRAM/base (area, layers, yield), interposer
    "low": (161.0, (814, 70, 0.85), (90, 35, 0.9), (2000, 8, 1.0)),
    "central": (161.0, (814, 80, 0.7), (110, 45, 0.8), (2500, 10, 1.0)),
    "high": (176.4, (814, 90, 0.5), (130, 55, 0.7), (3000, 12, 0.9)),
}
DRAM_DIES, BASE_DIES = 40, 5  # 5 HBM3 stacks of 8 x 16 Gb dies + 1 base die


def h100_water_l(case: str) -> dict[str, float]:
    per_layer, logic, dram, interposer = CASES[case]
    parts = {
        "GH100 logic die": part_water_l(logic[0], logic[1], per_layer, logic[2]),
        "HBM3 DRAM dies (40)": DRAM_DIES * part_water_l(dram[0], dram[1], per_layer, dram[2]),
        "HBM3 base dies (5)": BASE_DIES * part_water_l(dram[0], dram[1], per_layer, dram[2]),
        "CoWoS interposer": part_water_l(interposer[0], interposer[1], per_layer, interposer[2]),
    }
    parts["total"] = sum(parts.values())
    return parts


if __name__ == "__main__":
    for case in CASES:
        parts = h100_water_l(case)
        print(case, {k: round(v, 1) for k, v in parts.items()})
    print("gross dies per wafer:", {a: round(dies_per_wafer(a), 1) for a in (814, 110, 2500)})
