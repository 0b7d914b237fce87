"""Validation of request bodies and query parameters against the field declarations.

Bodies of catalog writes are checked here (types, bounds, patterns, enums, unknown keys); rows
of ``/v1/impact`` are not: they go to :func:`ai_impact.estimate`, whose parser gives each bad
row its own error.
"""

from __future__ import annotations

import math
import re

import orjson

from ai_impact.rest.errors import bad_request
from ai_impact.rest.resources import Field, Resource

# Free-text fields are capped so that a catalog row stays a row.
MAX_TEXT = 1000
# Aliases are joined with '|' in the catalog's aliases column.
ALIAS_PATTERN = r"^[^\s|][^|]{0,255}$"
TRUE = ("true", "1")
FALSE = ("false", "0")


def json_body(data: bytes) -> object:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"request body is not valid JSON: {exc}") from None


def _check(f: Field, value: object) -> object:
    name = f.name
    if f.type == "string":
        if not isinstance(value, str):
            raise bad_request(f"{name} must be a string", name)
        if len(value) > (f.max_length or MAX_TEXT) or len(value) < (f.min_length or 0):
            raise bad_request(
                f"{name} must hold {f.min_length or 0} to {f.max_length or MAX_TEXT} characters",
                name,
            )
        if f.pattern and not re.search(f.pattern, value):
            raise bad_request(f"{name} must match {f.pattern}", name)
        if f.enum and value not in f.enum:
            raise bad_request(f"{name} must be one of {', '.join(f.enum)}", name)
        return value
    if f.type == "array":
        return aliases(value, name, f.max_items)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{name} must be a number", name)
    if f.type == "integer":
        if isinstance(value, float) and not value.is_integer():
            raise bad_request(f"{name} must be an integer", name)
        value = int(value)
    if not math.isfinite(value):
        raise bad_request(f"{name} must be finite", name)
    if f.minimum is not None and (value <= f.minimum if f.exclusive_minimum else value < f.minimum):
        low = "above" if f.exclusive_minimum else "at least"
        raise bad_request(f"{name} must be {low} {f.minimum:g}", name)
    if f.maximum is not None and value > f.maximum:
        raise bad_request(f"{name} must be at most {f.maximum:g}", name)
    return value


def aliases(value: object, name: str = "aliases", max_items: int | None = None) -> list[str]:
    """A list of distinct alias strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{name} must be a list of strings", name)
    if max_items is not None and len(value) > max_items:
        raise bad_request(f"{name} holds at most {max_items} entries", name)
    for v in value:
        alias(v, name)
    if len(set(value)) != len(value):
        raise bad_request(f"{name} must not repeat an entry", name)
    return value


def alias(value: object, name: str = "alias") -> str:
    if not isinstance(value, str) or not re.search(ALIAS_PATTERN, value):
        raise bad_request(f"{name} must be 1 to 256 characters, no '|', not starting blank", name)
    return value


def body(resource: Resource, value: object, *, create: bool) -> dict:
    """The fields of a create (``create``) or update body; ``None`` values mean "unset"."""
    if not isinstance(value, dict):
        raise bad_request("request body must be a JSON object")
    allowed = {f.name: f for f in resource.fields if create or f.updatable}
    for name in value:
        if name not in allowed:
            raise bad_request(f"unknown field {name!r} for {resource.schema}", name)
    out = {}
    for name, item in value.items():
        f = allowed[name]
        if item is None and f.required:
            raise bad_request(f"{name} must not be null", name)
        out[name] = None if item is None else _check(f, item)
    if create:
        missing = [f.name for f in resource.fields if f.required and out.get(f.name) is None]
        if missing:
            raise bad_request(f"missing required field {missing[0]}", missing[0])
    return out


def flag(args: dict, name: str) -> bool | None:
    """A boolean query parameter (true/false/1/0), or None when absent."""
    value = args.get(name)
    if value is None:
        return None
    text = value.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise bad_request(f"query parameter {name} must be true or false", name)


def count(args: dict, name: str, default: int, maximum: int) -> int:
    value = args.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", value) or int(value) > maximum:
        raise bad_request(f"query parameter {name} must be an integer from 0 to {maximum}", name)
    return int(value)
