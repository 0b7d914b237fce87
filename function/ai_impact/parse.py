"""Rows (mappings with ImpactRow field names) -> validated columns.

This is the JSON edge: the only place where the code walks rows one by one. Everything after
it works on numpy columns. A bad value becomes an ``invalid_field`` error on its row (and the
value is treated as absent), never an exception.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ai_impact import tasks
from ai_impact.countries import COUNTRY_CODES, country_code
from ai_impact.engine import columns as engine_columns
from ai_impact.engine.columns import Images
from ai_impact.errors import RowErrors, clip
from ai_impact.factorize import factorize
from ai_impact.fields import (
    ALL_FIELDS,
    DATATYPE_BYTES,
    IMAGE_LIST_FIELDS,
    IMAGE_PATTERN,
    MAX_IMAGES,
    NUMBER_FIELDS,
    QUANTITY_FIELDS,
    ROW_FIELD,
    STRING_FIELDS,
    Field,
    suggest,
)

_IMAGE = re.compile(IMAGE_PATTERN)
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?| UTC)?$"
)


@dataclass
class Usage:
    """The validated columns of a batch of rows (absent numbers are NaN, absent strings None)."""

    n_rows: int
    numbers: dict[str, np.ndarray]
    strings: dict[str, np.ndarray]
    images: dict[str, Images]
    year: np.ndarray  # year of utc_datetime, 0 when absent
    errors: RowErrors = field(repr=False)
    present: frozenset[str] = frozenset()  # fields that at least one row has
    # Keys that are no field (and no typo of one), each with the mask of rows holding it:
    # ignored, and listed in debug.
    ignored: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def number(self, name: str) -> np.ndarray:
        return self.numbers[name]

    def string(self, name: str) -> np.ndarray:
        return self.strings[name]

    def engine_usage(self) -> engine_columns.Usage:
        """The engine's input: what each request used."""
        x = self.numbers
        return engine_columns.Usage(
            input_tokens=x["input_tokens"],
            output_tokens=x["output_tokens"],
            input_cached_tokens=x["input_cached_tokens"],
            output_reasoning_tokens=x["output_reasoning_tokens"],
            input_audio_seconds=x["input_audio_seconds"],
            output_audio_seconds=x["output_audio_seconds"],
            output_audio_tokens=x["output_audio_tokens"],
            output_video_frames=x["output_video_frames"],
            output_video_resolution=x["output_video_resolution"],
            input_steps=x["input_steps"],
            batch_size=x["batch_size"],
            gpu_count=x["gpu_count"],
            input_images=self.images["input_images"],
            output_images=self.images["output_images"],
        )


def parse_rows(rows: Sequence[Mapping]) -> Usage:
    """Validate ``rows`` into columns. Rows that are not mappings get an ``invalid_field`` error."""
    n = len(rows)
    errors = RowErrors(n)
    is_mapping = [isinstance(r, Mapping) for r in rows]
    if not all(is_mapping):
        errors.add(~np.asarray(is_mapping, bool), "invalid_field", "row", "a row must be an object")
        rows = [r if ok else {} for r, ok in zip(rows, is_mapping, strict=True)]
    present = set().union(*rows) if n else set()
    ignored = _check_unknown_keys(rows, present - ALL_FIELDS, errors)
    present &= ALL_FIELDS

    numbers = {
        spec.name: _number_column(rows, spec, errors)
        if spec.name in present
        else np.full(n, np.nan)
        for spec in NUMBER_FIELDS
    }
    strings = {
        name: _string_column(rows, name, errors) if name in present else np.full(n, None, object)
        for name in STRING_FIELDS
    }
    images = {
        name: _image_column(rows, name, errors) if name in present else Images.empty(n)
        for name in IMAGE_LIST_FIELDS
    }
    _check_codes(strings, errors)
    year = _years(strings["utc_datetime"], errors)
    _check_consistency(numbers, errors)
    return Usage(n, numbers, strings, images, year, errors, frozenset(present), ignored)


def _check_unknown_keys(
    rows: Sequence[Mapping], unknown: set[str], errors: RowErrors
) -> dict[str, np.ndarray]:
    """A key within a small edit distance of a field (``output_token``, ``modelid``) is an
    ``invalid_field`` error naming both; other unknown keys are returned (the mask of rows
    holding each) to be listed in debug. Checked once per distinct key."""
    ignored: dict[str, np.ndarray] = {}
    for key in sorted(unknown, key=str):
        holds = np.fromiter((key in r for r in rows), dtype=bool, count=len(rows))
        name = clip(str(key))
        near = suggest(key) if isinstance(key, str) else None
        if near is None:
            ignored[name] = holds | ignored[name] if name in ignored else holds
        else:
            message = f"unknown field {name!r}: did you mean {near!r}?"
            errors.add(holds, "invalid_field", name, message)
    return ignored


def list_ignored(usage: Usage, replies: list[dict]) -> None:
    """Add ``ignored_fields`` (sorted keys that are no field) to the ``debug`` of the replies
    of rows that have such keys."""
    for name, holds in usage.ignored.items():
        for i in np.flatnonzero(holds).tolist():
            replies[i]["debug"].setdefault("ignored_fields", []).append(name)


# The quantity an error names when a row gives none, by method (tasks.py); image generation
# needs none: it makes one image of the model's default size (docs/methodology.md).
_FIRST_QUANTITY: dict[str, str | None] = {
    tasks.IMAGE_GENERATION: None,
    tasks.ENCODER: "input_tokens",
    tasks.SPEECH_TO_TEXT: "input_audio_seconds",
}


def check_quantities(usage: Usage, method: np.ndarray) -> None:
    """Rows that give no quantity at all (no tokens, images, audio or frames) get a
    ``missing_field`` error instead of a silent zero, naming the quantity the row's
    ``method`` (tasks.METHODS, per row) needs first. An explicit 0 is a quantity."""
    given = np.zeros(usage.n_rows, dtype=bool)
    for name in QUANTITY_FIELDS:
        if name not in usage.present:
            continue
        if name in IMAGE_LIST_FIELDS:
            given |= usage.images[name].count > 0
        else:
            given |= ~np.isnan(usage.numbers[name])
    if given.all():
        return
    codes, methods = factorize(method.tolist())
    for code, name in enumerate(methods):
        field = _FIRST_QUANTITY.get(name, "output_tokens")
        if field is not None:
            usage.errors.add(
                ~given & (codes == code),
                "missing_field",
                field,
                f"the row gives no quantity: give {field} (or another of "
                + ", ".join(q for q in QUANTITY_FIELDS if q != field)
                + ")",
            )


def _to_float(value: object) -> float | None:
    """A JSON/BigQuery value as float; None when it is not a number (booleans are not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())  # INT64 > 2^53, NUMERIC and "NaN" arrive as strings
        except ValueError:
            return None
    return None


def _number_column(rows: Sequence[Mapping], spec: Field, errors: RowErrors) -> np.ndarray:
    return number_values([r.get(spec.name) for r in rows], spec, errors)


def number_values(values: list, spec: Field, errors: RowErrors) -> np.ndarray:
    """The checked float column of one number field's values (one per row, None: absent)."""
    missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    kinds = {type(v) for v in values}
    if kinds <= {int, float, type(None)}:
        column = np.array(values, dtype=np.float64)
        wrong_type = np.zeros(len(values), dtype=bool)
    else:
        parsed = [None if v is None else _to_float(v) for v in values]
        wrong_type = np.fromiter(
            (p is None and v is not None for p, v in zip(parsed, values, strict=True)),
            dtype=bool,
            count=len(values),
        )
        column = np.array([math.nan if p is None else p for p in parsed], dtype=np.float64)
    return check_number(column, missing, wrong_type, spec, errors)


def check_number(
    column: np.ndarray, missing: np.ndarray, wrong_type: np.ndarray, spec: Field, errors: RowErrors
) -> np.ndarray:
    """Record the errors of a number column (wrong type, not finite, out of range, not an
    integer) and return it with those values NaN. ``column``: float64, NaN where ``missing``
    or ``wrong_type``; the columnar path (``ai_impact.io.columnar``) fills it from Arrow."""
    name = spec.name
    errors.add(wrong_type, "invalid_field", name, f"{name} must be a number")
    not_finite = ~np.isfinite(column) & ~missing & ~wrong_type
    errors.add(not_finite, "invalid_field", name, f"{name} must be a finite number")
    finite = np.isfinite(column)
    minimum = -math.inf if spec.minimum is None else spec.minimum
    maximum = math.inf if spec.maximum is None else spec.maximum
    low = column <= minimum if spec.exclusive_minimum else column < minimum
    out_of_range = finite & (low | (column > maximum))
    if out_of_range.any():
        bound = "above" if spec.exclusive_minimum else "at least"
        errors.add(
            out_of_range,
            "invalid_field",
            name,
            f"{name} must be {bound} {_number(minimum)} and at most {_number(maximum)}",
        )
    if spec.integer:
        fractional = finite & (np.floor(column) != column)
        errors.add(fractional, "invalid_field", name, f"{name} must be an integer")
    bad = wrong_type | not_finite | out_of_range
    column[bad] = np.nan
    return column


def _number(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _string_column(rows: Sequence[Mapping], name: str, errors: RowErrors) -> np.ndarray:
    return string_values([r.get(name) for r in rows], name, errors)


def string_values(values: list, name: str, errors: RowErrors) -> np.ndarray:
    """The checked object column of one string field's values (one per row, None: absent)."""
    kinds = {type(v) for v in values}
    if not kinds <= {str, type(None)}:
        wrong = np.fromiter(
            (v is not None and not isinstance(v, str) for v in values), bool, len(values)
        )
        errors.add(wrong, "invalid_field", name, f"{name} must be a string")
        values = [v if isinstance(v, str) else None for v in values]
    # Empty or blank strings mean "not given" (BigQuery sends '' for empty STRING columns).
    return _object_array([(v.strip() or None) if v is not None else None for v in values])


def _image_column(rows: Sequence[Mapping], name: str, errors: RowErrors) -> Images:
    n = len(rows)
    row_of, widths, heights = [], [], []
    count = np.zeros(n, dtype=np.int64)
    for i, r in enumerate(rows):
        value = r.get(name)
        if value is None:
            continue
        if isinstance(value, str):  # BigQuery sends the list as "WxH,WxH"
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list):
            errors.add_each(np.array([i]), "invalid_field", name, [f"{name} must be a list"])
            continue
        if len(value) > MAX_IMAGES:
            errors.add_each(
                np.array([i]), "invalid_field", name, [f"{name} holds at most {MAX_IMAGES} images"]
            )
            continue
        matches = [_IMAGE.match(v) if isinstance(v, str) else None for v in value]
        sizes = [(int(m[1]), int(m[2])) for m in matches if m is not None]
        if len(sizes) < len(matches) or any(w == 0 or h == 0 for w, h in sizes):
            message = f'{name} entries must be "WxH" with W and H from 1 to 9999 pixels'
            errors.add_each(np.array([i]), "invalid_field", name, [message])
            continue
        for width, height in sizes:
            row_of.append(i)
            widths.append(float(width))
            heights.append(float(height))
        count[i] = len(sizes)
    return Images(
        np.array(row_of, dtype=np.int64),
        np.array(widths, dtype=np.float64),
        np.array(heights, dtype=np.float64),
        count,
    )


# How country, region, task and datatype are normalised, and what the message says they must be.
_CODES: tuple[tuple[str, Callable[[str], str], str], ...] = (
    ("country", country_code, "an ISO 3166-1 alpha-2 country code (e.g. US; ZZ: the world)"),
    ("region", str.upper, "a two-letter ISO 3166-2 subdivision code (e.g. NY)"),
    ("task", str.lower, "a task of the API's enum (e.g. chat)"),
    ("model_datatype", str.lower, "one of " + ", ".join(sorted(DATATYPE_BYTES))),
)


def _accepts(spec: Field) -> Callable[[str], bool]:
    if spec.name == "country":  # the pattern's two letters, and an assigned country's
        return COUNTRY_CODES.__contains__
    if spec.enum is not None:
        return frozenset(spec.enum).__contains__
    pattern = re.compile(spec.pattern or "")
    return lambda value: pattern.match(value) is not None


def _check_codes(strings: dict[str, np.ndarray], errors: RowErrors) -> None:
    """Normalise case of country, region, task and datatype; check them against the field
    table's pattern or enum, once per distinct value."""
    for name, normalise, expected in _CODES:
        column = strings[name]
        if not len(column):
            continue
        accept = _accepts(ROW_FIELD[name])
        codes, uniques = factorize(column.tolist())
        normalised = [normalise(u) if u is not None else None for u in uniques]
        ok = np.array([u is None or accept(u) for u in normalised])
        errors.add(~ok[codes], "invalid_field", name, f"{name} must be {expected}")
        kept = [u if good else None for u, good in zip(normalised, ok.tolist(), strict=True)]
        strings[name] = _object_array(kept)[codes]


def _object_array(values: list) -> np.ndarray:
    """A 1-D object array of ``values`` (np.array would build 2-D arrays from sequences)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _years(column: np.ndarray, errors: RowErrors) -> np.ndarray:
    """Year of each ``utc_datetime`` (RFC 3339 or BigQuery's TIMESTAMP text); 0 if absent."""
    years = np.zeros(len(column), dtype=np.int64)
    bad = []
    for i, value in enumerate(column.tolist()):
        if value is None:
            continue
        m = _DATETIME.match(value)
        if m and 1 <= int(m[2]) <= 12 and 1 <= int(m[3]) <= 31:
            years[i] = int(m[1])
        else:
            bad.append(i)
    if bad:
        message = 'utc_datetime must be a UTC timestamp such as "2025-01-01T00:00:00Z"'
        errors.add_each(np.array(bad), "invalid_field", "utc_datetime", [message] * len(bad))
    return years


def _check_consistency(numbers: dict[str, np.ndarray], errors: RowErrors) -> None:
    total = numbers["model_total_params_billions"]
    active = numbers["model_active_params_billions"]
    errors.add(
        active > total,  # NaN compares False: only rows giving both are checked
        "invalid_field",
        "model_active_params_billions",
        "model_active_params_billions must not exceed model_total_params_billions",
    )
    for part, whole in (
        ("input_cached_tokens", "input_tokens"),
        ("output_reasoning_tokens", "output_tokens"),
    ):
        errors.add(
            numbers[part] > numbers[whole],  # NaN compares False: checked when both are given
            "invalid_field",
            part,
            f"{part} is part of {whole} and must not exceed it",
        )
