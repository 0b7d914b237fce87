"""What the catalog builders share: where the CSVs and their sources live, how a CSV is written
(the csv module's minimal quoting, LF line ends, UTF-8: the bytes of every shipped CSV), and the
command line of every builder (``--check`` compares instead of writing)."""

from __future__ import annotations

import argparse
import csv
import io
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "function" / "ai_impact" / "data"
SOURCES = Path(__file__).resolve().parent / "sources"

Rows = list[list[str]]


def render(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The CSV text of ``header`` and ``rows`` (None is an empty cell), as the catalog stores it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def main(
    name: str,
    build: Callable[[], str],
    doc: str | None = None,
    extract: Callable[[Path], None] | None = None,
) -> int:
    """Write ``DATA/name`` from ``build()``, or with ``--check`` exit 1 if it differs.

    ``extract``: refreshes the committed extract of an upstream file (``--extract PATH``) first.
    """
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    if extract is not None:
        parser.add_argument("--extract", type=Path, metavar="PATH", help="the upstream file")
    args = parser.parse_args()
    if extract is not None and args.extract is not None:
        extract(args.extract)
    text = build()
    target = DATA / name
    if args.check:
        same = target.read_text(encoding="utf-8") == text
        print(f"{name} is up to date" if same else f"{name} differs from its sources: rebuild it")
        return 0 if same else 1
    target.write_text(text, encoding="utf-8")
    print(f"{name}: {text.count(chr(10)) - 1} rows written")
    return 0
