"""``POST /v1/impact``: ``{rows}`` in, ``ImpactResponse`` out, over the caller's catalog.

- The body is :class:`~ai_impact.rest.schemas.ImpactRequest`; each row is validated by the
  engine's parser, as on every door (the field table's ranges, patterns and enums; a key that
  is a typo of a field is an ``invalid_field`` error, other unknown keys are listed in debug).
  Bad rows never fail the request; every row carries the four blocks.
- Totals follow the SDK (which computes them client-side): ``total_energy_wh``,
  ``total_gco2e`` and ``total_mlh2o`` are the sums of ``total_impact`` usage energy, usage
  emissions and usage water; embodied impacts are not in them.
- ``debug=true`` adds the hosted API's ``debug`` (model, hardware_node, grid_mix, steps), its
  model and node shown as ``GET /model/{id}`` and ``GET /node/{id}`` show them to the caller;
  ``extensions=true`` adds this project's ``energy_breakdown``, ``water_breakdown``,
  ``assumptions``, ``ignored_fields`` and ``grid_details`` (the grid's year, basis, source and
  emissions basis; keys the SDK's ``DebugInfo`` and ``GridMix`` forbid).
- ``emissions_basis=market`` (query parameter) uses market-based emission factors.
- ``extensions=true`` adds ``confidence`` (tier, reasons, method) to every row, and with
  ``ranges=true`` the ``ranges`` of every metric (docs/methodology.md section 15).
"""

from __future__ import annotations

import math

from ai_impact.rest.entries import Caller, find, present
from ai_impact.rest.resources import MODEL, NODE, Resource, scope3_fields
from ai_impact.rest.schemas import ImpactRequest, parse
from ai_impact.rest.tenancy import Item

SCOPE3_DEBUG = ("model", "hardware_node", "grid_mix", "steps")
GRID_MIX = ("country", "region", "gco2e_per_kwh")  # the spec's GridMix; the rest: grid_details
METADATA = ("customer_id", "created_at", "updated_at", "created_by")
TOTALS = {
    "total_energy_wh": "usage_energy_wh",
    "total_gco2e": "usage_emissions_gco2e",
    "total_mlh2o": "usage_water_ml",
}


def _shown(
    caller: Caller, resource: Resource, obj: dict | None, cache: dict[str, Item | None]
) -> dict | None:
    """A debug model or node with the values the row used, its id and metadata as the
    caller's ``GET`` shows them (kept as rendered when it is no catalog entry)."""
    if obj is None:
        return None
    if obj["id"] not in cache:
        cache[obj["id"]] = find(caller, resource, obj["id"])
    item = cache[obj["id"]]
    out = scope3_fields(resource, obj, extensions=False)
    out |= {k: obj[k] for k in METADATA if obj.get(k) is not None}
    if item is None:
        return out
    shown = present(caller, item)
    out.pop("customer_id", None)
    return out | {k: shown[k] for k in ("id", *METADATA) if k in shown}


def _debug(caller: Caller, debug: dict, extensions: bool, cache: dict) -> dict:
    out = {k: debug[k] for k in SCOPE3_DEBUG if debug.get(k) is not None}
    for key, resource in (("model", MODEL), ("hardware_node", NODE)):
        if key in out:
            out[key] = _shown(caller, resource, out[key], cache.setdefault(key, {}))
    grid = debug["grid_mix"]
    out["grid_mix"] = {k: grid[k] for k in GRID_MIX if grid.get(k) is not None}
    if extensions:
        out |= {k: v for k, v in debug.items() if k not in SCOPE3_DEBUG and v is not None}
        out["grid_details"] = {k: v for k, v in grid.items() if k not in GRID_MIX}
    return out


def impact(
    caller: Caller,
    body: object,
    debug: bool,
    extensions: bool,
    emissions_basis: str = "location",
    model_match: str = "fallback",
    ranges: bool = False,
) -> dict:
    rows = parse(ImpactRequest, body).rows
    estimate = caller.catalogs.estimator(caller.token.customer_id)
    # Ranges and confidence are extensions: only with extensions=true (the SDK's plain
    # ModeledRow stays valid); every extended row carries its confidence, ranges on request.
    replies = estimate(
        rows,
        debug=debug,
        emissions_basis=emissions_basis,
        model_match=model_match,
        ranges=extensions,
    )
    cache: dict = {}
    for reply in replies:
        if reply.get("error") is None:
            reply.pop("error", None)
        if reply.get("confidence") is None:  # error rows: neither confidence nor ranges
            reply.pop("confidence", None)
        if not ranges or reply.get("ranges") is None:
            reply.pop("ranges", None)
        if "debug" in reply:
            reply["debug"] = _debug(caller, reply["debug"], extensions, cache)
    totals = {
        name: math.fsum(r["total_impact"][metric] for r in replies)
        for name, metric in TOTALS.items()
    }
    return {"rows": replies, **totals, "has_errors": any("error" in r for r in replies)}
