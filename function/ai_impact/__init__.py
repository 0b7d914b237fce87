"""ai-impact: energy, emissions and water of AI requests.

>>> import ai_impact
>>> rows = ai_impact.estimate([{"model_id": "llama_31_8b", "output_tokens": 500}])
>>> sorted(rows[0])
['error', 'fine_tuning_impact', 'inference_impact', 'total_impact', 'training_impact']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ai_impact import catalog as _catalog
from ai_impact.catalog.grid import check_emissions_basis
from ai_impact.catalog.names import MODEL_MATCH
from ai_impact.confidence import confidence as _confidence
from ai_impact.engine.chain import compute
from ai_impact.engine.columns import Impacts
from ai_impact.errors import RowErrors
from ai_impact.parse import Usage, check_quantities, list_ignored, parse_rows
from ai_impact.render import render
from ai_impact.resolve import Resolved, resolve
from ai_impact.uncertainty import uncertainty as _uncertainty

__all__ = ["estimate"]


def estimate(
    rows: Sequence[Mapping[str, Any]],
    *,
    debug: bool = False,
    ranges: bool = False,
    emissions_basis: str = "location",
    catalog: _catalog.Catalog | None = None,
    model_match: str = "fallback",
) -> list[dict[str, Any]]:
    """Estimate the impacts of each row; one Scope3 ``ModeledRow`` dict per row, same order.

    Parameters
    ----------
    rows : mappings with the Scope3 ``ImpactRow`` field names (``model_id``, ``input_tokens``,
        ``output_tokens``, ``managed_service_id``, ``country``, ...) and the extension fields
        ``batch_size``, ``gpu_id``, ``gpu_count``, ``model_total_params_billions``,
        ``model_active_params_billions``, ``model_datatype``.
    debug : add ``debug`` (model, hardware node, grid mix, steps, energy breakdown, assumptions,
        ``confidence``, and ``ignored_fields``: keys of the row that are no field, when it has
        any).
    ranges : add ``ranges`` (low and high of every metric of the four blocks and of the energy
        breakdown, the 10-90% interval) and ``confidence`` (tier, reasons, method);
        docs/methodology.md section 15.
    emissions_basis : ``location`` (default: the grid's average intensity) or ``market`` (the
        provider's contractual instruments where disclosed, docs/methodology.md section 6a);
        changes usage emissions only. ValueError for anything else.
    catalog : reference data to use; the bundled catalog by default.
    model_match : ``fallback`` (default) resolves unlisted models by family or by the size in
        their name; ``exact`` makes those rows ``unknown_model`` errors.

    A row that cannot be estimated gets ``error`` ({code, message, details{reason, field}}) and
    zero impacts; the other rows are unaffected. Never raises for bad row content. A key that
    is a typo of a field (``output_token``) and a row without any quantity are such errors,
    never a silent zero.
    """
    basis, cat = check_options(emissions_basis, model_match, catalog)
    parsed = parse_rows(rows)
    resolved = resolve(parsed, cat, basis, model_match)
    impacts, errors, conf = evaluate(parsed, resolved, cat, debug=debug, ranges=ranges)
    replies = render(impacts, errors, resolved, debug=debug, confidence=conf)
    if debug:
        list_ignored(parsed, replies)
    return replies


def check_options(
    emissions_basis: str, model_match: str, catalog: _catalog.Catalog | None
) -> tuple[str, _catalog.Catalog]:
    """The emissions basis and catalog to use; ValueError for an unknown basis or match."""
    basis = check_emissions_basis(emissions_basis)
    if model_match not in MODEL_MATCH:
        raise ValueError(f"model_match must be one of {MODEL_MATCH}, not {model_match!r}")
    return basis, catalog or _catalog.default()


def evaluate(
    parsed: Usage, resolved: Resolved, cat: _catalog.Catalog, *, debug: bool, ranges: bool
) -> tuple[Impacts, RowErrors, tuple[np.ndarray, list[dict[str, Any]]] | None]:
    """Parsed and resolved columns -> impacts, the rows' errors and the confidence objects:
    what ``estimate`` renders as replies and ``ai_impact.io.columnar`` as columns."""
    errors = parsed.errors  # the first error of a row wins: parse, then resolve, then engine
    errors.merge(resolved.errors)
    model = resolved.model.columns
    check_quantities(parsed, model.method[model.codes])
    impacts = compute(
        parsed.engine_usage(),
        resolved.model.columns,
        resolved.hardware.columns,
        resolved.location.columns,
        failed=errors.any,
        with_steps=debug,
        uncertainty=_uncertainty(parsed, resolved, cat) if ranges else None,
    )
    errors.merge(impacts.errors)
    conf = _confidence(parsed, resolved, cat) if ranges or debug else None
    return impacts, errors, conf
