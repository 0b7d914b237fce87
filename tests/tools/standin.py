"""``terraform plan`` of the module and its examples without the providers, which cannot be
downloaded here: a scratch copy in which every resource and data source of a provider
(google, archive, time) becomes Terraform's built-in ``terraform_data``, whose ``input`` holds
the block's arguments and nested blocks as an object, plus every other attribute of its schema
(tests/tools/google_provider_schema.json) as a placeholder, so that references such as
``service_config[0].uri`` resolve. ``count``, ``for_each``, ``depends_on`` and the lifecycle
preconditions are kept; variables, their validations, locals, outputs and module calls are
copied as they are, references renamed.

So a plan evaluates what ``terraform validate`` and ``plan`` would outside the provider: every
expression and function call (file, jsondecode, fileset, filemd5, templatefile), every
variable validation and precondition that is known at plan time, every ``for_each`` key and
every reference. It does not check arguments against the provider (tools.tf_check does that)
nor anything the provider computes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import hcl2

from tools import provider_schema, terraform

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "terraform"
META = ("count", "for_each", "depends_on", "lifecycle", "provider")
_REFERENCE = re.compile(r"\b(?<![.\w])(data\.)?((?:google|archive|time)_\w+)\.(\w+)(\[[^\]]*\])?")
_PLACEHOLDERS = {"string": '"standin"', "number": "0", "bool": "false"}


def _name(data: str | None, kind: str, name: str) -> str:
    return f"{'data_' if data else ''}{kind}__{name}"


def _rename(text: str, dependency: bool = False) -> str:
    """References to provider resources -> their stand-ins (``.output`` for values)."""

    def replace(match: re.Match) -> str:
        index = match[4] or ""
        target = f"terraform_data.{_name(match[1], match[2], match[3])}{index}"
        return target if dependency else f"{target}.output"

    return _REFERENCE.sub(replace, text)


def _expression(value: object) -> str:
    """python-hcl2's value as HCL source."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_expression(v) for v in value) + "]"
    if isinstance(value, dict):
        items = [
            f"{_key(k)} = {_expression(v)}" for k, v in value.items() if not k.startswith("__")
        ]
        return "{\n" + "\n".join(items) + "\n}"
    text = str(value)
    if text.startswith('"<<'):
        return text[1:-1] + "\n"
    if text.startswith("${") and text.endswith("}") and not text.startswith('"'):
        return _rename(text[2:-1])
    return _rename(text)


def _key(key: str) -> str:
    return key if key.startswith('"') or re.fullmatch(r"\w+", key) else f'"{key}"'


def _placeholder(kind: object) -> str:
    if isinstance(kind, list):
        return "{}" if kind[0] == "map" else "[]"
    return _PLACEHOLDERS.get(str(kind), "null")


def _object(body: dict, block: dict | None) -> str:
    """The arguments and nested blocks of ``body`` as an object, completed from the schema."""
    items: dict[str, str] = {}
    block_types = (block or {}).get("block_types", {})
    for key, value in body.items():
        if key.startswith("__") or key in META:
            continue
        if key == "dynamic":
            for dynamic in value:
                for raw_label, spec in dynamic.items():
                    if raw_label.startswith("__"):
                        continue
                    label = raw_label.strip('"')
                    nested = block_types.get(label, {}).get("block")
                    content = _object(spec["content"][0], nested)
                    content = content.replace(f"{label}.value", f"{label}_value")
                    content = content.replace(f"{label}.key", f"{label}_key")
                    source = _expression(spec["for_each"])
                    items[label] = f"[for {label}_key, {label}_value in {source} : {content}]"
            continue
        if (
            isinstance(value, list)
            and value
            and all(isinstance(v, dict) and v.get("__is_block__") for v in value)
        ):
            nested = block_types.get(key, {}).get("block")
            items[key] = "[" + ", ".join(_object(v, nested) for v in value) + "]"
        else:
            items[key] = _expression(value)
    for name, attribute in (block or {}).get("attributes", {}).items():
        items.setdefault(name, _placeholder(attribute.get("type")))
    for name in block_types:
        items.setdefault(name, "[]")
    return "{\n" + "\n".join(f"{k} = {v}" for k, v in items.items()) + "\n}"


def _lifecycle(body: dict) -> str:
    out = []
    for lifecycle in body.get("lifecycle", []):
        for precondition in lifecycle.get("precondition", []):
            out.append(
                "precondition {\n"
                f"condition = {_expression(precondition['condition'])}\n"
                f"error_message = {_expression(precondition['error_message'])}\n}}"
            )
    return "lifecycle {\n" + "\n".join(out) + "\n}" if out else ""


def _resource(section: str, kind: str, name: str, body: dict) -> str:
    schema = provider_schema.load()
    known = schema.resources if section == "resource" else schema.data_sources
    block = known.get(kind)
    if block is None:  # archive_file, time_sleep: their own outputs
        block = {"attributes": {"output_md5": {"type": "string"}, "id": {"type": "string"}}}
    lines = [f'resource "terraform_data" "{_name(section == "data" or None, kind, name)}" {{']
    for meta in ("count", "for_each"):
        if meta in body:
            lines.append(f"{meta} = {_expression(body[meta])}")
    lines.append(f"input = {_object(body, block)}")
    if "depends_on" in body:
        targets = [_rename(str(d)[2:-1], dependency=True) for d in body["depends_on"]]
        lines.append(f"depends_on = [{', '.join(targets)}]")
    lines.append(_lifecycle(body))
    return "\n".join(lines) + "\n}\n"


def _block(kind: str, labels: list[str], body: dict) -> str:
    """A variable, output, module or locals block, copied with references renamed."""
    head = " ".join([kind, *(f'"{label}"' for label in labels)])
    lines = [f"{head} {{"]
    for key, value in body.items():
        if key.startswith("__"):
            continue
        if key == "depends_on":
            targets = [_rename(str(d)[2:-1], dependency=True) for d in value]
            lines.append(f"depends_on = [{', '.join(targets)}]")
        elif key == "type":
            lines.append(f"type = {str(value).removeprefix('${').removesuffix('}')}")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for item in value:  # validation blocks
                if item.get("__is_block__"):
                    inner = [
                        f"{k} = {_expression(v)}" for k, v in item.items() if not k.startswith("__")
                    ]
                    lines.append(f"{key} {{\n" + "\n".join(inner) + "\n}")
                else:
                    lines.append(f"{_key(key)} = {_expression(value)}")
                    break
        else:
            lines.append(f"{_key(key)} = {_expression(value)}")
    return "\n".join(lines) + "\n}\n"


def stand_in(source: Path) -> str:
    """The stand-in text of one .tf file."""
    with source.open(encoding="utf-8") as handle:
        document = hcl2.load(handle)
    out = []
    for section in ("resource", "data"):
        for group in document.get(section, []):
            for kind, instances in group.items():
                for name, body in instances.items():
                    out.append(_resource(section, kind.strip('"'), name.strip('"'), body))
    for kind in ("variable", "output", "module"):
        for group in document.get(kind, []):
            for label, body in group.items():
                out.append(_block(kind, [label.strip('"')], body))
    for group in document.get("locals", []):
        out.append(_block("locals", [], group))
    return "\n".join(out)


def build(scratch: Path) -> Path:
    """scratch/terraform: the module, its examples and modules/sql with stand-ins; function/
    and sql/ linked, since the module reads them."""
    target = scratch / "terraform"
    for path in SOURCE.rglob("*"):
        relative = path.relative_to(SOURCE)
        if ".terraform" in relative.parts or path.is_dir():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix != ".tf" or relative.parts[0] == "modules":
            shutil.copy(path, destination)
        elif path.name != "versions.tf":
            destination.write_text(stand_in(path), encoding="utf-8")
    for linked in ("function", "sql"):
        os.symlink(ROOT / linked, scratch / linked)
    return target


def plan(directory: Path, variables: dict[str, object]) -> tuple[int, str]:
    """(exit code, output or error text) of ``terraform init`` + ``plan`` of a stand-in module."""
    module = terraform.command(directory)
    result = module.init()
    if result.retcode != 0:
        return result.retcode, str(result.error)
    result = module.plan(vars={k: _tfvar(v) for k, v in variables.items()}, json=False)
    return result.retcode, str(result.value if result.retcode == 0 else result.error)


def _tfvar(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)
