"""Offline check of the Terraform module: every google resource and data source, and every
nested block, uses only attribute names the google provider knows, and sets every required one.

The configuration is read with python-hcl2; the schema comes from the pinned cdktf provider
wheel (:mod:`tools.provider_schema`). Types, enum values and references are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import hcl2

from tools.provider_schema import Schema

# Terraform's own arguments of resource and data blocks. python-hcl2's bookkeeping keys
# (__is_block__, __comments__, ...) start with two underscores.
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)  # "google_x.name" of each block checked
    errors: list[str] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)  # block types of other providers


def _unquote(key: str) -> str:
    return key.strip('"')


def _check_block(schema: Schema, body: dict, fqn: str, where: str, report: Report) -> None:
    attributes = schema.attributes(fqn)
    for key, value in body.items():
        if key.startswith("__") or key in META:
            continue
        attribute = attributes.get(key)
        if attribute is None:
            report.errors.append(f"{where}: unknown attribute or block {key!r}")
            continue
        if attribute.block and isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and item.get("__is_block__"):
                    _check_block(schema, item, attribute.block, f"{where}.{key}", report)
    for key, attribute in attributes.items():
        if attribute.required and key not in body:
            report.errors.append(f"{where}: required {key!r} missing")


def check_file(schema: Schema, path: Path, report: Report) -> None:
    with path.open(encoding="utf-8") as handle:
        document = hcl2.load(handle)
    for section, known in (("resource", schema.resources), ("data", schema.data_sources)):
        for group in document.get(section, []):
            for raw_type, instances in group.items():
                block_type = _unquote(raw_type)
                for raw_name, body in instances.items():
                    where = f"{path.name}: {section} {block_type}.{_unquote(raw_name)}"
                    if not block_type.startswith("google_"):
                        report.unchecked.add(block_type)
                        continue
                    if block_type not in known:
                        report.errors.append(f"{where}: not a {section} of the google provider")
                        continue
                    report.checked.append(where)
                    _check_block(schema, body, known[block_type], where, report)


def check_tree(schema: Schema, root: Path) -> Report:
    """Check every .tf file under ``root`` (.terraform directories skipped)."""
    report = Report()
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" not in path.parts:
            check_file(schema, path, report)
    return report
