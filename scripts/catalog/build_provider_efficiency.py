"""Build ``function/ai_impact/data/provider_efficiency.csv`` from
``sources/provider_efficiency.toml``.

Usage (from the repository root): ``python scripts/catalog/build_provider_efficiency.py [--check]``.

Rows are copied in order. A row without a published WUE but with a ``[row.derive_wue]`` table
gets its WUE computed here, in litres of on-site water per kWh of IT energy::

    wue_l_per_kwh = water_l / (facility_energy_kwh / pue)

from annual totals (water in US gallons, 1 gal = 3.785411784 L; energy in kWh) or from one
prompt's figures (water in mL over energy in Wh: mL/Wh = L/kWh), rounded to ``digits``
decimals; the notes quote the WUE (3 decimals from annual totals, 2 from a prompt) and the
water in billions of litres (``{wue}``, ``{litres_billion}`` in the notes).
"""

from __future__ import annotations

import sys
from typing import Any

from catalog_csv import SOURCES, main, read_toml, render

HEADER = ["cloud_id", "year", "pue", "wue_l_per_kwh", "notes", "source"]
LITRES_PER_US_GALLON = 3.785411784


def derived_wue(d: dict[str, Any]) -> tuple[float, dict[str, str]]:
    """(WUE rounded to ``digits``, the figures the notes quote) of a derive_wue table."""
    if "water_gallons" in d:
        litres = d["water_gallons"] * LITRES_PER_US_GALLON
        wue = litres / (d["facility_energy_kwh"] / d["pue"])
        quoted = {"litres_billion": f"{litres / 1e9:.2f}", "wue": f"{wue:.3f}"}
    else:
        wue = d["water_ml"] / (d["facility_energy_wh"] / d["pue"])
        quoted = {"wue": f"{wue:.2f}"}
    return round(wue, d["digits"]), quoted


def build() -> str:
    rows = []
    for row in read_toml(SOURCES / "provider_efficiency.toml")["row"]:
        wue, notes = row.get("wue_l_per_kwh"), row["notes"]
        if "derive_wue" in row:
            wue, quoted = derived_wue(row["derive_wue"])
            notes = notes.format(**quoted)
        rows.append([row["cloud_id"], row["year"], row.get("pue"), wue, notes, row["source"]])
    return render(HEADER, rows)


if __name__ == "__main__":
    sys.exit(main("provider_efficiency.csv", build, __doc__))
