"""The model of each row: ``model_id`` -> ``model_used_id`` -> ``model_hugging_face_path`` ->
``model_family`` + ``model_name`` (each by id, alias or Hugging Face path, then normalised,
then by family or by a size in the name: :mod:`ai_impact.catalog.names`) -> the inline
``model_total_params_billions``. Inline fields override catalog values when both are given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact.catalog import Catalog, lookup_key, names
from ai_impact.catalog.defaults import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_DATATYPE,
    DEFAULT_TASK,
    FINE_TUNING_SHARE,
    TRAINING_RATIO,
)
from ai_impact.engine import diffusion
from ai_impact.engine.columns import ModelColumns
from ai_impact.engine.text import Architecture
from ai_impact.errors import RowErrors
from ai_impact.fields import DATATYPE_BYTES
from ai_impact.parse import Usage
from ai_impact.resolve.common import (
    Entry,
    Failure,
    floats,
    hashable,
    objects,
    per_distinct,
    row_errors,
    take,
)
from ai_impact.tasks import TASK_METHOD, TEXT, UNSUPPORTED


@dataclass(frozen=True)
class ResolvedModel:
    """The models of a batch: the engine's columns, and per distinct model what debug shows."""

    columns: ModelColumns
    by: np.ndarray  # object: the resolution step ("" when unresolved)
    entry: list[Entry | None]  # the catalog row (None: inline or unresolved)
    provider_service: np.ndarray  # object: service_id the model name's prefix selects, or None
    params_range: np.ndarray  # (distinct, 4): total low, high, active low, high (billions)


@dataclass(frozen=True)
class _Answer:
    row: int  # catalog row, -1 when none
    by: str
    failure: Failure | None
    total_params_billions: float
    active_params_billions: float
    bytes_per_param: float
    task: str
    base_row: int  # catalog row of the model a fine-tune derives from, -1 when none
    provider_service: str | None
    params_range: tuple[float, float, float, float]
    generation_method: str  # the catalog's (engine.diffusion.parse_method), "" when none
    block_scaled: bool  # FP8 weights with block-wise scales (datatype fp8_block)


def _find_model(catalog: Catalog, value: str, model_match: str) -> names.Match | None:
    """``value`` resolved by :func:`ai_impact.catalog.names.find_model` (id, alias, HF path,
    normalised spelling, then the family and size fallbacks unless ``model_match`` is exact)."""
    return names.find_model(catalog, value, model_match)


def _failure(
    catalog: Catalog, row: int | None, named: list[tuple[str, str]], total_b: float
) -> Failure | None:
    if row is None and not named:
        return Failure(
            "missing_field",
            "model_id",
            "no model given: set model_id, model_hugging_face_path, model_family + "
            "model_name, or model_total_params_billions",
        )
    if row is None:
        field, value = named[0]
        return Failure(
            "unknown_model",
            field,
            f"model {value!r} is not in the catalog: register it (POST /model) or give "
            "model_total_params_billions",
        )
    if not np.isfinite(total_b):
        return Failure(
            "unknown_model",
            named[0][0] if named else "model_id",
            f"the catalog has no parameter count for model {catalog.models['model_id'][row]!r}: "
            "give model_total_params_billions",
        )
    return None


# model_id, model_used_id, model_hugging_face_path, model_family, model_name,
# model_total_params_billions, model_active_params_billions, model_datatype, task
_Str = str | None
_Key = tuple[_Str, _Str, _Str, _Str, _Str, float, float, _Str, _Str]


BLOCK_SCALED_FP8 = "fp8_block"


def _answer(catalog: Catalog, key: _Key, model_match: str) -> _Answer:
    model_id, used_id, hf_path, family, name, total, active, datatype, task = key
    models = catalog.models
    row, by, fallback = None, "", None
    for field, value in (
        ("model_id", model_id),
        ("model_used_id", used_id),
        ("model_hugging_face_path", hf_path),
    ):
        if value is not None:
            match = _find_model(catalog, value, model_match)
            if match is not None and match.how in names.FALLBACK_STEPS:
                fallback = fallback or match
            elif match is not None:
                row = match.row
                by = f"{field} -> {match.how}" + (f" ({match.detail})" if match.detail else "")
                break
    if row is None and family and name:
        row = catalog.model_by_family_name.get(lookup_key(family) + "|" + lookup_key(name))
        by = "model_family + model_name" if row is not None else ""
    named = [
        (f, v)
        for f, v in (
            ("model_id", model_id),
            ("model_used_id", used_id),
            ("model_hugging_face_path", hf_path),
            ("model_name", name),
        )
        if v is not None
    ]
    cat_total = models["total_params_billions"][row] if row is not None else np.nan
    cat_active = models["active_params_billions"][row] if row is not None else np.nan
    cat_datatype = models["datatype"][row] if row is not None else None
    cat_task = models["task"][row] if row is not None else None
    if row is None and fallback is not None and not np.isfinite(total):
        # Family or size fallback: numbers as if given inline, labelled by the step.
        by, total, task = fallback.how, fallback.total_params_billions, task or fallback.task
        active = active if np.isfinite(active) else fallback.active_params_billions
    elif row is None and np.isfinite(total):
        by = "inline model_total_params_billions"
    elif row is not None and (np.isfinite(total) or np.isfinite(active) or datatype):
        by += " + inline overrides"
    total_b = total if np.isfinite(total) else cat_total
    # Active parameters: inline, else the catalog's when the total is the catalog's, else total.
    if np.isfinite(active):
        active_b = active
    elif np.isfinite(total):
        active_b = total
    else:
        active_b = cat_active if np.isfinite(cat_active) else cat_total
    chosen = (datatype or cat_datatype or DEFAULT_DATATYPE).lower()
    base = models["fine_tuned_from_model_id"][row] if row is not None else None
    base_row = models.find(base) if base else None
    inline = row is None and np.isfinite(total)
    total_b, active_b = float(total_b), float(min(active_b, total_b))
    params_range = (total_b, total_b, active_b, active_b)
    if fallback is not None and by == fallback.how:
        params_range = (*fallback.total_range, *fallback.active_range)
    elif row is not None and "inline" not in by:
        low_high = [float(models[c][row]) for c in names.RANGE_COLUMNS]
        t_low, t_high, a_low, a_high = (
            v if np.isfinite(v) else p for v, p in zip(low_high, params_range, strict=True)
        )
        params_range = (t_low, t_high, a_low, a_high)
    failure = None if inline else _failure(catalog, row, named, total_b)
    method = (models["generation_method"][row] if row is not None else None) or ""
    try:
        diffusion.parse_method(method)
    except ValueError as exc:
        method = ""
        failure = failure or Failure(
            "invalid_field", "model_id", f"the catalog row of this model has an invalid {exc}"
        )
    return _Answer(
        row=-1 if row is None else row,
        by=by,
        failure=failure,
        total_params_billions=total_b,
        active_params_billions=active_b,
        bytes_per_param=DATATYPE_BYTES.get(chosen, DATATYPE_BYTES[DEFAULT_DATATYPE]),
        task=task or (cat_task.lower() if cat_task else DEFAULT_TASK),
        base_row=-1 if base_row is None else base_row,
        provider_service=names.provider_service(catalog, model_id or used_id),
        params_range=params_range,
        generation_method=method,
        block_scaled=chosen == BLOCK_SCALED_FP8,
    )


def _fine_tuning_share(catalog: Catalog, rows: np.ndarray, base_rows: np.ndarray) -> np.ndarray:
    """Per distinct model, the part of the development ratio that is its own fine-tuning: 0 for a
    base model; for a fine-tune, its published fine-tuning energy over that + its base model's
    training energy, else :data:`FINE_TUNING_SHARE` (docs/methodology.md section 8)."""
    energy = catalog.models["training_usage_energy_kwh"]
    own, base = take(energy, rows), take(energy, base_rows)
    published = own / (own + base)
    share = np.where(np.isfinite(published), published, FINE_TUNING_SHARE)
    return np.where(base_rows >= 0, share, 0.0)


def _shared_params(catalog: Catalog, rows: np.ndarray, answers: list[_Answer]) -> np.ndarray:
    """Per distinct model, the parameters every token uses of a mixture of experts whose
    experts the catalog publishes: total - number_of_experts x params_per_expert_billions (NaN
    when not published, or when inline sizes make it inconsistent)."""
    models = catalog.models
    experts = take(models["number_of_experts"], rows) * take(
        models["params_per_expert_billions"], rows
    )
    total = floats(a.total_params_billions for a in answers)
    active = floats(a.active_params_billions for a in answers)
    shared = total - experts
    with np.errstate(invalid="ignore"):
        return np.where((shared > 0) & (shared <= active) & (active < total), shared, np.nan)


def resolve_models(
    usage: Usage, catalog: Catalog, model_match: str = "fallback"
) -> tuple[ResolvedModel, RowErrors]:
    """The model of every row, and the errors of the rows whose model cannot be resolved."""
    s, x = usage.strings, usage.numbers
    keys = (
        s["model_id"].tolist(),
        s["model_used_id"].tolist(),
        s["model_hugging_face_path"].tolist(),
        s["model_family"].tolist(),
        s["model_name"].tolist(),
        hashable(x["model_total_params_billions"]),
        hashable(x["model_active_params_billions"]),
        s["model_datatype"].tolist(),
        s["task"].tolist(),
    )
    codes, answers = per_distinct(keys, lambda key: _answer(catalog, key, model_match))
    rows = np.array([a.row for a in answers], dtype=np.int64)
    base_rows = np.array([a.base_row for a in answers], dtype=np.int64)
    methods = [TASK_METHOD.get(a.task, UNSUPPORTED) for a in answers]
    denoiser = diffusion.denoiser_columns([a.generation_method for a in answers])
    # Token-based image generators are served as language models: text's batch.
    default_batch = np.where(
        denoiser.autoregressive > 0,
        DEFAULT_BATCH_SIZE[TEXT],
        floats(DEFAULT_BATCH_SIZE[m] for m in methods),
    )
    models = catalog.models
    columns = ModelColumns(
        codes=codes,
        total_params_billions=floats(a.total_params_billions for a in answers),
        active_params_billions=floats(a.active_params_billions for a in answers),
        bytes_per_param=floats(a.bytes_per_param for a in answers),
        task=objects([a.task for a in answers]),
        method=objects(methods),
        default_batch_size=default_batch,
        default_steps=take(models["default_steps"], rows),
        default_width_px=take(models["default_width_px"], rows),
        default_height_px=take(models["default_height_px"], rows),
        training_ratio=np.full(len(answers), TRAINING_RATIO),
        fine_tuning_share=_fine_tuning_share(catalog, rows, base_rows),
        denoiser=denoiser,
        architecture=Architecture(
            shared_params_billions=_shared_params(catalog, rows, answers),
            kv_layer_fraction=take(models["kv_layer_fraction"], rows),
            recurrent_state_gb=take(models["recurrent_state_gb"], rows),
        ),
        block_scaled_8bit=np.array([a.block_scaled for a in answers], dtype=bool),
    )
    entries = [models.row(a.row) if a.row >= 0 else None for a in answers]
    resolved = ResolvedModel(
        columns,
        objects([a.by for a in answers]),
        entries,
        objects([a.provider_service for a in answers]),
        np.array([a.params_range for a in answers], dtype=np.float64).reshape(-1, 4),
    )
    return resolved, row_errors(codes, [a.failure for a in answers])
