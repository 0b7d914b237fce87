"""Build ``function/ai_impact/data/cloud_regions.csv`` (where each cloud region is, and the PUE
that applies to it) from ``sources/cloud_regions.csv``.

Usage (from the repository root): ``python scripts/catalog/build_cloud_regions.py [--check]``.

``sources/cloud_regions.csv`` holds, per region: its location (country, ISO 3166-2 subdivision),
a description (place, and remarks on the grid zone), the sources of its location beyond the
region list (``location_sources``), and how its PUE and WUE are set (``efficiency``):

- ``provider-fleet``: both blank, the provider's fleet values of the request's year apply
  (provider_efficiency.csv);
- ``google-fleet``: both blank, Google's fleet values apply (the source cites Google's 2024
  Environmental Report);
- ``google-campus``: the PUE of the Google campus serving the region (``pue``), as transcribed
  in Cloud Carbon Footprint; WUE blank.

Derived here: the notes and source texts of each kind. WUE is blank in every row: no provider
publishes one per region.
"""

from __future__ import annotations

import sys

from catalog_csv import SOURCES, main, read_csv, render

HEADER = [
    "cloud_id",
    "cloud_region",
    "country",
    "region",
    "pue",
    "wue_l_per_kwh",
    "notes",
    "source",
]
LOCATION_SOURCE = (
    "location: region list: provider docs / PyPI boaviztapi==2.5.0 "
    "boaviztapi/data/archetypes/cloud/regions.csv (AGPL-3.0)"
)
GOOGLE_FLEET = "the Google fleet value of the request's year applies"
NOTES = {
    "provider-fleet": (
        "PUE and WUE: blank, so the provider's fleet values of the request's year apply "
        "(provider_efficiency.csv); a fleet value copied here would override every year"
    ),
    "google-fleet": (
        f"PUE: blank, {GOOGLE_FLEET}; WUE: blank, {GOOGLE_FLEET} (provider_efficiency.csv)"
    ),
    "google-campus": (
        "PUE {pue}: Google campus trailing-twelve-month PUE as transcribed in CCF (period not "
        f"stated); WUE: blank, {GOOGLE_FLEET} (provider_efficiency.csv)"
    ),
}
PUE_SOURCES = {
    "provider-fleet": None,
    "google-fleet": (
        "Google 2024 Environmental Report, https://blog.google/outreach-initiatives/"
        "sustainability/2024-environmental-report: 'In 2023, the average annual power usage "
        "effectiveness for our data centers was 1.10 compared with the industry average of 1.58'"
    ),
    "google-campus": (
        "CCF GCP_CLOUD_CONSTANTS.PUE_TRAILING_TWELVE_MONTH (github "
        "cloud-carbon-footprint/cloud-carbon-footprint @b7a049c (2024-03-25), "
        "packages/gcp/src/domain/*FootprintEstimationConstants.ts and "
        "packages/gcp/src/lib/*Regions.ts (Apache-2.0)), from Google data center efficiency page"
    ),
}


def region_row(r: dict[str, str]) -> list[str]:
    kind = r["efficiency"]
    if (kind == "google-campus") != bool(r["pue"]):
        raise SystemExit(f"{r['cloud_region']}: a PUE is given exactly for google-campus rows")
    notes = f"{r['description']}; " + NOTES[kind].format(pue=r["pue"])
    source = LOCATION_SOURCE + (f"; {r['location_sources']}" if r["location_sources"] else "")
    if PUE_SOURCES[kind]:
        source += f" | pue/wue: {PUE_SOURCES[kind]}"
    location = [r["cloud_id"], r["cloud_region"], r["country"], r["region"]]
    return [*location, r["pue"], "", notes, source]


def build() -> str:
    return render(HEADER, [region_row(r) for r in read_csv(SOURCES / "cloud_regions.csv")])


if __name__ == "__main__":
    sys.exit(main("cloud_regions.csv", build, __doc__))
