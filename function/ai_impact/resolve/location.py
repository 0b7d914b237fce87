"""The location of each row: ``datacenter_id`` (the row's, else its node's) -> ``country``
(+ ``region``) -> ``cloud_region`` -> the managed service's default -> world. A datacenter also
gives PUE, WUE and its market-based figures (contract factor or carbon-free share) where it
publishes them, each of the request's year (``catalog.datacenters``); an unknown
``datacenter_id`` is a row error. Grid intensity of the latest year at or before
``utc_datetime`` (the latest year when absent; ``catalog.grid`` says which and why); PUE and
on-site WUE: datacenter -> managed service -> cloud region -> provider fleet -> default. The
emission factor follows the emissions basis (location or market,
``catalog.grid.apply_emissions_basis``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ai_impact.catalog import Catalog, lookup_key
from ai_impact.catalog import datacenters as sites
from ai_impact.catalog.defaults import WORLD
from ai_impact.catalog.grid import (
    OVERRIDE_FIELD,
    apply_emissions_basis,
    fleet_efficiency,
    provider_of,
    region_intensity,
    zone_intensity,
)
from ai_impact.engine.columns import LocationColumns
from ai_impact.errors import RowErrors, clip
from ai_impact.parse import Usage
from ai_impact.resolve.common import (
    Failure,
    floats,
    hashable,
    objects,
    per_distinct,
    row_errors,
)
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
    grid_year_rule: np.ndarray  # object: why that year
    grid_basis: np.ndarray  # object: lifecycle|combustion, production|consumption
    grid_source: np.ndarray  # object: the source of the intensity
    location_gco2e_per_kwh: np.ndarray  # the location-based intensity (whatever the basis)
    emissions_basis: np.ndarray  # object: location or market
    factor_by: np.ndarray  # object: how the emission factor used was obtained
    efficiency_by: np.ndarray  # object: which source and year gave PUE and WUE
    errors: RowErrors  # rows naming an unknown datacenter_id


@dataclass(frozen=True)
class _Grid:
    country: str | None
    region: str | None
    gco2e_per_kwh: float
    grid_year: int
    year_rule: str
    basis: str
    source: str
    cfe_pct: float = float("nan")  # the provider's carbon-free share of the region, if published


@dataclass(frozen=True)
class _Answer:
    grid: _Grid
    by: str
    water_offsite_l_per_kwh: float
    pue: float
    wue_l_per_kwh: float
    efficiency_by: str  # which source and year gave PUE and WUE
    factor: dict[str, Any]  # catalog.grid.apply_emissions_basis's answer
    failure: Failure | None = None


def _grid(catalog: Catalog, country: str, region: str | None, year: int) -> _Grid | None:
    """Grid intensity of ``country-region``, else of ``country``; None if neither has data."""
    zones = ([(f"{country}-{region}", region)] if region else []) + [(country, None)]
    for zone, zone_region in zones:
        found = zone_intensity(catalog, zone, year)
        if found is not None:
            return _Grid(
                country=country if zone != WORLD else None,
                region=zone_region,
                gco2e_per_kwh=found["gco2e_per_kwh"],
                grid_year=found["grid_year"],
                year_rule=found["grid_year_rule"],
                basis=found["grid_basis"],
                source=found["grid_source"],
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
    found = region_intensity(
        catalog, regions["cloud_id"][region_row], regions["cloud_region"][region_row], year
    )
    if found is None:
        return None
    return _Grid(
        country=regions["country"][region_row],
        region=regions["region"][region_row],
        gco2e_per_kwh=found["gco2e_per_kwh"],
        grid_year=found["grid_year"],
        year_rule=found["grid_year_rule"],
        basis=found["grid_basis"],
        source=found["grid_source"],
        cfe_pct=found["cfe_pct"],
    )


# datacenter_id, country, region, cloud_id, cloud_region, hardware code, year, factor override
_Key = tuple[str | None, str | None, str | None, str | None, str | None, int, int, float]


def _market_figures(
    catalog: Catalog, site: sites.Site | None, grid: _Grid, year: int
) -> dict[str, Any]:
    """What the market basis may use besides the provider's ratio. With a datacenter: its
    contract factor, else its carbon-free share, else (a site in a cloud region) the share the
    provider publishes for that region and year. Without: the share the grid came with (a
    provider-published region's, NaN otherwise)."""
    if site is None:
        return {"cfe_pct": grid.cfe_pct}
    contract = site.figures.get("contract_gco2e_per_kwh")
    if contract is not None:
        return {
            "contract_gco2e_per_kwh": contract.value,
            "contract_by": contract.by,
            "cfe_pct": float("nan"),
        }
    cfe = site.figures.get("cfe_pct")
    if cfe is not None:
        return {"cfe_pct": cfe.value, "cfe_by": f"of {cfe.by}"}
    if site.cloud_id and site.cloud_region:
        found = region_intensity(catalog, site.cloud_id, site.cloud_region, year)
        if found is not None and np.isfinite(found["cfe_pct"]):
            return {
                "cfe_pct": found["cfe_pct"],
                "cfe_by": f"{site.cloud_id} reports for {site.cloud_region}, the region of "
                f"datacenter {site.datacenter_id} ({found['grid_year_rule']}), hourly matched",
            }
    return {"cfe_pct": float("nan")}


def _answer(
    catalog: Catalog, hardware: ResolvedHardware, key: _Key, emissions_basis: str
) -> _Answer:
    datacenter_id, country, region, cloud_id, cloud_region, hardware_code, year, override = key
    service = int(hardware.service_row[hardware_code])
    node = int(hardware.node_row[hardware_code])
    from_node = not datacenter_id and sites.of_node(catalog, node) is not None
    if from_node:
        datacenter_id = sites.of_node(catalog, node)
    site = sites.site(catalog, datacenter_id, year) if datacenter_id else None
    failure = None
    if datacenter_id and site is None:  # the row fails; its other answers are not shown
        failure = Failure(
            "unknown_datacenter",
            "datacenter_id",
            f"datacenter {clip(datacenter_id)!r} is not in the catalog",
        )
    if site is not None:  # the site decides the place, its cloud region included
        country, region = site.country, site.region
        cloud_id, cloud_region = site.cloud_id, site.cloud_region
    region_row = _cloud_region(catalog, cloud_id, cloud_region)
    grid, tried, by = None, [], ""
    if country:
        grid = _grid(catalog, country, region, year)
        by = "country + region" if grid and grid.region else "country"
        if site is not None:
            whose = " (the node's)" if from_node else ""
            by = f"datacenter {site.datacenter_id}{whose} -> {by}"
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
    pue, wue, efficiency_by = _efficiency(catalog, service, region_row, node, cloud_id, year, site)
    # A site that is no cloud's (a customer's own) has no provider's market ratio.
    provider = (
        site.cloud_id
        if site is not None
        else provider_of(catalog, cloud_id, region_row, node, service)
    )
    factor: dict[str, Any] = {"gco2e_per_kwh": grid.gco2e_per_kwh}
    apply_emissions_basis(
        factor,
        catalog,
        emissions_basis=emissions_basis,
        cloud_id=provider,
        override_gco2e_per_kwh=override,
        year=year,
        **_market_figures(catalog, site, grid, year),
    )
    return _Answer(
        grid=grid,
        by=by,
        water_offsite_l_per_kwh=float(catalog.water_intensity["water_offsite_l_per_kwh"][water]),
        pue=pue,
        wue_l_per_kwh=wue,
        efficiency_by=efficiency_by,
        factor=factor,
        failure=failure,
    )


def _efficiency(
    catalog: Catalog,
    service: int,
    region_row: int | None,
    node: int,
    cloud_id: str | None,
    year: int,
    site: sites.Site | None = None,
) -> tuple[float, float, str]:
    """PUE and on-site WUE: datacenter -> managed service -> cloud region -> provider fleet
    (each metric of its own year, picked as the grid's) -> default; and which source gave
    each."""
    values = {"pue": np.nan, "wue_l_per_kwh": np.nan}
    by = dict.fromkeys(values, "")
    if site is not None:
        for metric in values:
            figure = site.figures.get(metric)
            if figure is not None:
                values[metric], by[metric] = figure.value, figure.by
    if service >= 0:
        for metric in values:
            if not np.isfinite(values[metric]):
                values[metric] = catalog.services[metric][service]
                by[metric] = "managed_service_id"
    if region_row is not None:
        for metric in values:
            if not np.isfinite(values[metric]):
                values[metric] = catalog.cloud_regions[metric][region_row]
                by[metric] = "cloud_region"
        cloud_id = cloud_id or catalog.cloud_regions["cloud_id"][region_row]
    if not cloud_id and node >= 0:
        cloud_id = catalog.nodes["cloud_id"][node]
    for provider in (cloud_id, "default"):
        for metric in values:
            if provider and not np.isfinite(values[metric]):
                values[metric], by[metric] = fleet_efficiency(catalog, provider, metric, year)
    described = "; ".join(f"{m.split('_')[0]}: {b}" for m, b in by.items())
    return float(values["pue"]), float(values["wue_l_per_kwh"]), described


def resolve_locations(
    usage: Usage, catalog: Catalog, hardware: ResolvedHardware, emissions_basis: str = "location"
) -> ResolvedLocation:
    """The grid and data-centre efficiency of every row (always resolved: the world average is
    the last fallback), and the emission factor of ``emissions_basis``."""
    s = usage.strings
    keys = (
        s["datacenter_id"].tolist(),
        s["country"].tolist(),
        s["region"].tolist(),
        s["cloud_id"].tolist(),
        s["cloud_region"].tolist(),
        hardware.columns.codes.tolist(),
        usage.year.tolist(),
        hashable(usage.numbers[OVERRIDE_FIELD]),
    )
    codes, answers = per_distinct(
        keys, lambda key: _answer(catalog, hardware, key, emissions_basis)
    )
    columns = LocationColumns(
        codes=codes,
        gco2e_per_kwh=floats(a.factor["gco2e_per_kwh"] for a in answers),
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
        grid_year_rule=objects([a.grid.year_rule for a in answers]),
        grid_basis=objects([a.grid.basis for a in answers]),
        grid_source=objects([a.grid.source for a in answers]),
        location_gco2e_per_kwh=floats(a.grid.gco2e_per_kwh for a in answers),
        emissions_basis=objects([a.factor["emissions_basis"] for a in answers]),
        factor_by=objects([a.factor["emissions_factor_by"] for a in answers]),
        efficiency_by=objects([a.efficiency_by for a in answers]),
        errors=row_errors(codes, [a.failure for a in answers]),
    )
