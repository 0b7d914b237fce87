"""Offline check of Terraform configuration against the google provider's schema
(:mod:`tools.provider_schema`), for every google resource and data source and every nested
block, static or ``dynamic``:

- names: every argument and block is one the provider knows; every reference
  ``google_x.name.attr[0].attr`` in any expression names attributes and blocks that exist;
- required / optional / computed: every required argument and every required block is set; no
  read-only (computed) attribute is set; no block has more items than it allows;
- types: a literal or a ``var.x`` reference has a type the argument accepts (a string for a
  number, a list for a string, an object for a block are errors; numbers and bools convert to
  strings, as Terraform converts them), a block is written as a block and an argument as one.

The configuration is read with python-hcl2. Expressions other than literals and variable
references are not evaluated; enum values and provider-side validation are not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import hcl2

from tools.provider_schema import Schema

# Terraform's own arguments of resource and data blocks. python-hcl2's bookkeeping keys
# (__is_block__, __comments__, ...) start with two underscores.
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}
_VAR = re.compile(r"^\$\{var\.(\w+)\}$")
_REFERENCE = re.compile(
    r"\b((?:data\.)?google_\w+)\.(\w+)((?:\[[^\]]*\])?(?:\.\w+(?:\[[^\]]*\])?)*)"
)
_STEP = re.compile(r"\.(\w+)|\[[^\]]*\]")
_TYPE = re.compile(r"^(list|set|map)\((.+)\)$")


@dataclass
class Report:
    checked: list[str] = field(default_factory=list)  # "google_x.name" of each block checked
    errors: list[str] = field(default_factory=list)
    unchecked: set[str] = field(default_factory=set)  # block types of other providers


def _unquote(key: str) -> str:
    return key.strip('"')


@cache
def _parsed(path: Path, mtime_ns: int) -> dict:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def parsed(path: Path) -> dict:
    """python-hcl2's reading of ``path`` (parsed once per version of the file)."""
    return _parsed(path, path.stat().st_mtime_ns)


def variable_types(root: Path) -> dict[str, object]:
    """``{name: type}`` of the variables declared in the .tf files of ``root`` (one module)."""
    out: dict[str, object] = {}
    for path in sorted(root.glob("*.tf")):
        for block in parsed(path).get("variable", []):
            for name, body in block.items():
                out[_unquote(name)] = parse_type(str(body.get("type", "any")))
    return out


def parse_type(text: str) -> object:
    """A type constraint (string, list(string), map(number), ...) in the schema's notation."""
    text = text.strip().removeprefix("${").removesuffix("}")
    found = _TYPE.match(text)
    if found:
        return [found[1], parse_type(found[2])]
    return {"string": "string", "number": "number", "bool": "bool"}.get(text, "dynamic")


def accepts(wanted: object, given: object) -> bool:
    """Whether a value of type ``given`` can be assigned to an argument of type ``wanted``."""
    if wanted == "dynamic" or given == "dynamic":
        return True
    if wanted == "string":
        return given in ("string", "number", "bool")
    if isinstance(wanted, list) and isinstance(given, list):
        same_kind = wanted[0] == given[0] or {wanted[0], given[0]} <= {"list", "set"}
        return same_kind and accepts(wanted[1], given[1])
    return wanted == given


def _literal_type(value: object) -> object:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        inner = {repr(_literal_type(v)) for v in value}
        element = _literal_type(value[0]) if len(inner) == 1 else "dynamic"
        return ["list", element]
    if isinstance(value, dict):
        inner = {repr(_literal_type(v)) for k, v in value.items() if not k.startswith("__")}
        values = [v for k, v in value.items() if not k.startswith("__")]
        return ["map", _literal_type(values[0]) if len(inner) == 1 else "dynamic"]
    if isinstance(value, str):
        if value.startswith("${"):
            return "dynamic"  # an expression: not evaluated
        inner = value[1:-1] if value.startswith('"') else value
        if re.fullmatch(r"-?\d+(\.\d+)?", inner):
            return "numeric string"
        if inner in ("true", "false"):
            return "boolean string"
        return "string"
    return "dynamic"


@dataclass
class _Context:
    schema: Schema
    variables: dict[str, object]
    report: Report


def _value_type(value: object, context: _Context) -> object:
    if isinstance(value, str):
        found = _VAR.match(value)
        if found:
            return context.variables.get(found[1], "dynamic")
    return _literal_type(value)


def _check_value(wanted: object, value: object, where: str, context: _Context) -> None:
    given = _value_type(value, context)
    if given == "numeric string":
        given = "number" if wanted == "number" else "string"
    elif given == "boolean string":
        given = "bool" if wanted == "bool" else "string"
    if not accepts(wanted, given):
        context.report.errors.append(f"{where}: {given} given where {wanted} is expected")


def _is_block(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, dict) and v.get("__is_block__") for v in value
    )


def _check_block(block: dict, body: dict, where: str, context: _Context) -> None:
    attributes, block_types = block.get("attributes", {}), block.get("block_types", {})
    errors = context.report.errors
    present = set(body)
    for dynamic in body.get("dynamic", []):
        for raw_label, spec in dynamic.items():
            if raw_label.startswith("__"):
                continue
            label = _unquote(raw_label)
            present.add(label)
            if label not in block_types:
                errors.append(f"{where}: dynamic {label!r} is not a block of this resource")
                continue
            for content in spec.get("content", []):
                nested = block_types[label]["block"]
                _check_block(nested, content, f"{where}.{label}", context)
    for key, value in body.items():
        if key.startswith("__") or key in META or key == "dynamic":
            continue
        if key in attributes:
            attribute = attributes[key]
            if attribute.get("computed") and not (
                attribute.get("optional") or attribute.get("required")
            ):
                errors.append(f"{where}: {key!r} is read-only (computed by the provider)")
            elif _is_block(value) and value:
                errors.append(f"{where}: {key!r} is an argument, written as a block")
            else:
                _check_value(attribute["type"], value, f"{where}.{key}", context)
        elif key in block_types:
            nested = block_types[key]
            if not _is_block(value):
                errors.append(f"{where}: {key!r} is a block, written as an argument")
                continue
            if "max_items" in nested and len(value) > nested["max_items"]:
                errors.append(f"{where}: at most {nested['max_items']} {key!r} block(s)")
            for item in value:
                _check_block(nested["block"], item, f"{where}.{key}", context)
        else:
            errors.append(f"{where}: unknown attribute or block {key!r}")
    for key, attribute in attributes.items():
        if attribute.get("required") and key not in present:
            errors.append(f"{where}: required {key!r} missing")
    for key, nested in block_types.items():
        if nested.get("min_items", 0) > 0 and key not in present:
            errors.append(f"{where}: required block {key!r} missing")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() if not k.startswith("__") for s in _strings(v)]
    return []


def _check_reference(schema: Schema, text: str, where: str, report: Report) -> None:
    """``google_x.name.a[0].b``: a and b exist in google_x's schema."""
    for match in _REFERENCE.finditer(text):
        kind, path = match[1], match[3]
        known = schema.data_sources if kind.startswith("data.") else schema.resources
        block = known.get(kind.removeprefix("data."))
        if block is None:
            continue  # not a type of the extract: the block check reports it where declared
        steps = [s for s in _STEP.findall(path) if s]
        if path.startswith("["):  # for_each / count instance
            steps = [s for s in _STEP.findall(path[path.index("]") + 1 :]) if s]
        for step in steps:
            if block is None:
                break
            if step in block.get("attributes", {}):
                block = None  # a value: what follows indexes into it
            elif step in block.get("block_types", {}):
                block = block["block_types"][step]["block"]
            else:
                report.errors.append(f"{where}: {kind}.{match[2]} has no attribute {step!r}")
                break


def check_file(schema: Schema, path: Path, report: Report) -> None:
    document = parsed(path)
    context = _Context(schema, variable_types(path.parent), report)
    for text in _strings(document):
        _check_reference(schema, text, path.name, report)
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
                        report.errors.append(
                            f"{where}: not in the provider schema extract (a new type: "
                            "regenerate it with scripts/provider_schema.py)"
                        )
                        continue
                    report.checked.append(where)
                    _check_block(known[block_type], body, where, context)


def check_tree(schema: Schema, root: Path) -> Report:
    """Check every .tf file under ``root`` (.terraform directories skipped)."""
    report = Report()
    for path in sorted(root.rglob("*.tf")):
        if ".terraform" not in path.parts:
            check_file(schema, path, report)
    return report
