"""The google Terraform provider's schema of the resources terraform/ uses, read from the committed
extract tests/tools/google_provider_schema.json (format of ``terraform providers schema -json``:
attributes with their type and required / optional / computed, nested blocks with their nesting
and item limits). ``scripts/provider_schema.py`` regenerates it and records the provider version
and the source it was read from; nothing is downloaded or installed by the tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

EXTRACT = Path(__file__).with_name("google_provider_schema.json")


@dataclass(frozen=True)
class Schema:
    provider_version: str
    source: str
    resources: dict[str, dict]  # google_x -> its "block"
    data_sources: dict[str, dict]


@cache
def load(path: Path = EXTRACT) -> Schema:
    document = json.loads(path.read_text(encoding="utf-8"))
    return Schema(
        document["version"],
        document["source"],
        {name: s["block"] for name, s in document["resource_schemas"].items()},
        {name: s["block"] for name, s in document["data_source_schemas"].items()},
    )
