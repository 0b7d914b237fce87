"""The google Terraform provider's schema (attribute and block names, required or optional),
read offline from the jsii assembly inside the pinned ``cdktf-cdktf-provider-google`` wheel.

The wheel embeds the npm package ``@cdktf/provider-google`` as
``_jsii/provider-google@<version>.jsii.tgz``; its ``package/.jsii`` JSON describes every
resource and data source of the hashicorp/google provider it was generated from (16.12.1 is
provider 6.50.0). Each configuration property links to its registry page, e.g.
``.../docs/resources/bigquery_routine#max_batching_rows``: the anchor is the Terraform name of
the attribute, which is what this module keeps. Nested blocks are properties whose type is
another struct of the assembly. Types and enum values are not checked.
"""

from __future__ import annotations

import json
import re
import tarfile
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path

# Registry link of a type (class summary) or property (remarks): kind, page and anchor.
_LINK = re.compile(
    r"registry\.terraform\.io/providers/hashicorp/google/([\d.]+)/docs/"
    r"(resources|data-sources)/(\w+)(?:#(\w+))?"
)
# Summary of a resource or data source class: "Represents a {@link URL google_name}."
_CLASS = re.compile(r"docs/(resources|data-sources)/\w+ (google_\w+)\}")


@dataclass(frozen=True)
class Attribute:
    required: bool
    block: str | None  # fqn of the struct of a nested block, None for a plain attribute


@dataclass(frozen=True)
class Schema:
    provider_version: str
    resources: dict[str, str]  # google_x -> fqn of its Config struct
    data_sources: dict[str, str]
    types: dict  # the assembly's types, for nested structs

    def attributes(self, fqn: str) -> dict[str, Attribute]:
        """Terraform attribute and block names of struct ``fqn``."""
        return _attributes(self, fqn)


def wheel_assembly() -> Path:
    """The jsii tarball of the installed wheel (fails loudly if the wheel is missing)."""
    spec = util.find_spec("cdktf_cdktf_provider_google")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "cdktf-cdktf-provider-google is not installed: run `make test` (it installs the "
            "pinned wheel from pyproject.toml's dev extra)"
        )
    found = sorted((Path(spec.origin).parent / "_jsii").glob("provider-google@*.jsii.tgz"))
    if not found:
        raise RuntimeError(f"no provider-google jsii tarball in {Path(spec.origin).parent}")
    return found[-1]


def _nested_fqn(type_ref: dict) -> str | None:
    """The struct a property's type refers to (directly, in a list, or in a union)."""
    candidates = [type_ref]
    if "collection" in type_ref:
        candidates.append(type_ref["collection"]["elementtype"])
    if "union" in type_ref:
        for member in type_ref["union"]["types"]:
            candidates.append(member)
            if "collection" in member:
                candidates.append(member["collection"]["elementtype"])
    for candidate in candidates:
        fqn = candidate.get("fqn")
        if fqn and not fqn.startswith("cdktf."):
            return fqn
    return None


def _attributes(schema: Schema, fqn: str) -> dict[str, Attribute]:
    out = {}
    for prop in schema.types[fqn].get("properties", []):
        docs = prop.get("docs", {})
        link = _LINK.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
        if link is None or link[4] is None:
            continue
        out[link[4]] = Attribute(not prop.get("optional", False), _nested_fqn(prop["type"]))
    return out


@cache
def load(path: Path | None = None) -> Schema:
    """Read the assembly (about 2 s and 0.5 GB for the 98 MB JSON)."""
    with tarfile.open(path or wheel_assembly()) as archive:
        member = archive.extractfile("package/.jsii")
        if member is None:
            raise RuntimeError("package/.jsii missing from the provider tarball")
        types = json.load(member)["types"]
    resources, data_sources, versions = {}, {}, set()
    for fqn, spec in types.items():
        summary = spec.get("docs", {}).get("summary", "")
        found = _CLASS.search(summary)
        if spec.get("kind") != "class" or found is None:
            continue
        link = _LINK.search(summary)
        if link:
            versions.add(link[1])
        config = fqn + "Config"
        if config in types:
            target = resources if found[1] == "resources" else data_sources
            target[found[2]] = config
    if len(versions) != 1:
        raise RuntimeError(f"expected one provider version in the assembly, found {versions}")
    return Schema(versions.pop(), resources, data_sources, types)
