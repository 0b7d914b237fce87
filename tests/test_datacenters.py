"""Predefined datacenters (issue 17, item 1): each site's published figures with a source."""

from __future__ import annotations

import math

from ai_impact import catalog as cat


def test_every_datacenter_states_a_figure_and_its_place() -> None:
    catalog = cat.default()
    sites = catalog.datacenters
    assert len(sites) >= 9
    regions = catalog.cloud_regions
    for i in range(len(sites)):
        values = [sites[c][i] for c in ("pue", "wue_l_per_kwh", "contract_gco2e_per_kwh")]
        assert any(math.isfinite(v) for v in values), sites["datacenter_id"][i]
        assert catalog.grid_years.get(cat.lookup_key(sites["country"][i])) is not None
        if sites["cloud_region"][i]:
            row = regions.find(sites["cloud_id"][i], sites["cloud_region"][i])
            assert row is not None
            assert regions["country"][row] == sites["country"][i]
            # a campus's PUE is the one its cloud region uses
            assert regions["pue"][row] == sites["pue"][i]
