"""Build ``function/ai_impact/data/cloud_region_intensity.csv`` (the grid intensity and carbon-free
energy share Google publishes for each of its cloud regions, by year) from Google's
region-carbon-info files.

Usage (from the repository root)::

    python scripts/catalog/build_cloud_region_intensity.py [--check]
    python scripts/catalog/build_cloud_region_intensity.py --extract DIR

Source: ``sources/gcp_region_carbon.csv``, the rows of ``data/yearly/2019.csv`` ...
``2024.csv`` of github GoogleCloudPlatform/region-carbon-info at commit 49f3f26 (2025-12-03;
Apache-2.0; the numbers only): year, region, Google CFE (as a percentage), the file's label of its
intensity column (the label changed from 'Lifecycle grid carbon intensity' to 'Grid carbon
intensity' in 2021), and the intensity (gCO2e/kWh) as written in the file. ``--extract DIR``
rewrites it from a checkout's ``data/yearly`` directory.

Derived here: trailing zeros of the intensity dropped (497.50 -> 497.5), the notes (the file's
label; that the value is location-based, lifecycle and consumption-based; whether a CFE% is
given) and the source (the year's file). Rows by region, then year.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from catalog_csv import SOURCES, main, read_csv, render

EXTRACT = SOURCES / "gcp_region_carbon.csv"
YEARS = range(2019, 2025)
HEADER = [
    "cloud_id",
    "cloud_region",
    "year",
    "gco2e_per_kwh",
    "basis",
    "cfe_pct",
    "notes",
    "source",
]
BASIS = "lifecycle, consumption"
NOTES = (
    "Google file label '{label}'; location-based grid intensity of the region (not Google's "
    "market-based figure); basis: Google computes it from Electricity Maps' hourly lifecycle, "
    "consumption-based (flow-traced) intensities (cloud.google.com/sustainability/region-carbon);"
    " cfe_pct = Google CFE%"
)
NO_CFE = " (CFE% not given for this region/year)"
SOURCE = (
    "github GoogleCloudPlatform/region-carbon-info @49f3f26 (2025-12-03) data/yearly/{year}.csv "
    "(Apache-2.0); https://cloud.google.com/sustainability/region-carbon"
)
UNIT = " (gCO2eq / kWh)"


def extract(directory: Path) -> None:
    """Rewrite the committed extract from Google's yearly files in ``directory``."""
    rows = []
    for year in YEARS:
        with (directory / f"{year}.csv").open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            label = header[3].removesuffix(UNIT)
            for region, _, cfe, intensity, *_ in reader:
                pct = str(round(float(cfe) * 100)) if cfe else ""
                rows.append([year, region, pct, label, intensity])
    EXTRACT.write_text(
        render(["year", "region", "cfe_pct", "label", "gco2e_per_kwh"], rows), encoding="utf-8"
    )
    print(f"{EXTRACT.name}: {len(rows)} rows from {directory}")


def build() -> str:
    rows = []
    for r in read_csv(EXTRACT):
        value = r["gco2e_per_kwh"]
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        notes = NOTES.format(label=r["label"]) + ("" if r["cfe_pct"] else NO_CFE)
        source = SOURCE.format(year=r["year"])
        rows.append(["gcp", r["region"], r["year"], value, BASIS, r["cfe_pct"], notes, source])
    rows.sort(key=lambda row: (row[1], row[2]))
    return render(HEADER, rows)


if __name__ == "__main__":
    sys.exit(main("cloud_region_intensity.csv", build, __doc__, extract))
