"""Carbon intensity of electricity where and when a request ran, location- or market-based.

- Location-based (GHG Protocol Scope 2 Guidance, 2015): the average intensity of the grid the
  electricity came from, for the request's year (``grid_intensity.csv``, Our World in Data's
  yearly series by country; cloud providers' own region figures where published). Every value
  carries its ``basis`` (lifecycle or combustion; production or consumption).
- Market-based: what the electricity user's contracts (PPAs, certificates, green tariffs) make
  of it. Nobody publishes a contract factor per request, so this module derives one, per row:
  the row's own ``grid_emissions_factor_gco2e_per_kwh`` -> the region's hourly carbon-free
  share where the provider publishes it (Google) -> the provider's market-to-location ratio
  of the year (its reported Scope 2 market-based over location-based emissions,
  ``market_factors.csv``) -> the location factor itself (no instrument known; docs say why).

docs/methodology.md, sections 6 and 6a, give the sources and the limits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ai_impact.catalog import Catalog, Table, lookup_key, pick_year

EMISSIONS_BASES = ("location", "market")
DEFAULT_EMISSIONS_BASIS = "location"
# The row field that overrides the emission factor (fields.py).
OVERRIDE_FIELD = "grid_emissions_factor_gco2e_per_kwh"
# Location answers this module adds, shown in debug.
DEBUG_COLUMNS = (
    "grid_year_rule",
    "grid_basis",
    "grid_source",
    "location_gco2e_per_kwh",
    "emissions_basis",
    "emissions_factor_by",
)


def check_emissions_basis(value: object) -> str:
    """``value`` as one of :data:`EMISSIONS_BASES` (case-insensitive); ValueError otherwise."""
    text = str(value if value is not None else DEFAULT_EMISSIONS_BASIS).strip().lower()
    if text not in EMISSIONS_BASES:
        raise ValueError(f"emissions_basis {value!r} is not one of {', '.join(EMISSIONS_BASES)}")
    return text


def year_rule(years: np.ndarray, chosen: int, requested: int) -> str:
    """Why ``chosen`` was picked among the data ``years`` for a request of year ``requested``
    (0 = undated), in words for debug."""
    if requested <= 0:
        return f"latest year with data ({chosen}): the row has no utc_datetime"
    if requested < int(years[0]):
        return f"earliest year with data ({chosen}): the request ({requested}) precedes the data"
    if chosen == requested:
        return f"the request's year ({chosen})"
    return f"latest year with data at or before the request ({requested} -> {chosen})"


def zone_intensity(catalog: Catalog, zone: str, year: int) -> dict[str, Any] | None:
    """Location-based intensity of ``zone`` (``DE``, ``US-VA``, ``WORLD``) for ``year``:
    ``gco2e_per_kwh``, ``grid_year``, ``grid_year_rule``, ``grid_basis``, ``grid_source``;
    None when the zone has no data."""
    years = catalog.grid_years.get(lookup_key(zone))
    if years is None:
        return None
    return _intensity_of_year(catalog.grid_intensity, years, year)[1]


def _intensity_of_year(
    table: Table, years: tuple[np.ndarray, np.ndarray], year: int
) -> tuple[int, dict[str, Any]]:
    """The row of ``table`` that ``year`` picks among a zone's ``years`` rows
    (:func:`pick_year`), and its intensity, year, year rule, basis and source."""
    row = pick_year(years, year)
    chosen = int(table["year"][row])
    return row, {
        "gco2e_per_kwh": float(table["gco2e_per_kwh"][row]),
        "grid_year": chosen,
        "grid_year_rule": year_rule(years[0], chosen, year),
        "grid_basis": table["basis"][row],
        "grid_source": table["source"][row],
    }


def region_intensity(
    catalog: Catalog, cloud_id: str, cloud_region: str, year: int
) -> dict[str, Any] | None:
    """A cloud provider's own published intensity of a region for ``year`` (as
    :func:`zone_intensity`, plus the provider's carbon-free-energy share ``cfe_pct``, NaN when
    not published); None when the provider publishes nothing for the region."""
    years = catalog.region_years.get(lookup_key(cloud_id) + "|" + lookup_key(cloud_region))
    if years is None:
        return None
    table = catalog.cloud_region_intensity
    row, intensity = _intensity_of_year(table, years, year)
    return {**intensity, "cfe_pct": float(table["cfe_pct"][row])}


def provider_of(
    catalog: Catalog, cloud_id: str | None, region_row: int | None, node: int, service: int
) -> str | None:
    """The cloud provider that ran the row: ``cloud_id``, else the cloud region's, else the
    node's, else the managed service's default cloud; None when nothing says."""
    found: str | None = None
    if cloud_id:
        found = cloud_id
    elif region_row is not None:
        found = catalog.cloud_regions["cloud_id"][region_row]
    elif node >= 0 and catalog.nodes["cloud_id"][node]:
        found = catalog.nodes["cloud_id"][node]
    elif service >= 0:
        found = catalog.services["default_cloud_id"][service]
    return found


def fleet_efficiency(catalog: Catalog, provider: str, metric: str, year: int) -> tuple[float, str]:
    """A provider's fleet ``pue`` or ``wue_l_per_kwh`` for the latest year at or before
    ``year`` that reports that metric (``provider_efficiency.csv``), and how it was picked;
    (NaN, "") when the provider reports none."""
    years = catalog.fleet_years[metric].get(lookup_key(provider))
    if years is None:
        return float("nan"), ""
    row = pick_year(years, year)
    table = catalog.provider_efficiency
    chosen = int(table["year"][row])
    return float(table[metric][row]), f"{provider} fleet, {year_rule(years[0], chosen, year)}"


def market_ratio(catalog: Catalog, cloud_id: str | None, year: int) -> tuple[float, str] | None:
    """The provider's Scope 2 market-based / location-based emissions for the year picked as
    for grids, with a description and source; None when the provider discloses nothing."""
    years = catalog.market_years.get(lookup_key(cloud_id)) if cloud_id else None
    if years is None:
        return None
    row = pick_year(years, year)
    table = catalog.market_factors
    market = float(table["scope2_market_tco2e"][row])
    location = float(table["scope2_location_tco2e"][row])
    chosen = int(table["year"][row])
    how = (
        f"{cloud_id} reported Scope 2 {chosen}: market-based {market:,.0f} / location-based "
        f"{location:,.0f} tCO2e = {market / location:.4f} x the location factor "
        f"({year_rule(years[0], chosen, year)}); source: {table['source'][row]}"
    )
    return market / location, how


def apply_emissions_basis(
    answer: dict[str, Any],
    catalog: Catalog,
    *,
    emissions_basis: str,
    cloud_id: str | None,
    cfe_pct: float,
    override_gco2e_per_kwh: float,
    year: int,
    contract_gco2e_per_kwh: float = float("nan"),
    cfe_by: str = "the provider reports for the region and year, hourly matched",
    contract_by: str = "",
) -> None:
    """Set ``answer["gco2e_per_kwh"]`` to the factor the emissions use and say how.

    ``answer`` holds the location-based intensity (``gco2e_per_kwh``); it gains
    ``location_gco2e_per_kwh``, ``emissions_basis`` and ``emissions_factor_by``. With
    ``market``: a datacenter's contract factor ``contract_gco2e_per_kwh`` where it has one
    (``contract_by`` says whose), else ``f = f_location x (1 - CFE/100)`` where a carbon-free
    share is published (``cfe_by`` says whose: the region's hourly share, or a datacenter's),
    else ``f = f_location x S2_market / S2_location`` of the provider's year, else
    ``f_location``. A finite ``override_gco2e_per_kwh`` (the row's own contract factor) wins
    over both bases.
    """
    location = answer["gco2e_per_kwh"]
    answer["location_gco2e_per_kwh"] = location
    answer["emissions_basis"] = emissions_basis
    if np.isfinite(override_gco2e_per_kwh):
        answer["gco2e_per_kwh"] = float(override_gco2e_per_kwh)
        answer["emissions_factor_by"] = "row field grid_emissions_factor_gco2e_per_kwh"
        return
    if emissions_basis == "location":
        answer["emissions_factor_by"] = "location-based grid intensity"
        return
    if np.isfinite(contract_gco2e_per_kwh):
        answer["gco2e_per_kwh"] = float(contract_gco2e_per_kwh)
        answer["emissions_factor_by"] = f"market: contract factor of {contract_by}"
        return
    if np.isfinite(cfe_pct):
        answer["gco2e_per_kwh"] = location * (1.0 - cfe_pct / 100.0)
        answer["emissions_factor_by"] = (
            f"market: location factor x (1 - {cfe_pct:g}% carbon-free energy {cfe_by})"
        )
        return
    ratio = market_ratio(catalog, cloud_id, year)
    if ratio is not None:
        answer["gco2e_per_kwh"] = location * ratio[0]
        answer["emissions_factor_by"] = "market: " + ratio[1]
        return
    answer["emissions_factor_by"] = (
        "market: no provider disclosure or contract factor for this row, location factor used "
        "(a residual-mix factor would be higher; give grid_emissions_factor_gco2e_per_kwh)"
    )
