"""Build ``function/ai_impact/data/water_intensity.csv`` (off-site water of electricity, L/kWh,
by country) from EcoLogits' electricity mixes.

Usage (from the repository root)::

    python scripts/catalog/build_water_intensity.py [--check]
    python scripts/catalog/build_water_intensity.py --extract PATH/electricity_mixes.json

Sources:

- ``sources/ecologits_0.11.3_wue.csv``: name (ISO 3166 alpha-3, or WOR for the world) and
  ``wue`` (L/kWh) of the entries of ``ecologits/data/electricity_mixes.json`` in the PyPI
  package ecologits==0.11.3 (MPL-2.0; individual numbers re-entered) that have a value of their
  own: WOR, and the 49 countries (of 214) EcoLogits does not flag as taking the world default
  (warning ``electricity-mix-wue-world``). ``--extract PATH`` rewrites it from
  that file (``pip download ecologits==0.11.3``, or the ``make bench`` environment).
- ``sources/iso3166_alpha3_to_alpha2.csv``: ISO 3166-1 alpha-3 to alpha-2 codes of the
  countries that have a value of their own.

Rows: WORLD (EcoLogits' WOR), then every country of the extract by alpha-2 code; the countries
left out take WORLD (resolve falls back to it).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from catalog_csv import SOURCES, main, read_csv, render

EXTRACT = SOURCES / "ecologits_0.11.3_wue.csv"
HEADER = ["zone_id", "water_offsite_l_per_kwh", "notes", "source"]
WORLD_FLAG = "electricity-mix-wue-world"
SOURCE = (
    "PyPI ecologits==0.11.3 ecologits/data/electricity_mixes.json field wue (off-site water "
    "consumption factor of electricity, WRI methodology; MPL-2.0, individual values re-entered), "
    "via reference refdata/grid_intensity_sources_long.csv"
)
WORLD_NOTE = (
    "EcoLogits world default (WOR), used by EcoLogits for every country without its own value"
)
COUNTRY_NOTE = "own country value in EcoLogits (ISO-3 converted to ISO-2)"


def extract(path: Path) -> None:
    """Rewrite the committed extract from EcoLogits' electricity_mixes.json."""
    mixes = json.loads(path.read_text(encoding="utf-8"))["electricity_mixes"]
    own = [m for m in mixes if m["name"] == "WOR" or WORLD_FLAG not in (m.get("warnings") or [])]
    with EXTRACT.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["name", "wue"])
        writer.writerows([m["name"], repr(m["wue"])] for m in own)
    print(f"{EXTRACT.name}: {len(own)} of {len(mixes)} entries from {path}")


def build() -> str:
    alpha2 = {r["alpha3"]: r["alpha2"] for r in read_csv(SOURCES / "iso3166_alpha3_to_alpha2.csv")}
    world, countries = None, []
    for mix in read_csv(EXTRACT):
        if mix["name"] == "WOR":
            world = ["WORLD", mix["wue"], WORLD_NOTE, SOURCE]
        else:
            countries.append([alpha2[mix["name"]], mix["wue"], COUNTRY_NOTE, SOURCE])
    if world is None:
        raise SystemExit(f"{EXTRACT.name} has no world entry (WOR)")
    return render(HEADER, [world, *sorted(countries)])


if __name__ == "__main__":
    sys.exit(main("water_intensity.csv", build, __doc__, extract))
