"""Embodied footprints of GPUs and servers from every source, side by side
(``embodied_sources.csv``): the spread around the point values of ``gpus.csv`` and
``nodes.csv``, for the ranges feature.

The point values (docs/methodology.md, section 9): GPU emissions = NVIDIA's product carbon
footprint where published (HGX H100: 164 kgCO2e per GPU), other GPUs scaled from it; water =
the fab-water derivation of the H100 (``scripts/derive_gpu_water.py``), other GPUs and servers
scaled by their embodied kgCO2e. ``low``/``high`` = the smallest and largest figure among the
point value and the source rows marked ``in_range``.
"""

from __future__ import annotations

import numpy as np

from ai_impact.catalog import Catalog, lookup_key

# component -> (catalog table, id column, column of the point value per metric)
_POINTS = {
    "gpu": (
        "gpus",
        "gpu_id",
        {
            "embodied_emissions_kgco2e": "embodied_emissions_kgco2e",
            "embodied_water_l": "embodied_water_l",
        },
    ),
    "server": (
        "nodes",
        "node_id",
        {
            "embodied_emissions_kgco2e": "embodied_emissions_kgco2e_ex_gpu",
            "embodied_water_l": "embodied_water_l_ex_gpu",
        },
    ),
}


def embodied_range(
    catalog: Catalog, component: str, component_id: str, metric: str
) -> tuple[float, float]:
    """(low, high) of ``metric`` (``embodied_emissions_kgco2e`` or ``embodied_water_l``) for a
    GPU or server: the extremes of its point value and its ``in_range`` sources; (NaN, NaN)
    when the component is unknown."""
    table_name, _, columns = _POINTS[component]
    table = catalog.tables[table_name]
    row = table.find(component_id)
    if row is None:
        return float("nan"), float("nan")
    values = [float(table[columns[metric]][row])]
    sources = catalog.embodied_sources
    key = lookup_key(component_id)
    for i in range(len(sources)):
        if (
            sources["component"][i] == component
            and lookup_key(sources["component_id"][i]) == key
            and sources["in_range"][i] == "yes"
        ):
            values.append(float(sources[metric][i]))
    finite = [v for v in values if np.isfinite(v)]
    return min(finite), max(finite)
