"""Rebuild ``function/ai_impact/data/grid_intensity.csv`` from the research reference tables.

Usage: ``python scripts/build_grid_intensity.py REFDATA_DIR`` (REFDATA_DIR holds
``owid_carbon_intensity_elec_by_year.csv`` and ``grid_intensity_sources_long.csv``). The project
does not need REFDATA_DIR at run or test time: this script records how the shipped CSV was made.

Rows, every one with its ``basis`` (docs/methodology.md, section 6):

- every country and aggregate of Our World in Data's yearly ``carbon_intensity_elec``
  2000-latest (Ember + Energy Institute, CC BY 4.0; owid/energy-data @e7897ae): lifecycle,
  production. Zero values (Burundi, Central African Republic: no data upstream) are left out.
- countries OWID's yearly file lacks: the codecarbon copy of OWID (one year each).
- US states: US EPA eGRID2023 state CO2e total-output rates (direct combustion, in-state
  generation), put on the country series' lifecycle basis by the US ratio of 2023,
  OWID lifecycle 392.89 g/kWh / EIA combustion 366.2 gCO2/kWh (1,532 Mt CO2 over 4,183,271 GWh of
  utility-scale net generation, eia.gov FAQ 74).
- Chinese provinces: China MEE/NBS 2023 provincial CO2 factors (consumption, with inter-provincial
  transfers), scaled by China's 2023 ratio, OWID lifecycle 583.04 g/kWh / MEE national average
  530.6 gCO2/kWh.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "function" / "ai_impact" / "data" / "grid_intensity.csv"
HEADER = ["zone_id", "country", "region", "year", "gco2e_per_kwh", "basis", "notes", "source"]
LIFECYCLE_PRODUCTION = "lifecycle, production"
LIFECYCLE_CONSUMPTION = "lifecycle, consumption"
OWID_SOURCE = "OWID energy-data @e7897ae carbon_intensity_elec (Ember; Energy Institute); CC BY 4.0"

# 2023 national combustion rates the sub-national factors are measured against.
EIA_US_2023_CO2_MT = 1532.0
EIA_US_2023_GENERATION_GWH = 4_183_271.0
US_COMBUSTION_2023 = EIA_US_2023_CO2_MT * 1e12 / (EIA_US_2023_GENERATION_GWH * 1e6)  # g/kWh
CN_MEE_NATIONAL_2023 = 530.6  # gCO2/kWh
EIA_SOURCE = (
    "https://www.eia.gov/tools/faqs/faq.php?id=74 (2023: 1,532 Mt CO2 over 4,183,271 GWh "
    "utility-scale net generation; US government work)"
)
MEE_NATIONAL_SOURCE = (
    "MEE/NBS national average electricity CO2 factor 2023, 0.5306 kgCO2/kWh (published "
    "2025-12-31; as quoted in public carbon-accounting code, not read from the MEE notice)"
)


def slug(name: str) -> str:
    """Zone id of an OWID aggregate: ``AGG-`` + its name in capitals, e.g. AGG-EU-EMBER."""
    return "AGG-" + re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")


def owid_rows(path: Path) -> tuple[list[list], dict[tuple[str, int], float]]:
    rows, by_zone_year = [], {}
    with path.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            value = float(r["carbon_intensity_elec_gco2e_per_kwh"])
            if value == 0:
                continue  # no data upstream, not a zero-carbon grid
            name, iso2 = r["country"], r["iso2"]
            if name == "World":
                zone, country = "WORLD", ""
            elif name == "Kosovo":
                zone = country = "XK"  # user-assigned code in common use (OWID: OWID_KOS)
            elif iso2:
                zone = country = iso2
            else:
                zone, country = slug(name), ""
            year = int(r["year"])
            note = "" if zone == country or zone == "WORLD" else f"OWID entity {name!r}"
            if zone == "XK":
                note = "Kosovo (OWID code OWID_KOS; XK is the user-assigned code in common use)"
            rows.append([zone, country, "", year, value, LIFECYCLE_PRODUCTION, note, OWID_SOURCE])
            by_zone_year[(zone, year)] = value
    return rows, by_zone_year


def long_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main(refdata: Path) -> None:
    rows, owid = owid_rows(refdata / "owid_carbon_intensity_elec_by_year.csv")
    zones = {z for z, _ in owid}
    long = long_rows(refdata / "grid_intensity_sources_long.csv")
    us_ratio = owid[("US", 2023)] / US_COMBUSTION_2023
    cn_ratio = owid[("CN", 2023)] / CN_MEE_NATIONAL_2023
    for r in long:
        zone, key = r["zone_id"], r["source_key"]
        if key == "codecarbon_owid" and re.fullmatch(r"[A-Z]{2}", zone) and zone not in zones:
            rows.append(
                [
                    zone,
                    zone,
                    "",
                    int(r["year"]),
                    float(r["value"]),
                    LIFECYCLE_PRODUCTION,
                    "not in OWID's yearly file; codecarbon's copy of OWID (one year)",
                    "Our World in Data carbon intensity of electricity (CC BY 4.0) via PyPI "
                    "codecarbon==3.3.2 codecarbon/data/private_infra/global_energy_mix.json",
                ]
            )
        elif key == "egrid":
            raw = float(r["value"])
            rows.append(
                [
                    zone,
                    "US",
                    zone[3:],
                    int(r["year"]),
                    round(raw * us_ratio, 1),
                    LIFECYCLE_PRODUCTION,
                    f"estimate: eGRID2023 combustion CO2e {raw} g/kWh ({r['note']}) "
                    f"x {us_ratio:.4f} "
                    f"(US 2023: OWID lifecycle {owid[('US', 2023)]} / EIA combustion "
                    f"{US_COMBUSTION_2023:.1f} g/kWh); in-state generation",
                    f"US EPA eGRID2023 state CO2e total output rate STC2ERTA (public domain) via "
                    "PyPI codecarbon==3.3.2 usa_emissions.json"
                    f" | ratio: {OWID_SOURCE}; {EIA_SOURCE}",
                ]
            )
        elif key == "china_mee":
            raw = float(r["value"])
            rows.append(
                [
                    zone,
                    "CN",
                    zone[3:],
                    int(r["year"]),
                    round(raw * cn_ratio, 1),
                    LIFECYCLE_CONSUMPTION,
                    f"estimate: MEE 2023 provincial CO2 {raw} g/kWh (incl. inter-provincial "
                    f"transfers) x {cn_ratio:.4f} (China 2023: OWID lifecycle "
                    f"{owid[('CN', 2023)]} / "
                    f"MEE national {CN_MEE_NATIONAL_2023} g/kWh)",
                    "China MEE/NBS Announcement 2025 No.47 provincial factors 2023 via PyPI "
                    f"codecarbon==3.3.2 china_provincial_emissions.json | ratio: {OWID_SOURCE}; "
                    f"{MEE_NATIONAL_SOURCE}",
                ]
            )
    rows.sort(key=lambda r: (r[0] != "WORLD", r[0], r[3]))
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    print(f"{len(rows)} rows; US ratio {us_ratio:.4f}, CN ratio {cn_ratio:.4f} -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
