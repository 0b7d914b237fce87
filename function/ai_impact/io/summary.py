"""Totals of a run, by model, provider, day and error code, kept in a few small arrays.

Memory grows with the number of distinct models, providers and days, never with rows. All
totals are of ``total_impact`` (inference + training + fine-tuning), the figures are estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ai_impact.factorize import factorize
from ai_impact.io.presets import NOT_ESTIMATED
from ai_impact.io.writers import not_none

# Summed per group: requests, error rows, then the five metrics of total_impact.
METRIC_COLUMNS = (
    "total_usage_energy_wh",
    "total_usage_emissions_gco2e",
    "total_usage_water_ml",
    "total_embodied_emissions_gco2e",
    "total_embodied_water_ml",
)
FIELDS = ("rows", "errors", *METRIC_COLUMNS)
UNKNOWN = "(not given)"
GROUPS = ("model", "provider", "day")
# How the terminal summary names the reasons rows were not estimated (zero impact, no error).
NOT_ESTIMATED_LABELS = {"cache_hit": "cache hits", "not_a_model_call": "not model calls"}
# With ranges: sums of the rows' low and high ends (an envelope: wider than the 10-90%
# interval of the sum itself, the rows' errors being partly independent).
BOUNDS = (
    "total_usage_energy_wh_low",
    "total_usage_energy_wh_high",
    "total_usage_emissions_gco2e_low",
    "total_usage_emissions_gco2e_high",
)
# Per confidence tier: rows, then the energy and emissions of those rows.
TIER_FIELDS = ("rows", "total_usage_energy_wh", "total_usage_emissions_gco2e")


@dataclass
class Summary:
    """Running totals; ``add`` one chunk at a time, read ``overall``/``groups``/``errors``."""

    overall: np.ndarray = field(default_factory=lambda: np.zeros(len(FIELDS)))
    groups: dict[str, dict[str, np.ndarray]] = field(
        default_factory=lambda: {g: {} for g in GROUPS}
    )
    errors: dict[str, list] = field(default_factory=dict)  # code -> [count, first message]
    # Rows not estimated (zero impact, no error), by reason: cache_hit, not_a_model_call.
    not_estimated: dict[str, int] = field(default_factory=dict)
    # With ranges (the run's impact columns have them): BOUNDS per group key and overall,
    # TIER_FIELDS per confidence tier (error rows have no tier).
    bounds: dict[str, dict[str, np.ndarray]] = field(
        default_factory=lambda: {g: {} for g in GROUPS}
    )
    overall_bounds: np.ndarray = field(default_factory=lambda: np.zeros(len(BOUNDS)))
    tiers: dict[str, np.ndarray] = field(default_factory=dict)
    ranged: bool = False

    @property
    def rows(self) -> int:
        return int(self.overall[0])

    @property
    def error_rows(self) -> int:
        return int(self.overall[1])

    @property
    def estimated_rows(self) -> int:
        """Rows with an estimate: neither an error nor a row of no inference."""
        return self.rows - self.error_rows - sum(self.not_estimated.values())

    def add(self, request: Mapping[str, Sequence], impacts: Mapping[str, np.ndarray]) -> None:
        """Add one chunk: its request columns (``Mapper.columns``) and its impact columns.

        Keys are dictionary-encoded in Arrow and summed with ``np.bincount``, never row by
        row in Python.
        """
        import pyarrow.compute as pc

        n = len(impacts["error_code"])
        if not n:
            return
        failed = not_none(impacts["error_code"])  # a code, or None
        # Error rows have zero impacts already; keep them out of sums anyway (no NaN can leak).
        values = {"rows": np.ones(n), "errors": failed.astype(np.float64)}
        for c in METRIC_COLUMNS:
            values[c] = _kept(impacts[c], failed)
        self.overall += np.array([values[f].sum() for f in FIELDS])
        model = pc.coalesce(
            _strings(request.get("model_id"), n), _strings(request.get("model_name"), n)
        )
        keys = {
            "model": _encoded(model),
            "provider": _encoded(_strings(request.get("managed_service_id"), n)),
            "day": _days(request.get("utc_datetime"), n),
        }
        ranged = BOUNDS[0] in impacts
        if ranged:
            self.ranged = True
            for b in BOUNDS:
                values[b] = _kept(impacts[b], failed)
            self.overall_bounds += np.array([values[b].sum() for b in BOUNDS])
            index, names = _encoded(_strings(impacts["confidence_tier"], n))
            _add(self.tiers, index, names, values, TIER_FIELDS)
            self.tiers.pop(UNKNOWN, None)  # error rows
        _add_groups(self.groups, keys, values, FIELDS)
        if ranged:
            _add_groups(self.bounds, keys, values, BOUNDS)
        reasons = impacts.get(NOT_ESTIMATED)
        if reasons is not None and not_none(reasons).any():
            found, counts = np.unique(reasons[not_none(reasons)].astype(str), return_counts=True)
            for reason, count in zip(found.tolist(), counts.tolist(), strict=True):
                self.not_estimated[reason] = self.not_estimated.get(reason, 0) + count
        if failed.any():
            rows = np.flatnonzero(failed)
            codes = impacts["error_code"][rows].astype(str)
            distinct, first, counts = np.unique(codes, return_index=True, return_counts=True)
            messages = impacts["error_message"]
            for code, at, count in zip(distinct.tolist(), first, counts.tolist(), strict=True):
                if code in self.errors:
                    self.errors[code][0] += count
                else:
                    self.errors[code] = [count, messages[rows[at]]]

    def top(self, group: str, n: int = 10, by: str = "total_usage_emissions_gco2e") -> list:
        """[(key, {field: value})] of the ``n`` largest groups by ``by``."""
        k = FIELDS.index(by)
        items = sorted(self.groups[group].items(), key=lambda kv: (-kv[1][k], kv[0]))
        return [(key, dict(zip(FIELDS, v.tolist(), strict=True))) for key, v in items[:n]]

    def totals(self) -> dict[str, float]:
        return dict(zip(FIELDS, self.overall.tolist(), strict=True))

    def table(self, n: int = 10) -> str:
        """The terminal summary: totals, errors by code, top ``n`` models and providers."""
        t = self.totals()
        skipped = "".join(
            f"   {NOT_ESTIMATED_LABELS.get(reason, reason)} {count:,}"
            for reason, count in sorted(self.not_estimated.items())
        )
        lines = [
            f"rows {self.rows:,}   estimated {self.estimated_rows:,}{skipped}   "
            f"errors {self.error_rows:,}",
            f"energy {_fmt(t['total_usage_energy_wh'] / 1000, 'kWh')}   "
            f"emissions {_fmt(t['total_usage_emissions_gco2e'] / 1000, 'kgCO2e')}   "
            f"water {_fmt(t['total_usage_water_ml'] / 1000, 'L')}   "
            f"embodied {_fmt(t['total_embodied_emissions_gco2e'] / 1000, 'kgCO2e')}"
            "   (estimates; totals include training and fine-tuning shares)",
        ]
        if self.ranged:
            low_e, high_e, low_c, high_c = self.overall_bounds.tolist()
            lines.append(
                f"ranges (sum of the rows' 10-90% ends): energy {_fmt(low_e / 1000, 'kWh')}"
                f" - {_fmt(high_e / 1000, 'kWh')}   emissions {_fmt(low_c / 1000, 'kgCO2e')}"
                f" - {_fmt(high_c / 1000, 'kgCO2e')}"
            )
            estimated = max(self.estimated_rows, 1)
            shares = "   ".join(
                f"{tier} {v[0] / estimated:.0%}" for tier, v in sorted(self.tiers.items())
            )
            lines.append(f"confidence (share of estimated rows): {shares}")
        if self.errors:
            lines.append("")
            lines.append("errors by code")
            for code, (count, message) in sorted(self.errors.items(), key=lambda kv: -kv[1][0]):
                lines.append(f"  {code:<20} {count:>10,}   e.g. {_shorten(message, 70)}")
        for group in ("model", "provider"):
            lines.append("")
            lines.append(
                f"{'top ' + str(n) + ' by ' + group:<34} {'rows':>10} {'errors':>8} "
                f"{'energy kWh':>12} {'kgCO2e':>10} {'water L':>10}"
            )
            for key, v in self.top(group, n):
                lines.append(
                    f"  {_shorten(key, 32):<32} {int(v['rows']):>10,} {int(v['errors']):>8,} "
                    f"{v['total_usage_energy_wh'] / 1000:>12.4g} "
                    f"{v['total_usage_emissions_gco2e'] / 1000:>10.4g} "
                    f"{v['total_usage_water_ml'] / 1000:>10.4g}"
                )
        return "\n".join(lines)


def _kept(values: np.ndarray, failed: np.ndarray) -> np.ndarray:
    """``values`` with error rows and non-finite values made 0 (``np.nan_to_num``): copied
    only when there is one."""
    if failed.any() or not np.isfinite(values).all():
        return np.where(failed, 0.0, np.nan_to_num(values))
    return values


def _add_groups(
    into: dict[str, dict[str, np.ndarray]],
    keys: Mapping[str, tuple[np.ndarray, list]],
    values: Mapping[str, np.ndarray],
    fields: Sequence[str],
) -> None:
    """``_add`` for each group of ``keys``: one pass over the rows per field for all groups
    together (sums per combination of keys, then per key), when the combinations are few."""
    sizes = [len(names) for _, names in keys.values()]
    cells = int(np.prod(sizes))
    n = len(next(iter(keys.values()))[0])
    if cells > max(n, 4096):  # too many combinations: one pass per group
        for group, (index, names) in keys.items():
            _add(into[group], index, names, values, fields)
        return
    combined = np.zeros(n, dtype=np.intp)
    for (index, _), size in zip(keys.values(), sizes, strict=True):
        combined *= size
        combined += index
    counts = np.bincount(combined, minlength=cells).reshape(sizes)
    totals = np.stack(
        [np.bincount(combined, weights=values[f], minlength=cells) for f in fields], axis=-1
    ).reshape((*sizes, len(fields)))
    for axis, (group, (_, names)) in enumerate(keys.items()):
        others = tuple(a for a in range(len(sizes)) if a != axis)
        _merge(into[group], names, counts.sum(axis=others), totals.sum(axis=others))


def _add(
    into: dict[str, np.ndarray],
    index: np.ndarray,
    names: list,
    values: Mapping[str, np.ndarray],
    fields: Sequence[str],
) -> None:
    """Add the sums of ``fields`` per key (``index`` into ``names``) to ``into``; keys without
    rows (the slot of absent keys when none is absent) are left out."""
    counts = np.bincount(index, minlength=len(names))
    totals = np.column_stack(
        [np.bincount(index, weights=values[f], minlength=len(names)) for f in fields]
    )
    _merge(into, names, counts, totals)


def _merge(
    into: dict[str, np.ndarray], names: list, counts: np.ndarray, totals: np.ndarray
) -> None:
    """Add each key's row of ``totals`` to ``into``, but keys of no row (``counts`` 0)."""
    for name, count, row in zip(names, counts, totals, strict=True):
        if not count:
            continue
        if name in into:
            into[name] += row
        else:
            into[name] = row.copy()


def _encoded(key: Any) -> tuple[np.ndarray, list]:
    """Per row the index of its key in the names, and the names (nulls: ``UNKNOWN``, last)."""
    encoded = key.dictionary_encode()
    names = [*encoded.dictionary.to_pylist(), UNKNOWN]
    index = encoded.indices.fill_null(len(names) - 1).to_numpy().astype(np.intp)
    return index, names  # intp: np.bincount would convert Arrow's int32 at each call


def _days(values: Any, n: int) -> tuple[np.ndarray, list]:
    """The day (YYYY-MM-DD) of each row's utc_datetime, as ``_encoded`` gives keys (each day
    once); text that does not start with a date has none. Worked out once per distinct day:
    timestamps are floored to the day, text cut to its first 10 characters, before encoding."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array) and pa.types.is_timestamp(values.type):
        values = pc.floor_temporal(values, unit="day")
        index, stamps = _encoded(values)
        days = pc.strftime(pa.array(stamps[:-1], values.type), "%Y-%m-%d").to_pylist()
        return _merged(index, [*days, UNKNOWN])
    index, heads = _encoded(pc.utf8_slice_codeunits(_strings(values, n), 0, 10))
    text = pa.array(heads[:-1], pa.string())
    dated = pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}$")
    days = pc.if_else(dated, text, None).to_pylist()
    return _merged(index, [d if d is not None else UNKNOWN for d in days] + [UNKNOWN])


def _merged(index: np.ndarray, names: list) -> tuple[np.ndarray, list]:
    """``index`` into ``names`` with each name once (several keys may name one day)."""
    codes, distinct = factorize(names)
    if len(distinct) == len(names):
        return index, names
    return np.asarray(codes, dtype=np.int64)[index], distinct


def _strings(values: Sequence[Any] | np.ndarray | None, n: int) -> Any:
    """An Arrow string array of ``values`` (None: all null); other types become their text."""
    import pyarrow as pa

    if values is None:
        return pa.nulls(n, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_string(values.type):
            return values
        values = values.to_pylist()
    if isinstance(values, np.ndarray):
        values = values.tolist()
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return pa.array([None if v is None else str(v) for v in values], pa.string())


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.4g} {unit}"


def _shorten(text: object, width: int) -> str:
    s = str(text)
    return s if len(s) <= width else s[: width - 1] + "…"
