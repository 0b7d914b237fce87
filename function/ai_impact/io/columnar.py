"""Columns in, impact columns out: the path of ``ai-impact estimate`` that never builds a dict
per row.

``estimate_columns(columns, n_rows)`` takes the request fields as columns (Arrow arrays, as
Parquet gives them, or lists of Python values, as JSON lines give them) and returns the impact
columns that ``writers.impact_columns`` makes of ``ai_impact.estimate``'s replies, with the same
numbers and the same errors (tests/test_io_columnar.py compares both paths). It differs only in
where the work runs:

- parse: numbers go from Arrow to float64 at once, and are checked by the row path's own
  checks (``parse.check_number``); strings are checked once per distinct value (Arrow's
  dictionary encoding finds them), with the row path's own functions, and broadcast;
  ``utc_datetime`` is read in Arrow when it is a timestamp or well-formed RFC 3339 text
  (anything else goes through the row path's reader);
- resolve: once per distinct combination of the fields the resolvers read (few in a log),
  with the row path's resolver, broadcast to the rows;
- the engine, confidence and ranges: the row path's own (``ai_impact.evaluate``);
- render: impact columns straight from the engine's arrays, no reply objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

import ai_impact
from ai_impact.catalog import Catalog
from ai_impact.engine.columns import BLOCKS, METRICS, Images, Impacts
from ai_impact.engine.keys import combine_codes, value_codes
from ai_impact.errors import MAX_MESSAGE_BYTES, RowErrors, clip
from ai_impact.factorize import factorize
from ai_impact.fields import ALL_FIELDS, IMAGE_LIST_FIELDS, NUMBER_FIELDS, ROW_FIELD, STRING_FIELDS
from ai_impact.io.presets import NOT_ESTIMATED
from ai_impact.io.writers import BLOCK_PREFIXES, impact_column_names
from ai_impact.parse import (
    Usage,
    _check_codes,
    _check_consistency,
    _image_column,
    _years,
    check_number,
    number_values,
    string_values,
)
from ai_impact.resolve import Resolved, resolve
from ai_impact.resolve.common import objects

# The fields the resolvers read (model, hardware, location) besides the year: a batch is
# resolved once per distinct combination of these.
KEY_STRINGS = (
    "model_id",
    "model_used_id",
    "model_hugging_face_path",
    "model_family",
    "model_name",
    "model_datatype",
    "task",
    "node_id",
    "cloud_id",
    "cloud_instance_id",
    "managed_service_id",
    "gpu_id",
    "datacenter_id",
    "country",
    "region",
    "cloud_region",
)
KEY_NUMBERS = (
    "model_total_params_billions",
    "model_active_params_billions",
    "grid_emissions_factor_gco2e_per_kwh",
)
# utc_datetime text the row path's reader (parse._DATETIME) accepts as is, in Arrow's RE2: ASCII
# digits, nothing to strip. Other text goes through the row path's reader.
RFC3339 = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?| UTC)?$"
)
_CODE_FIELDS = ("country", "region", "task", "model_datatype")
# Text the service records and never reads (ImpactRow's bookkeeping fields): checked for its
# type like every field, but not kept per row (a log's request ids are all distinct).
UNREAD_STRINGS = frozenset(STRING_FIELDS) - frozenset(KEY_STRINGS) - {"utc_datetime"}


def _pa() -> Any:
    import pyarrow as pa

    return pa


def to_arrow(values: Any) -> Any:
    """An Arrow array of a column: Arrow arrays pass (dictionaries decoded, large strings
    made strings), lists of text become text; None for other lists (the row path's functions
    read them as they are)."""
    pa = _pa()
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_dictionary(values.type):
            values = values.dictionary_decode()
        if pa.types.is_large_string(values.type) or pa.types.is_string_view(values.type):
            values = values.cast(pa.string())
        return values
    kinds = set(map(type, values))
    if kinds <= {type(None)}:
        return pa.nulls(len(values))
    if kinds <= {str, type(None)}:
        return pa.array(values, pa.string())
    return None  # numbers, mixed types: Arrow would coerce (True to 1.0); the row path reads them


def python_values(values: Any) -> list:
    """The column as Python values (one per row), as the row path reads them."""
    pa = _pa()
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.to_pylist()
    return list(values)


def _broadcast(errors: RowErrors, local: RowErrors, codes: np.ndarray) -> None:
    """Record on each row the error of its distinct value (``local``, one per distinct)."""
    has = local.any
    if not has.any():
        return
    distinct = np.flatnonzero(has)
    keys, triples = factorize(
        list(
            zip(
                local.code[distinct].tolist(),
                local.field[distinct].tolist(),
                local.message[distinct].tolist(),
                strict=True,
            )
        )
    )
    triple_of = np.full(len(local), -1, dtype=np.int64)
    triple_of[distinct] = keys
    per_row = triple_of[codes]
    for t, (code, field, message) in enumerate(triples):
        errors.add(per_row == t, code, field, message)


def _number(values: Any, name: str, n: int, errors: RowErrors) -> np.ndarray:
    """One number field: its checked float column (the row path's checks, same order)."""
    pa = _pa()
    spec = ROW_FIELD[name]
    array = to_arrow(values)
    if array is not None and (pa.types.is_integer(array.type) or pa.types.is_floating(array.type)):
        missing = array.is_null().to_numpy(zero_copy_only=False)
        if pa.types.is_integer(array.type):  # int64 -> float64 as Python's float(int) rounds
            column = array.fill_null(0).to_numpy().astype(np.float64)
            column[missing] = np.nan
        else:
            column = array.cast(pa.float64()).to_numpy(zero_copy_only=False).copy()
        return check_number(column, missing, np.zeros(n, dtype=bool), spec, errors)
    if array is not None and pa.types.is_null(array.type):
        return np.full(n, np.nan)
    if array is not None and pa.types.is_string(array.type):  # numbers as text: per distinct
        encoded = array.dictionary_encode()
        text = [*encoded.dictionary.to_pylist(), None]
        local = RowErrors(len(text))
        distinct = number_values(text, spec, local)
        codes = encoded.indices.fill_null(len(text) - 1).to_numpy().astype(np.int64)
        _broadcast(errors, local, codes)
        return distinct[codes]
    return number_values(python_values(values), spec, errors)


def _string(values: Any, name: str, errors: RowErrors) -> tuple[np.ndarray, np.ndarray]:
    """One string field: per row the code of its distinct checked value, and those values
    (stripped, None for blanks and values that are not text), with the row path's errors."""
    pa = _pa()
    array = to_arrow(values)
    if array is not None and pa.types.is_string(array.type):
        encoded = array.dictionary_encode()
        distinct = [*encoded.dictionary.to_pylist(), None]
        codes = encoded.indices.fill_null(len(distinct) - 1).to_numpy().astype(np.int64)
        local = RowErrors(len(distinct))
        cleaned = string_values(distinct, name, local)
        _broadcast(errors, local, codes)
        return codes, cleaned
    if array is not None and pa.types.is_null(array.type):
        return np.zeros(len(array), dtype=np.int64), objects([None])
    cleaned = string_values(python_values(values), name, errors)
    codes, uniques = factorize(cleaned.tolist())
    return codes, objects(uniques)


def _check_code(name: str, codes: np.ndarray, uniques: np.ndarray, errors: RowErrors) -> np.ndarray:
    """Country, region, task, datatype: the row path's normalisation and check, per distinct."""
    local = RowErrors(len(uniques))
    strings = {n: objects([]) for n in _CODE_FIELDS}
    strings[name] = uniques
    _check_codes(strings, local)
    _broadcast(errors, local, codes)
    return strings[name]


def _years_of(values: Any, n: int, errors: RowErrors) -> np.ndarray:
    """Year of each utc_datetime, 0 when absent; in Arrow for timestamps and well-formed text,
    by the row path's reader (``parse._years``) for the rest."""
    pa, pc = _pa(), _compute()
    years = np.zeros(n, dtype=np.int64)
    array = to_arrow(values)
    if array is None:
        return years
    if pa.types.is_timestamp(array.type):
        # As Mapper.columns reads a timestamp (RFC 3339 text in whole seconds, UTC), the year.
        seconds = array.cast(pa.timestamp("s"), safe=False)
        year = pc.year(seconds).fill_null(0).to_numpy().astype(np.int64)
        odd = np.flatnonzero(seconds.is_valid().to_numpy(zero_copy_only=False) & (year < 1000))
        odd = np.union1d(odd, np.flatnonzero(year > 9999))
        years[:] = year
        if len(odd):
            text = pc.strftime(seconds.take(pa.array(odd)), "%Y-%m-%dT%H:%M:%SZ").to_pylist()
            years[odd] = _text_years(text, odd, n, errors)
        return years
    if pa.types.is_string(array.type):
        plain = pc.match_substring_regex(array, RFC3339).fill_null(False)
        plain_np = plain.to_numpy(zero_copy_only=False)
        head = pc.utf8_slice_codeunits(array, 0, 10)
        year = pc.utf8_slice_codeunits(head, 0, 4)
        month = pc.utf8_slice_codeunits(head, 5, 7)
        day = pc.utf8_slice_codeunits(head, 8, 10)
        parts = [
            pc.cast(pc.if_else(plain, p, "0"), pa.int64()).to_numpy().astype(np.int64)
            for p in (year, month, day)
        ]
        ok = plain_np & (parts[1] >= 1) & (parts[1] <= 12) & (parts[2] >= 1) & (parts[2] <= 31)
        years[ok] = parts[0][ok]
        rest = np.flatnonzero(~ok & array.is_valid().to_numpy(zero_copy_only=False))
        if len(rest):
            text = array.take(pa.array(rest)).to_pylist()
            years[rest] = _text_years(text, rest, n, errors)
        return years
    # Anything else: the row path's string check already made it None (type errors recorded).
    return years


def _text_years(text: list, rows: np.ndarray, n: int, errors: RowErrors) -> np.ndarray:
    """``parse._years`` of some rows' text (stripped, blanks absent, as the row path reads it)."""
    local = RowErrors(len(rows) + 1)  # the last slot, without error, for the other rows
    found = _years(string_values([*text, None], "utc_datetime", local), local)
    codes = np.full(n, len(rows), dtype=np.int64)
    codes[rows] = np.arange(len(rows))
    _broadcast(errors, local, codes)
    return found[:-1]


def _compute() -> Any:
    import pyarrow.compute as pc

    return pc


def parse_columns(
    columns: Mapping[str, Any], n_rows: int, not_objects: np.ndarray | None = None
) -> tuple[Usage, dict[str, np.ndarray]]:
    """The row path's ``parse_rows`` on columns: the validated ``Usage`` (same values, same
    errors in the same order) and, per string field, the code of each row's distinct value.

    ``columns``: request field -> values (Arrow array or list), one per row; fields not in
    ``columns`` are absent. ``not_objects``: rows that were no object (an unreadable line):
    an ``invalid_field`` error on ``row`` and no values, as ``parse_rows`` answers them.
    """
    n = n_rows
    errors = RowErrors(n)
    columns = {k: v for k, v in columns.items() if k in ALL_FIELDS}
    for name, values in columns.items():
        if len(values) != n:
            raise ValueError(f"column {name} holds {len(values)} values, not {n}")
    if not_objects is not None and not_objects.any():
        errors.add(not_objects, "invalid_field", "row", "a row must be an object")
        keep = ~not_objects
        if not keep.any():
            columns = {}
        else:
            pa = _pa()
            mask = pa.array(keep)
            columns = {k: _masked(v, mask, keep) for k, v in columns.items()}
    present = frozenset(columns) if n else frozenset()
    numbers = {
        spec.name: _number(columns[spec.name], spec.name, n, errors)
        if spec.name in present
        else np.full(n, np.nan)
        for spec in NUMBER_FIELDS
    }
    codes: dict[str, np.ndarray] = {}
    uniques: dict[str, np.ndarray | None] = {}
    none = np.zeros(n, dtype=np.int64)
    for name in STRING_FIELDS:
        if name == "utc_datetime" and name in present:
            codes[name], uniques[name] = _datetime_check(columns[name], n, errors)
        elif name in UNREAD_STRINGS and name in present:
            codes[name], uniques[name] = _unread_check(columns[name], name, n, errors)
        elif name in present:
            codes[name], uniques[name] = _string(columns[name], name, errors)
        else:
            codes[name], uniques[name] = none, objects([None])
    images = {
        name: _images(columns[name], name, n, errors) if name in present else Images.empty(n)
        for name in IMAGE_LIST_FIELDS
    }
    for name in _CODE_FIELDS:
        kept = uniques[name]
        assert kept is not None  # only utc_datetime and unread text are not kept
        uniques[name] = _check_code(name, codes[name], kept, errors)
    if "utc_datetime" not in present:
        year = np.zeros(n, dtype=np.int64)
    elif uniques["utc_datetime"] is None:  # text or timestamps: read in Arrow
        year = _years_of(columns["utc_datetime"], n, errors)
    else:  # values of other types (already None, with their type errors): per distinct
        stamps = uniques["utc_datetime"]
        local = RowErrors(len(stamps))
        year = _years(stamps, local)[codes["utc_datetime"]]
        _broadcast(errors, local, codes["utc_datetime"])
    _check_consistency(numbers, errors)
    absent = np.full(n, None, dtype=object)  # shared by the fields no row gives (read only)
    strings = {}
    for name in STRING_FIELDS:
        found = uniques[name]
        unset = found is None or (len(found) == 1 and found[0] is None)
        strings[name] = absent if found is None or unset else found[codes[name]]
    usage = Usage(n, numbers, strings, images, year, errors, present)
    return usage, codes


def _unread_check(values: Any, name: str, n: int, errors: RowErrors) -> tuple[np.ndarray, None]:
    """A field recorded and never read: text needs no check; other values get the row path's
    type errors. Not kept (None)."""
    pa = _pa()
    array = to_arrow(values)
    if array is None or not (pa.types.is_string(array.type) or pa.types.is_null(array.type)):
        string_values(python_values(values), name, errors)
    return np.zeros(n, dtype=np.int64), None


def _masked(values: Any, mask: Any, keep: np.ndarray) -> Any:
    """The column with the values of rows not in ``keep`` made absent."""
    pa = _pa()
    array = to_arrow(values)
    if array is not None:
        return _compute().if_else(mask, array, pa.nulls(len(array), array.type))
    return [v if k else None for v, k in zip(python_values(values), keep.tolist(), strict=True)]


def _datetime_check(values: Any, n: int, errors: RowErrors) -> tuple[np.ndarray, np.ndarray | None]:
    """utc_datetime in the strings phase: its type errors. Text and timestamps are read later
    (``_years_of``); the per-row text itself is not kept (None: nothing downstream reads it)."""
    pa = _pa()
    array = to_arrow(values)
    if array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_timestamp(array.type)
        or pa.types.is_null(array.type)
    ):
        return np.zeros(n, dtype=np.int64), None
    cleaned = string_values(python_values(values), "utc_datetime", errors)
    codes, uniques = factorize(cleaned.tolist())
    return codes, objects(uniques)


def _images(values: Any, name: str, n: int, errors: RowErrors) -> Images:
    """An image list field, by the row path's reader, given only the rows that hold a value."""
    python = python_values(values)
    empty: dict = {}
    rows: list[Mapping] = [empty] * n
    for i, value in enumerate(python):
        if value is not None:
            rows[i] = {name: value}
    return _image_column(rows, name, errors)


def resolve_distinct(
    usage: Usage,
    codes: Mapping[str, np.ndarray],
    catalog: Catalog,
    emissions_basis: str,
    model_match: str,
) -> Resolved:
    """``resolve`` run once per distinct combination of the fields the resolvers read, its
    answers broadcast to the rows: the same ``Resolved`` as ``resolve(usage, ...)``."""
    n = usage.n_rows
    parts: list[tuple[np.ndarray, int]] = [(np.zeros(n, dtype=np.int64), 1)]
    for name in KEY_STRINGS:
        if name in usage.present:
            parts.append((codes[name], int(codes[name].max(initial=0)) + 1))
    for name in KEY_NUMBERS:
        if name in usage.present:
            parts.append(value_codes(usage.numbers[name]))
    if "utc_datetime" in usage.present and n:
        low = int(usage.year.min())
        parts.append((usage.year - low, int(usage.year.max()) - low + 1))
    key, first = combine_codes(parts)
    distinct = Usage(
        len(first),
        {k: v[first] for k, v in usage.numbers.items()},
        {k: v[first] for k, v in usage.strings.items()},
        {k: Images.empty(len(first)) for k in usage.images},
        usage.year[first],
        RowErrors(len(first)),
        usage.present,
    )
    few = resolve(distinct, catalog, emissions_basis, model_match)
    errors = RowErrors(n)
    _broadcast(errors, few.errors, key)
    location_errors = RowErrors(n)
    _broadcast(location_errors, few.location.errors, key)

    def rows(part: Any) -> Any:  # the per-distinct codes of a resolved part, per row
        return dataclasses.replace(part.columns, codes=part.columns.codes[key])

    return Resolved(
        model=dataclasses.replace(few.model, columns=rows(few.model)),
        hardware=dataclasses.replace(few.hardware, columns=rows(few.hardware)),
        location=dataclasses.replace(
            few.location, columns=rows(few.location), errors=location_errors
        ),
        errors=errors,
    )


def impact_arrays(
    impacts: Impacts,
    errors: RowErrors,
    confidence: tuple[np.ndarray, list[dict[str, Any]]] | None,
    ranges: bool = False,
) -> dict[str, np.ndarray]:
    """The impact columns (``writers.impact_column_names``) of the engine's arrays: what
    ``writers.impact_columns`` makes of the replies ``render`` would build."""
    out: dict[str, np.ndarray] = {}
    blocks = dict(zip(BLOCKS, impacts.blocks(), strict=True))
    for block in BLOCKS:
        for metric in METRICS:
            out[f"{BLOCK_PREFIXES[block]}_{metric}"] = np.asarray(
                getattr(blocks[block], metric), dtype=np.float64
            )
    failed = errors.any
    if ranges:
        found = impacts.ranges.blocks if impacts.ranges is not None else {}
        for block in BLOCKS:
            for metric in METRICS:
                pair = found.get(block, {}).get(metric)
                for k, end in enumerate(("low", "high")):
                    column = np.full(len(failed), np.nan)
                    if pair is not None:
                        column = np.where(failed, np.nan, np.nan_to_num(pair[k]))
                    out[f"{BLOCK_PREFIXES[block]}_{metric}_{end}"] = column
        tier = np.full(len(failed), None, dtype=object)
        if confidence is not None and impacts.ranges is not None:
            index, found_objects = confidence
            tiers = objects([*(o["tier"] for o in found_objects), None])
            tier = tiers[np.where(failed, len(found_objects), index)]
        out["confidence_tier"] = tier
    out[NOT_ESTIMATED] = np.full(len(failed), None, dtype=object)
    out["error_code"] = errors.code.copy()
    out["error_field"] = _clipped(errors.field, failed, clip)
    out["error_message"] = _clipped(errors.message, failed, lambda m: clip(m, MAX_MESSAGE_BYTES))
    assert list(out) == impact_column_names(ranges)
    return out


def _clipped(values: np.ndarray, rows: np.ndarray, cut: Any) -> np.ndarray:
    """``values`` with each text of ``rows`` cut as ``errors.row_error`` cuts it."""
    out = values.copy()
    where = np.flatnonzero(rows)
    if len(where):
        codes, uniques = factorize(values[where].tolist())
        out[where] = objects([None if u is None else cut(u) for u in uniques])[codes]
    return out


def estimate_columns(
    columns: Mapping[str, Any],
    n_rows: int,
    *,
    not_objects: np.ndarray | None = None,
    ranges: bool = False,
    emissions_basis: str = "location",
    catalog: Catalog | None = None,
    model_match: str = "fallback",
) -> dict[str, np.ndarray]:
    """``ai_impact.estimate`` of columns: the impact columns of ``n_rows`` requests.

    ``columns``: request field -> one value per row (an Arrow array, or a list); the switches
    as ``ai_impact.estimate``'s. Returns ``writers.impact_column_names(ranges)`` -> numpy arrays
    (floats; objects for the text columns), equal to ``writers.impact_columns`` of the replies
    of ``ai_impact.estimate`` on the same rows.
    """
    basis, cat = ai_impact.check_options(emissions_basis, model_match, catalog)
    parsed, codes = parse_columns(columns, n_rows, not_objects)
    resolved = resolve_distinct(parsed, codes, cat, basis, model_match)
    impacts, errors, conf = ai_impact.evaluate(parsed, resolved, cat, debug=False, ranges=ranges)
    return impact_arrays(impacts, errors, conf, ranges)
