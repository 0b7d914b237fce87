"""The location of each row: ``country`` (+ ``region``) -> ``cloud_region`` -> the managed
service's default -> world. Grid intensity of the latest year at or before ``utc_datetime`` (the
latest year when absent); PUE and on-site WUE: managed service -> cloud region -> provider fleet
-> default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact.catalog import Catalog, lookup_key, pick_year
from ai_impact.catalog.defaults import WORLD
from ai_impact.engine.columns import LocationColumns
from ai_impact.parse import Usage
from ai_impact.resolve.common import floats, objects, per_distinct
from ai_impact.resolve.hardware import ResolvedHardware


@dataclass(frozen=True)
class ResolvedLocation:
    """The locations of a batch: the engine's columns, and per distinct location what debug
    shows."""

    columns: LocationColumns
    by: np.ndarray  # object: the resolution step
    country: np.ndarray  # object: ISO 3166-1 code, None for the world average
    region: np.ndarray  # object: ISO 3166-2 subdivision, None when none
    grid_year: np.ndarray  # year of the grid intensity used


@dataclass(frozen=True)
class _Grid:
    country: str | None
    region: str | None
    gco2e_per_kwh: float
    grid_year: int


@dataclass(frozen=True)
class _Answer:
    grid: _Grid
    by: str
    water_offsite_l_per_kwh: float
    pue: float
    wue_l_per_kwh: float


def _grid(catalog: Catalog, country: str, region: str | None, year: int) -> _Grid | None:
    """Grid intensity of ``country-region``, else of ``country``; None if neither has data."""
    zones = ([(f"{country}-{region}", region)] if region else []) + [(country, None)]
    for zone, zone_region in zones:
        years = catalog.grid_years.get(lookup_key(zone))
        if years is not None:
            row = pick_year(years, year)
            grid = catalog.grid_intensity
            return _Grid(
                country=country if zone != WORLD else None,
                region=zone_region,
                gco2e_per_kwh=float(grid["gco2e_per_kwh"][row]),
                grid_year=int(grid["year"][row]),
            )
    return None


def _world(catalog: Catalog, year: int) -> _Grid:
    grid = _grid(catalog, WORLD, None, year)
    if grid is None:  # the bundled grid_intensity.csv has WORLD rows: a broken catalog
        raise ValueError("the catalog has no WORLD grid intensity")
    return grid


def _water_row(catalog: Catalog, country: str | None) -> int:
    """Row of the country's off-site water intensity, else the world's."""
    waters = catalog.water_intensity
    row = waters.find(country or WORLD)
    row = row if row is not None else waters.find(WORLD)
    if row is None:  # the bundled water_intensity.csv has a WORLD row: a broken catalog
        raise ValueError("the catalog has no WORLD water intensity")
    return row


def _cloud_region(catalog: Catalog, cloud_id: str | None, name: str | None) -> int | None:
    if not name:
        return None
    row = catalog.cloud_regions.find(cloud_id, name) if cloud_id else None
    return row if row is not None else catalog.region_by_name.get(lookup_key(name))


def _provider_grid(catalog: Catalog, region_row: int, year: int) -> _Grid | None:
    """The cloud provider's own published intensity for the region (Google publishes its own)."""
    regions = catalog.cloud_regions
    key = (
        lookup_key(regions["cloud_id"][region_row])
        + "|"
        + lookup_key(regions["cloud_region"][region_row])
    )
    years = catalog.region_years.get(key)
    if years is None:
        return None
    row = pick_year(years, year)
    table = catalog.cloud_region_intensity
    return _Grid(
        country=regions["country"][region_row],
        region=regions["region"][region_row],
        gco2e_per_kwh=float(table["gco2e_per_kwh"][row]),
        grid_year=int(table["year"][row]),
    )


# country, region, cloud_id, cloud_region, hardware code, year
_Key = tuple[str | None, str | None, str | None, str | None, int, int]


def _answer(catalog: Catalog, hardware: ResolvedHardware, key: _Key) -> _Answer:
    country, region, cloud_id, cloud_region, hardware_code, year = key
    service = int(hardware.service_row[hardware_code])
    node = int(hardware.node_row[hardware_code])
    region_row = _cloud_region(catalog, cloud_id, cloud_region)
    grid, tried, by = None, [], ""
    if country:
        grid = _grid(catalog, country, region, year)
        by = "country + region" if grid and grid.region else "country"
        tried.append(country)
    if grid is None and region_row is not None:
        regions = catalog.cloud_regions
        grid = _provider_grid(catalog, region_row, year)
        by = "cloud_region (provider-published intensity)"
        if grid is None:
            grid = _grid(
                catalog, regions["country"][region_row], regions["region"][region_row], year
            )
            by = "cloud_region -> country" + (" + region" if grid and grid.region else "")
    services = catalog.services
    if grid is None and service >= 0 and services["default_country"][service]:
        grid = _grid(
            catalog, services["default_country"][service], services["default_region"][service], year
        )
        by = "managed_service_id default location"
    if grid is None:
        grid = _world(catalog, year)
        by = f"world (no grid data for {', '.join(tried)})" if tried else "world"
    water = _water_row(catalog, grid.country)
    pue, wue = _efficiency(catalog, service, region_row, node, cloud_id, year)
    return _Answer(
        grid=grid,
        by=by,
        water_offsite_l_per_kwh=float(catalog.water_intensity["water_offsite_l_per_kwh"][water]),
        pue=pue,
        wue_l_per_kwh=wue,
    )


def _efficiency(
    catalog: Catalog,
    service: int,
    region_row: int | None,
    node: int,
    cloud_id: str | None,
    year: int,
) -> tuple[float, float]:
    """PUE and on-site WUE: managed service -> cloud region -> provider fleet -> default."""
    pue = wue = np.nan
    if service >= 0:
        pue = catalog.services["pue"][service]
        wue = catalog.services["wue_l_per_kwh"][service]
    if region_row is not None:
        pue = pue if np.isfinite(pue) else catalog.cloud_regions["pue"][region_row]
        wue = wue if np.isfinite(wue) else catalog.cloud_regions["wue_l_per_kwh"][region_row]
        cloud_id = cloud_id or catalog.cloud_regions["cloud_id"][region_row]
    if not cloud_id and node >= 0:
        cloud_id = catalog.nodes["cloud_id"][node]
    for provider in (cloud_id, "default"):
        years = catalog.efficiency_years.get(lookup_key(provider)) if provider else None
        if years is not None:
            row = pick_year(years, year)
            table = catalog.provider_efficiency
            pue = pue if np.isfinite(pue) else table["pue"][row]
            wue = wue if np.isfinite(wue) else table["wue_l_per_kwh"][row]
    return float(pue), float(wue)


def resolve_locations(
    usage: Usage, catalog: Catalog, hardware: ResolvedHardware
) -> ResolvedLocation:
    """The grid and data-centre efficiency of every row (always resolved: the world average is
    the last fallback)."""
    s = usage.strings
    keys = (
        s["country"].tolist(),
        s["region"].tolist(),
        s["cloud_id"].tolist(),
        s["cloud_region"].tolist(),
        hardware.columns.codes.tolist(),
        usage.year.tolist(),
    )
    codes, answers = per_distinct(keys, lambda key: _answer(catalog, hardware, key))
    columns = LocationColumns(
        codes=codes,
        gco2e_per_kwh=floats(a.grid.gco2e_per_kwh for a in answers),
        pue=floats(a.pue for a in answers),
        wue_l_per_kwh=floats(a.wue_l_per_kwh for a in answers),
        water_offsite_l_per_kwh=floats(a.water_offsite_l_per_kwh for a in answers),
    )
    return ResolvedLocation(
        columns=columns,
        by=objects([a.by for a in answers]),
        country=objects([a.grid.country for a in answers]),
        region=objects([a.grid.region for a in answers]),
        # float, as debug has always shown it (2024.0)
        grid_year=floats(a.grid.grid_year for a in answers),
    )
