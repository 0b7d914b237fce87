"""Build ``function/ai_impact/data/embodied_sources.csv`` (GPU and server embodied figures from
every source, side by side) and set the embodied water of ``gpus.csv`` from the fab-water
derivation (scripts/derive_gpu_water.py, docs/methodology.md section 9).

Usage: ``python scripts/build_embodied_sources.py REFDATA_DIR``. Figures: NVIDIA's HGX H100
product carbon footprint, boaviztapi 2.5.0 runs, EcoLogits 0.11.3 constants, Chien et al. 2023,
the hosted Scope3 API catalogue (2024-12-10 capture, kept in the output file itself so that a
re-run reads them back), and the fab-water derivation.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_gpu_water import h100_water_l

DATA = Path(__file__).resolve().parents[1] / "function" / "ai_impact" / "data"
OUT = DATA / "embodied_sources.csv"
HEADER = [
    "component",
    "component_id",
    "source_key",
    "embodied_emissions_kgco2e",
    "embodied_water_l",
    "in_range",
    "notes",
    "source",
]
H100_PCF_KG = 164.0
WATER = {case: h100_water_l(case)["total"] for case in ("low", "central", "high")}
SCOPE3_SOURCE = (
    "hosted Scope3 AI API GPU catalogue (embodied_water_mlh2o / embodied kgCO2e) captured "
    "2024-12-10 in scope3ai-py examples/api-sync.py, reference scope3/README.md section 5.2"
)
DERIVED_SOURCE = (
    "derived: scripts/derive_gpu_water.py (TSMC 2023/2024 Sustainability Reports unit water use "
    "176.4/161.0 L per 12-inch-equivalent wafer mask layer; GH100 814 mm2, NVIDIA H100 "
    "architecture whitepaper 2022; HBM3 5 x 8 x 16 Gb), docs/methodology.md section 9"
)
BOAVIZTA_SOURCE = (
    "boaviztapi 2.5.0 /v1/component/gpu run (our output of the AGPL tool, a number, not its "
    "data), reference refdata/gpus.csv embodied_kgco2e_boavizta"
)


def main(refdata: Path) -> None:
    with (DATA / "gpus.csv").open(newline="", encoding="utf-8") as handle:
        gpus = list(csv.DictReader(handle))
    find = {}
    for g in gpus:
        for name in [g["gpu_id"], *(g["aliases"] or "").split("|")]:
            if name:
                find[name.strip().lower().replace("-", "_")] = g["gpu_id"]
    old_scope3 = {}
    if OUT.exists():
        with OUT.open(newline="", encoding="utf-8") as handle:
            for r in csv.DictReader(handle):
                if r["source_key"] == "scope3_catalogue":
                    old_scope3[r["component_id"]] = r
    rows: list[list] = []

    def add(gpu: str, key: str, kg: str, water: str, in_range: str, notes: str, src: str) -> None:
        rows.append(["gpu", gpu, key, kg, water, in_range, notes, src])

    for g in gpus:
        gid, kg = g["gpu_id"], float(g["embodied_emissions_kgco2e"])
        kept = old_scope3.get(gid)  # a re-run: the captured values are kept in the output
        if kept is not None:
            kg_text, water_text, note = (
                kept["embodied_emissions_kgco2e"],
                kept["embodied_water_l"],
                kept["notes"],
            )
        else:
            found = re.search(r"hosted Scope3 API (?:value \()?(\d+) kg", g["notes"])
            kg_text, water_text = (found[1] if found else ""), g["embodied_water_l"]
            note = (
                "the hosted API's published value (water; kgCO2e where given)"
                if "hosted Scope3 API value" in g["notes"]
                else "estimate: reused or fitted from the Scope3 catalogue (former point value)"
            )
        add(gid, "scope3_catalogue", kg_text, water_text, "no", note, SCOPE3_SOURCE)
        if kg_text:
            add(
                gid,
                "scope3_catalogue_kgco2e",
                kg_text,
                "",
                "yes",
                "the hosted API's embodied kgCO2e (its water, in row scope3_catalogue, is left "
                "out of the range: two orders of magnitude below the fab-water derivation)",
                SCOPE3_SOURCE,
            )
        for case in ("low", "central", "high"):
            water = kg * WATER[case] / H100_PCF_KG
            how = (
                "H100: bottom-up fab water"
                if gid == "h100"
                else f"estimate: {kg} kgCO2e x {WATER[case] / H100_PCF_KG:.3f} L/kgCO2e "
                "(the H100's derived water per kgCO2e of its NVIDIA PCF)"
            )
            add(
                gid,
                f"derived_fab_water_{case}",
                "",
                f"{water:.1f}",
                "yes",
                f"{case} case; {how}",
                DERIVED_SOURCE,
            )
    with (refdata / "gpus.csv").open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            gid = find.get(r["gpu_id"].lower())
            if gid is None:
                continue
            if r["embodied_kgco2e_boavizta"]:
                add(
                    gid,
                    "boaviztapi_2.5.0",
                    r["embodied_kgco2e_boavizta"],
                    "",
                    "yes",
                    f"bottom-up model of {r['embodied_boavizta_name']} (die and memory areas)",
                    BOAVIZTA_SOURCE,
                )
    extra = [
        (
            "h100",
            "nvidia_pcf",
            "164",
            "NVIDIA HGX H100 PCF: 1,312 kgCO2e per 8-GPU baseboard / 8",
            "NVIDIA HGX H100 Product Carbon Footprint Summary "
            "(images.nvidia.com/aem-dam/Solutions/documents/HGX-H100-PCF-Summary.pdf), "
            "as quoted in "
            "EcoLogits docs/methodology/llm_inference.md (github genai-impact/ecologits @2d0a1c7)",
        ),
        (
            "h100",
            "ecologits_0.11.3",
            "273",
            "EcoLogits GPU_EMBODIED_IMPACT_GWP (traced to Hubblo)",
            "PyPI ecologits==0.11.3 ecologits/impacts/llm.py (MPL-2.0; single value re-entered)",
        ),
        (
            "h800",
            "ecologits_0.11.3",
            "273",
            "EcoLogits dgx_h800 accelerator_embodied.gwp",
            "PyPI ecologits==0.11.3 ecologits/data/video_models.json (MPL-2.0; value re-entered)",
        ),
        (
            "h200",
            "ecologits_0.11.3",
            "364",
            "EcoLogits dgx_h200 accelerator_embodied.gwp",
            "PyPI ecologits==0.11.3 ecologits/data/video_models.json (MPL-2.0; value re-entered)",
        ),
        (
            "tpu_v6e",
            "ecologits_0.11.3",
            "323",
            "EcoLogits tpu_v6e accelerator_embodied.gwp",
            "PyPI ecologits==0.11.3 ecologits/data/video_models.json (MPL-2.0; value re-entered)",
        ),
        (
            "a100_80gb",
            "chien_2023",
            "318",
            "A100 generation (memory size not distinguished)",
            "Chien et al. 2023, HotCarbon, 'Reducing the Carbon Impact of Generative AI Inference'",
        ),
        (
            "a100_40gb",
            "chien_2023",
            "318",
            "A100 generation (memory size not distinguished)",
            "Chien et al. 2023, HotCarbon, 'Reducing the Carbon Impact of Generative AI Inference'",
        ),
    ]
    for gid, key, kg, notes, src in extra:
        add(gid, key, kg, "", "yes", notes, src)
    servers = [
        (
            "aws:p5.48xlarge",
            "boaviztapi_2.5.0",
            "5699",
            "boaviztapi instance embodied minus its GPU part (the point value of nodes.csv)",
            "boaviztapi 2.5.0 /v1/cloud/instance run, reference refdata/cloud_instances.csv",
        ),
        (
            "aws:p5.48xlarge",
            "ecologits_0.11.3",
            "5700",
            "EcoLogits SERVER_EMBODIED_IMPACT_GWP, server without GPUs "
            "(from boaviztapi p5.48xlarge)",
            "PyPI ecologits==0.11.3 ecologits/impacts/llm.py (MPL-2.0; single value re-entered)",
        ),
        (
            "aws:p5.48xlarge",
            "ecologits_0.11.3_video",
            "6000",
            "EcoLogits dgx_h800 / dgx_h200 server_embodied.gwp (8-GPU server without GPUs)",
            "PyPI ecologits==0.11.3 ecologits/data/video_models.json (MPL-2.0; value re-entered)",
        ),
    ]
    for nid, key, kg, notes, src in servers:
        rows.append(["server", nid, key, kg, "", "yes", notes, src])
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    ratio = WATER["central"] / H100_PCF_KG
    for g in gpus:
        kg = float(g["embodied_emissions_kgco2e"])
        g["embodied_water_l"] = f"{kg * ratio:.1f}"
        parts = g["source"].split(" | ")
        parts = [p for p in parts if not p.startswith("water:")] + [
            "water: "
            + DERIVED_SOURCE
            + (" (scaled by embodied kgCO2e)" if g["gpu_id"] != "h100" else "")
        ]
        g["source"] = " | ".join(parts)
        notes = re.sub(r"water: [^;]*", "", g["notes"]).strip().rstrip(";").strip()
        notes = re.sub(r";\s*;", ";", notes)
        how = (
            f"water: bottom-up fab water {WATER['central']:.0f} L (range {WATER['low']:.0f}-"
            f"{WATER['high']:.0f}), docs/methodology.md section 9"
            if g["gpu_id"] == "h100"
            else f"water: estimate: {kg} kgCO2e x {ratio:.3f} L/kgCO2e (the H100's derived fab "
            "water per kgCO2e)"
        )
        g["notes"] = f"{notes}; {how}" if notes else how
    with (DATA / "gpus.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, list(gpus[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(gpus)
    print(f"{len(rows)} rows; {ratio:.3f} L/kgCO2e; H100 water {WATER}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
