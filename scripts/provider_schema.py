"""Regenerate tests/tools/google_provider_schema.json: the google Terraform provider's schema of
the resources and data sources that terraform/ uses, in the format of
``terraform providers schema -json`` (attributes with type and required / optional / computed;
nested blocks with nesting mode and item limits), with the provider version and where it came
from. The offline checks (tests/tools/tf_check.py) read this compact extract, so that tests need
neither the provider binary nor the 367 MB wheel that carries its schema.

Two sources:

- ``--terraform-json FILE``: the output of ``terraform providers schema -json``, run wherever
  the provider can be downloaded (``terraform init`` of terraform/examples/basic, then the
  command). This is the provider's own schema, of any version: the way to move to 7.x.
- ``--cdktf-wheel WHEEL``: the ``cdktf-cdktf-provider-google`` wheel (16.12.1 = provider
  6.50.0, the last prebuilt bindings before cdktf stopped them on 2025-12-10). Its jsii
  assembly describes every configuration property (name from its registry link, optional or
  not, type) and every read-only attribute (getters without a setter). What it cannot tell:
  whether an optional attribute is also computed, which is not needed by the checks. Get the
  wheel with ``pip download cdktf-cdktf-provider-google==16.12.1 --no-deps``.

Usage: python scripts/provider_schema.py --cdktf-wheel path/to/wheel.whl
"""

from __future__ import annotations

import argparse
import io
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "tools" / "google_provider_schema.json"
PROVIDER = "registry.terraform.io/hashicorp/google"
_USED = re.compile(r'^(resource|data)\s+"(google_\w+)"', re.M)
_LINK = re.compile(
    r"registry\.terraform\.io/providers/hashicorp/google/([\d.]+)/docs/"
    r"(resources|data-sources)/(\w+)(?:#(\w+))?"
)
_CLASS = re.compile(r"docs/(resources|data-sources)/\w+ (google_\w+)\}")
_PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
_MAPS = {"cdktf.StringMap": "string", "cdktf.NumberMap": "number", "cdktf.BooleanMap": "bool"}
_LISTS = {"cdktf.StringList": "string", "cdktf.NumberList": "number"}


def used_types(root: Path = ROOT / "terraform") -> dict[str, set[str]]:
    """``{"resource": {...}, "data": {...}}``: the google types the .tf files under root use."""
    found: dict[str, set[str]] = {"resource": set(), "data": set()}
    for path in root.rglob("*.tf"):
        if ".terraform" not in path.parts:
            for kind, name in _USED.findall(path.read_text(encoding="utf-8")):
                found[kind].add(name)
    return found


# --- from `terraform providers schema -json` ----------------------------------------------------


def from_terraform_json(document: dict, used: dict[str, set[str]]) -> dict:
    schemas = document["provider_schemas"]
    key = next(k for k in schemas if k.endswith("hashicorp/google"))
    provider = schemas[key]

    def pick(section: str, kind: str) -> dict:
        available = provider.get(section, {})
        missing = used[kind] - set(available)
        if missing:
            raise SystemExit(f"not in the provider's {section}: {sorted(missing)}")
        return {name: _strip(available[name]) for name in sorted(used[kind])}

    return {
        "resource_schemas": pick("resource_schemas", "resource"),
        "data_source_schemas": pick("data_source_schemas", "data"),
    }


def _strip(schema: dict) -> dict:
    """Only what the checks read: types, required / optional / computed, nesting."""
    block = schema["block"]
    out: dict = {"attributes": {}, "block_types": {}}
    for name, attribute in block.get("attributes", {}).items():
        kept = {"type": attribute.get("type", "dynamic")}
        kept |= {k: True for k in ("required", "optional", "computed") if attribute.get(k)}
        out["attributes"][name] = kept
    for name, nested in block.get("block_types", {}).items():
        kept = {"nesting_mode": nested["nesting_mode"]}
        kept |= {k: nested[k] for k in ("min_items", "max_items") if nested.get(k)}
        kept["block"] = _strip(nested)["block"]
        out["block_types"][name] = kept
    return {"block": out}


# --- from the cdktf wheel's jsii assembly --------------------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


class _Jsii:
    def __init__(self, types: dict) -> None:
        self.types = types

    @staticmethod
    def _struct(type_ref: dict) -> tuple[str | None, bool]:
        """(fqn of a provider struct the type refers to, whether it is a list of them)."""
        candidates = [(type_ref, False)]
        if "collection" in type_ref:
            candidates.append((type_ref["collection"]["elementtype"], True))
        for member in type_ref.get("union", {}).get("types", []):
            candidates.append((member, False))
            if "collection" in member:
                candidates.append((member["collection"]["elementtype"], True))
        for candidate, is_list in candidates:
            fqn = candidate.get("fqn", "")
            if fqn and not fqn.startswith("cdktf."):
                return fqn, is_list
        return None, False

    @staticmethod
    def _type(type_ref: dict) -> object:
        if "primitive" in type_ref:
            return _PRIMITIVES[type_ref["primitive"]]
        fqn = type_ref.get("fqn", "")
        if fqn in _MAPS:
            return ["map", _MAPS[fqn]]
        if fqn in _LISTS:
            return ["list", _LISTS[fqn]]
        if "collection" in type_ref:
            collection = type_ref["collection"]
            kind = "map" if collection["kind"] == "map" else "list"
            return [kind, _Jsii._type(collection["elementtype"])]
        members = [
            m
            for m in type_ref.get("union", {}).get("types", [])
            if m.get("fqn") != "cdktf.IResolvable"
        ]
        if len(members) == 1:
            return _Jsii._type(members[0])
        return "dynamic"

    def block(self, struct_fqn: str, getters_fqn: str | None) -> dict:
        """The block of configuration struct ``struct_fqn``; read-only attributes come from the
        class (resource) or output reference (nested block) ``getters_fqn``."""
        out: dict = {"attributes": {}, "block_types": {}}
        for prop in self.types[struct_fqn].get("properties", []):
            docs = prop.get("docs", {})
            link = _LINK.search(docs.get("remarks", "") + " " + docs.get("summary", ""))
            if link is None or link[4] is None:
                continue
            name, optional = link[4], bool(prop.get("optional"))
            nested, is_list = self._struct(prop["type"])
            if nested is not None and self.types[nested].get("kind") == "interface":
                block = {"nesting_mode": "list"}
                if not is_list:
                    block["max_items"] = 1
                if not optional:
                    block["min_items"] = 1
                block["block"] = self.block(nested, nested + "OutputReference")
                out["block_types"][name] = block
            else:
                flag = "optional" if optional else "required"
                out["attributes"][name] = {"type": self._type(prop["type"]), flag: True}
        getters = self.types.get(getters_fqn or "", {}).get("properties", [])
        settable = {p["name"] for p in getters if not p.get("immutable")}
        settable |= {p["name"][: -len("Input")] for p in getters if p["name"].endswith("Input")}
        for prop in getters:
            name = prop["name"]
            if not prop.get("immutable") or name.endswith("Input") or name in settable:
                continue
            if name in ("tfResourceType", "internalValue", "fqn", "creationStack"):
                continue
            snake = _snake(name)
            if snake in out["attributes"] or snake in out["block_types"]:
                continue
            nested, _ = self._struct(prop["type"])
            kind = "dynamic" if nested else self._type(prop["type"])
            out["attributes"][snake] = {"type": kind, "computed": True}
        return out


def from_cdktf_wheel(wheel: Path, used: dict[str, set[str]]) -> tuple[str, dict]:
    with zipfile.ZipFile(wheel) as archive:
        (member,) = [n for n in archive.namelist() if re.search(r"_jsii/.*\.jsii\.tgz$", n)]
        data = archive.read(member)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        handle = tar.extractfile("package/.jsii")
        if handle is None:
            raise SystemExit("package/.jsii missing from the jsii tarball")
        types = json.load(handle)["types"]
    jsii = _Jsii(types)
    classes: dict[str, dict[str, str]] = {"resource": {}, "data": {}}
    versions = set()
    for fqn, spec in types.items():
        summary = spec.get("docs", {}).get("summary", "")
        found = _CLASS.search(summary)
        if spec.get("kind") != "class" or found is None or fqn + "Config" not in types:
            continue
        versions.add(_LINK.search(summary)[1])
        classes["resource" if found[1] == "resources" else "data"][found[2]] = fqn
    if len(versions) != 1:
        raise SystemExit(f"expected one provider version in the assembly, found {versions}")
    out: dict = {}
    for kind, section in (("resource", "resource_schemas"), ("data", "data_source_schemas")):
        missing = used[kind] - set(classes[kind])
        if missing:
            raise SystemExit(f"not in the assembly's {kind}s: {sorted(missing)}")
        out[section] = {
            name: {"block": jsii.block(classes[kind][name] + "Config", classes[kind][name])}
            for name in sorted(used[kind])
        }
    return versions.pop(), out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--terraform-json", type=Path, help="output of `terraform providers schema -json`"
    )
    source.add_argument("--cdktf-wheel", type=Path, help="a cdktf-cdktf-provider-google wheel")
    parser.add_argument("--version", help="provider version (required with --terraform-json)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    used = used_types()
    if args.terraform_json:
        if not args.version:
            parser.error("--version is required with --terraform-json")
        version = args.version
        schemas = from_terraform_json(json.loads(args.terraform_json.read_text()), used)
        origin = f"terraform providers schema -json ({args.terraform_json.name})"
    else:
        version, schemas = from_cdktf_wheel(args.cdktf_wheel, used)
        origin = f"jsii assembly of {args.cdktf_wheel.name}"
    document = {
        "provider": PROVIDER,
        "version": version,
        "source": origin,
        "generated_by": "scripts/provider_schema.py",
        "optional_computed_known": bool(args.terraform_json),
        **schemas,
    }
    args.out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    count = sum(len(document[s]) for s in ("resource_schemas", "data_source_schemas"))
    print(f"wrote {args.out}: google provider {version}, {count} types")


if __name__ == "__main__":
    sys.exit(main())
