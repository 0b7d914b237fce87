"""Totals of a run, by model, provider, day and error code, kept in a few small arrays.

Memory grows with the number of distinct models, providers and days, never with rows. All
totals are of ``total_impact`` (inference + training + fine-tuning), the figures are estimates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

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


@dataclass
class Summary:
    """Running totals; ``add`` one chunk at a time, read ``overall``/``groups``/``errors``."""

    overall: np.ndarray = field(default_factory=lambda: np.zeros(len(FIELDS)))
    groups: dict[str, dict[str, np.ndarray]] = field(
        default_factory=lambda: {g: {} for g in GROUPS}
    )
    errors: dict[str, list] = field(default_factory=dict)  # code -> [count, first message]

    @property
    def rows(self) -> int:
        return int(self.overall[0])

    @property
    def error_rows(self) -> int:
        return int(self.overall[1])

    def add(self, rows: Sequence, impacts: Mapping[str, np.ndarray]) -> None:
        """Add one chunk: the request rows sent to ``estimate`` and their impact columns."""
        n = len(rows)
        if not n:
            return
        failed = np.array([c is not None for c in impacts["error_code"].tolist()], dtype=bool)
        # Error rows have zero impacts already; keep them out of sums anyway (no NaN can leak).
        values = np.vstack(
            [np.ones(n), failed.astype(float)]
            + [np.where(failed, 0.0, np.nan_to_num(impacts[c])) for c in METRIC_COLUMNS]
        )
        self.overall += values.sum(axis=1)
        keys = {
            "model": [_get(r, "model_id") or _get(r, "model_name") for r in rows],
            "provider": [_get(r, "managed_service_id") for r in rows],
            "day": [_day(_get(r, "utc_datetime")) for r in rows],
        }
        for group, column in keys.items():
            codes, uniques = _factorize(column)
            sums = np.vstack(
                [np.bincount(codes, weights=v, minlength=len(uniques)) for v in values]
            )
            table = self.groups[group]
            for k, key in enumerate(uniques):
                if key in table:
                    table[key] += sums[:, k]
                else:
                    table[key] = sums[:, k].copy()
        codes = impacts["error_code"].tolist()
        messages = impacts["error_message"]
        for i in np.flatnonzero(failed).tolist():
            entry = self.errors.get(codes[i])
            if entry is None:
                self.errors[codes[i]] = [1, messages[i]]
            else:
                entry[0] += 1

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
        lines = [
            f"rows {self.rows:,}   estimated {self.rows - self.error_rows:,}   "
            f"errors {self.error_rows:,}",
            f"energy {_fmt(t['total_usage_energy_wh'] / 1000, 'kWh')}   "
            f"emissions {_fmt(t['total_usage_emissions_gco2e'] / 1000, 'kgCO2e')}   "
            f"water {_fmt(t['total_usage_water_ml'] / 1000, 'L')}   "
            f"embodied {_fmt(t['total_embodied_emissions_gco2e'] / 1000, 'kgCO2e')}"
            "   (estimates; totals include training and fine-tuning shares)",
        ]
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


def _get(row: object, name: str) -> object:
    return row.get(name) if isinstance(row, Mapping) else None


def _day(value: object) -> str:
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return value[:10]
    return UNKNOWN


def _factorize(values: list) -> tuple[np.ndarray, list[str]]:
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(UNKNOWN if v is None else str(v), len(index)) for v in values),
        dtype=np.int64,
        count=len(values),
    )
    return codes, list(index)


def _fmt(value: float, unit: str) -> str:
    return f"{value:,.4g} {unit}"


def _shorten(text: object, width: int) -> str:
    s = str(text)
    return s if len(s) <= width else s[: width - 1] + "…"
