"""How much of a list of model names the catalog resolves, and by which step.

``python -m ai_impact.catalog.coverage FILE [--column NAME] [--top N] [--exact]``

FILE holds model names as logs carry them: one per line (``#`` lines are comments), or a column of
a CSV (``--column``, default the first of ``model``, ``model_id``, ``model_used_id``, ``model_name``
present) or of a JSONL file (same keys). Prints the share of names (and of distinct names)
resolved by exact id, alias (or Hugging Face path), normalisation, family and size
(:mod:`ai_impact.catalog.names`), then the unresolved names by frequency.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ai_impact.catalog import Catalog, default
from ai_impact.catalog.names import find_model

STEPS = ("id", "alias", "normalised", "family", "size", "unresolved")
_COLUMNS = ("model", "model_id", "model_used_id", "model_name", "model_group")


@dataclass
class Report:
    """``by_step[step]``: number of names (with repeats) resolved by ``step``; ``unresolved``:
    the unresolved names by frequency."""

    total: int
    distinct: int
    by_step: dict[str, int]
    distinct_by_step: dict[str, int]
    unresolved: Counter

    def share(self, step: str) -> float:
        return self.by_step[step] / self.total if self.total else 0.0

    @property
    def resolved_share(self) -> float:
        return 1.0 - self.share("unresolved")


def step_of(catalog: Catalog, name: str, model_match: str = "fallback") -> str:
    """The step that resolves ``name`` (one of :data:`STEPS`)."""
    match = find_model(catalog, name, model_match)
    if match is None:
        return "unresolved"
    if match.how == "hugging_face_path":
        return "alias"
    return match.how


def coverage(names: Iterable[str], catalog: Catalog | None = None) -> Report:
    """Resolve every name once per distinct value and count the steps."""
    cat = catalog or default()
    counts = Counter(n.strip() for n in names if n and n.strip())
    by_step = dict.fromkeys(STEPS, 0)
    distinct_by_step = dict.fromkeys(STEPS, 0)
    unresolved: Counter = Counter()
    for name, count in counts.items():
        step = step_of(cat, name)
        by_step[step] += count
        distinct_by_step[step] += 1
        if step == "unresolved":
            unresolved[name] = count
    return Report(sum(counts.values()), len(counts), by_step, distinct_by_step, unresolved)


def read_names(path: Path, column: str | None = None) -> list[str]:
    """Model names of a text, CSV or JSONL file (see the module docstring)."""
    suffix = path.suffix.lower()
    with path.open(encoding="utf-8", newline="") as handle:
        if suffix == ".csv":
            reader = csv.DictReader(handle)
            key = column or _pick(reader.fieldnames or [], path)
            return [row.get(key) or "" for row in reader]
        if suffix in (".jsonl", ".ndjson"):
            out = []
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    key = column or _pick(list(record), path)
                    out.append(str(record.get(key) or ""))
            return out
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def _pick(columns: Sequence[str], path: Path) -> str:
    for name in _COLUMNS:
        if name in columns:
            return name
    raise SystemExit(f"{path}: no model column ({', '.join(_COLUMNS)}); give --column")


def format_report(report: Report, top: int = 30) -> str:
    lines = [f"{report.total} names ({report.distinct} distinct)"]
    for step in STEPS:
        lines.append(
            f"  {step:<11} {report.share(step):7.1%}  "
            f"({report.by_step[step]} names, {report.distinct_by_step[step]} distinct)"
        )
    lines.append(f"  resolved    {report.resolved_share:7.1%}")
    if report.unresolved:
        lines.append(f"unresolved, most frequent first (top {top}):")
        lines += [f"  {count:6d}  {name}" for name, count in report.unresolved.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_impact.catalog.coverage")
    parser.add_argument("file", type=Path)
    parser.add_argument("--column", help="CSV column or JSONL key holding the model name")
    parser.add_argument("--top", type=int, default=30, help="unresolved names to list")
    args = parser.parse_args(argv)
    report = coverage(read_names(args.file, args.column))
    print(format_report(report, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
