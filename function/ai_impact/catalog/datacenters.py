"""Datacenters: where a request ran, and the figures its operator publishes for each year.

A site is a row of ``datacenters.csv`` (predefined) or a custom datacenter of the REST API: its
place (country, region, cloud region) and its figures of its ``year``. ``datacenter_years.csv``
adds a predefined site's figures of other years. Each figure is picked on its own, by the rule
the grid intensity follows (:func:`ai_impact.catalog.pick_year`): the request's year if
published, else the latest published year before it, else (a request older than every figure)
the earliest; an undated request takes the latest. A site may publish a metric in one year and
another metric in another (Prineville: PUE 2011, WUE 2012).

Figures: ``pue`` (facility / IT energy), ``wue_l_per_kwh`` (on-site water, L per kWh of IT
energy), and for the market-based emissions basis (GHG Protocol Scope 2 Guidance, 2015) the
site's ``contract_gco2e_per_kwh`` (the emission factor of its power contract) or ``cfe_pct``
(its carbon-free-energy share, %). docs/methodology.md, section "Datacenters".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact.catalog import Catalog, lookup_key, pick_year
from ai_impact.catalog.grid import year_rule

METRICS = ("pue", "wue_l_per_kwh", "contract_gco2e_per_kwh", "cfe_pct")


@dataclass(frozen=True)
class Figure:
    """One metric of a site for a request's year: its value and how it was picked."""

    value: float
    year: int
    by: str  # "datacenter <id> (<year>), <why that year>"


@dataclass(frozen=True)
class Site:
    """A datacenter as a request of ``year`` sees it."""

    datacenter_id: str
    country: str
    region: str | None
    cloud_id: str | None
    cloud_region: str | None
    figures: dict[str, Figure]  # metric -> its figure; metrics the site never published: absent

    def value(self, metric: str) -> float:
        """The metric's value, NaN when the site publishes none."""
        figure = self.figures.get(metric)
        return figure.value if figure is not None else float("nan")


def _series(catalog: Catalog, row: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """(years, values) of ``metric`` published for the site of ``datacenters`` row ``row``,
    sorted by year: its own row's, and its ``datacenter_years`` rows'."""
    sites, years_table = catalog.datacenters, catalog.datacenter_years
    key = lookup_key(sites["datacenter_id"][row])
    pairs = [(int(sites["year"][row]), float(sites[metric][row]))]
    pairs += [
        (int(years_table["year"][i]), float(years_table[metric][i]))
        for i in range(len(years_table))
        if lookup_key(years_table["datacenter_id"][i]) == key
    ]
    pairs = sorted(p for p in pairs if np.isfinite(p[1]))
    return np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs])


def site(catalog: Catalog, datacenter_id: str, year: int) -> Site | None:
    """The datacenter ``datacenter_id`` (predefined or custom; None if unknown) with each of its
    figures picked for a request of ``year`` (0: undated)."""
    sites = catalog.datacenters
    row = sites.find(datacenter_id)
    if row is None:
        return None
    name = sites["datacenter_id"][row]
    figures = {}
    for metric in METRICS:
        years, values = _series(catalog, row, metric)
        if len(years):
            chosen = pick_year((years, np.arange(len(years))), year)
            picked = int(years[chosen])
            rule = year_rule(years, picked, year)
            by = f"datacenter {name} ({picked}), {rule}"
            figures[metric] = Figure(float(values[chosen]), picked, by)
    return Site(
        datacenter_id=name,
        country=sites["country"][row],
        region=sites["region"][row],
        cloud_id=sites["cloud_id"][row],
        cloud_region=sites["cloud_region"][row],
        figures=figures,
    )


def of_node(catalog: Catalog, node: int) -> str | None:
    """The datacenter a catalog node names (``nodes.datacenter_id``; custom nodes), if any."""
    return catalog.nodes["datacenter_id"][node] if node >= 0 else None
