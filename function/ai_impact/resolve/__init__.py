"""Resolution: what the row names (model, hardware, location) -> the engine's typed columns.

Each resolver works on the distinct combinations of the identifying fields of a batch (few), in
Python, and broadcasts the answers to the rows with ``np.take``. Every distinct key records which
step resolved it (``by``, shown in debug) and the catalog entry debug shows. Rows that cannot be
resolved get an error, returned in :attr:`Resolved.errors` (the caller merges it).

Order of the steps (docs/methodology.md, "Resolution"): :mod:`.model`, :mod:`.hardware`,
:mod:`.location` (which uses the hardware's managed service and node).
"""

from __future__ import annotations

from dataclasses import dataclass

from ai_impact.catalog import Catalog
from ai_impact.errors import RowErrors
from ai_impact.parse import Usage
from ai_impact.resolve.hardware import ResolvedHardware, resolve_hardware
from ai_impact.resolve.location import ResolvedLocation, resolve_locations
from ai_impact.resolve.model import ResolvedModel, resolve_models

__all__ = ["Resolved", "ResolvedHardware", "ResolvedLocation", "ResolvedModel", "resolve"]


@dataclass(frozen=True)
class Resolved:
    model: ResolvedModel
    hardware: ResolvedHardware
    location: ResolvedLocation
    errors: RowErrors  # rows whose model or hardware cannot be resolved (model's first)


def resolve(
    usage: Usage,
    catalog: Catalog,
    emissions_basis: str = "location",
    model_match: str = "fallback",
) -> Resolved:
    """Resolve model, hardware and location of every row; ``emissions_basis`` (``location`` or
    ``market``) picks the intensity the emissions use (``catalog.grid``); ``model_match="exact"``
    makes family and size fallbacks ``unknown_model`` errors."""
    model, errors = resolve_models(usage, catalog, model_match)
    hardware, hardware_errors = resolve_hardware(
        usage, catalog, model.provider_service[model.columns.codes]
    )
    errors.merge(hardware_errors)
    location = resolve_locations(usage, catalog, hardware, emissions_basis)
    errors.merge(location.errors)
    return Resolved(model, hardware, location, errors)
