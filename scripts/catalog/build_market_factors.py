"""Build ``function/ai_impact/data/market_factors.csv`` from ``sources/market_factors.toml``.

Usage (from the repository root): ``python scripts/catalog/build_market_factors.py [--check]``.

One row per provider and year: Scope 2 location- and market-based emissions as the provider
reports them (tCO2e). Derived here: the year a fiscal year is filed under (Microsoft's FY ends in
June: FY2017 = July 2016 - June 2017, filed as 2017) and the market/location ratio (4 decimals)
written into the notes; the engine takes the ratio from the two columns itself.
"""

from __future__ import annotations

import sys

from catalog_csv import SOURCES, main, read_toml, render

HEADER = ["cloud_id", "year", "scope2_location_tco2e", "scope2_market_tco2e", "notes", "source"]


def build() -> str:
    facts = read_toml(SOURCES / "market_factors.toml")
    rows = []
    for fy in facts["azure"]:
        year = fy["fiscal_year"]
        location, market = fy["scope2_location_tco2e"], fy["scope2_market_tco2e"]
        notes = (
            f"Microsoft company-wide Scope 2 of fiscal year FY{year % 100:02d} (July {year - 1} - "
            f"June {year}), datacenters and offices together; FY ending in June {year} filed as "
            f"year {year}; market/location = {market / location:.4f}"
        )
        rows.append(["azure", year, location, market, notes, facts["source"]])
    return render(HEADER, rows)


if __name__ == "__main__":
    sys.exit(main("market_factors.csv", build, __doc__))
