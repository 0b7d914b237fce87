"""Resolution: what the row names (model, hardware, location) -> numeric columns from the catalog.

Each resolver works on the distinct combinations of the identifying fields of a batch (few), in
Python, and broadcasts the answers to the rows with ``np.take``. Every row records which step
resolved it (``*_by`` labels, shown in debug). Rows that cannot be resolved get an error.

Order of the steps (docs/methodology.md, "Resolution"):

- model: ``model_id`` -> ``model_used_id`` -> ``model_hugging_face_path`` -> ``model_family`` +
  ``model_name`` (each by id, alias or Hugging Face path; then with a router prefix such as
  ``openai/`` and a date suffix such as ``-2024-08-06`` removed) -> the inline
  ``model_total_params_billions``. Inline fields override catalog values when both are given.
- hardware: ``node_id`` -> ``cloud_id`` + ``cloud_instance_id`` -> ``managed_service_id``'s default
  node -> :data:`DEFAULT_NODE_ID`. ``gpu_id`` replaces the node's GPU.
- location: ``country`` (+ ``region``) -> ``cloud_region`` -> the service's default -> world.
  Grid intensity of the latest year at or before ``utc_datetime`` (the latest year when absent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ai_impact.catalog import Catalog, lookup_key, pick_year
from ai_impact.errors import RowErrors
from ai_impact.factorize import factorize
from ai_impact.fields import DATATYPE_BYTES
from ai_impact.parse import Usage
from ai_impact.tasks import TASK_METHOD, UNSUPPORTED

# EcoLogits' reference server: AWS p5.48xlarge, 8 x H100 80GB (EcoLogits methodology, 2025).
DEFAULT_NODE_ID = "aws:p5.48xlarge"
# Weights served in 16 bits unless the catalog or the row says otherwise (EcoLogits' assumption).
DEFAULT_DATATYPE = "bf16"
# Task when neither the row nor the catalog gives one.
DEFAULT_TASK = "text-generation"
WORLD = "WORLD"

_DATE_SUFFIX = re.compile(r"[-@_:]?(?:\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


@dataclass
class Part:
    """Answers for the distinct keys of one part (model, hardware or location) of a batch.

    ``values[name][k]`` answers distinct key k; ``codes[i]`` is the key of row i. NaN, -1 or
    None where the key could not be resolved.
    """

    codes: np.ndarray
    values: dict[str, np.ndarray]

    def at(self, name: str, row: int) -> object:
        """The value of ``name`` for one row."""
        return self.values[name][self.codes[row]]

    def column(self, name: str) -> np.ndarray:
        """The value of ``name`` for every row."""
        return self.values[name][self.codes]


@dataclass
class Resolved:
    model: Part
    hardware: Part
    location: Part


DIFFUSION_DEFAULTS = ("default_steps", "default_width_px", "default_height_px")
MODEL_NUMBERS = ("total_params_billions", "active_params_billions", "bytes_per_param")
AMORTISED = (
    "training_usage_energy_kwh",
    "training_usage_emissions_kgco2e",
    "training_usage_water_l",
    "training_embodied_emissions_kgco2e",
    "training_embodied_water_l",
)
GPU_NUMBERS = (
    "memory_gb",
    "tdp_w",
    "idle_power_w",
    "memory_bandwidth_tbps",
    "bf16_dense_tflops",
    "embodied_emissions_kgco2e",
    "embodied_water_l",
)
NODE_NUMBERS = (
    "gpu_count",
    "idle_power_w_ex_gpu",
    "embodied_emissions_kgco2e_ex_gpu",
    "embodied_water_l_ex_gpu",
    "use_life_years",
    "average_utilization_rate",
)


def resolve(usage: Usage, catalog: Catalog) -> Resolved:
    """Resolve model, hardware and location of every row; errors go to ``usage.errors``."""
    model = _resolve_models(usage, catalog)
    hardware = _resolve_hardware(usage, catalog)
    location = _resolve_locations(usage, catalog, hardware)
    return Resolved(model, hardware, location)


def _part(codes: np.ndarray, answers: list[dict], names: list[str] | tuple[str, ...]) -> Part:
    values = {}
    for name in names:
        column = [a[name] for a in answers]
        if any(isinstance(v, str) or v is None for v in column):
            array = np.empty(len(column), dtype=object)
            array[:] = column
        else:
            array = np.array(column, dtype=np.float64 if column else None)
        values[name] = array
    return Part(codes, values)


def _hashable(column: np.ndarray) -> list:
    """Floats for use in dict keys: NaN (never equal to itself) becomes one shared NaN object,
    so that rows without the value share one key."""
    finite = np.isfinite(column)
    if not finite.any():
        return [_NAN] * len(column)
    return [v if ok else _NAN for v, ok in zip(column.tolist(), finite.tolist(), strict=True)]


_NAN = float("nan")


def _errors_from(codes: np.ndarray, answers: list[dict], errors: RowErrors) -> None:
    failing = [u for u, answer in enumerate(answers) if answer.get("error")]
    if not failing:
        return
    for u in failing:
        code, field, message = answers[u]["error"]
        errors.add(codes == u, code, field, message)


# --- model -----------------------------------------------------------------------------------


def _find_model(catalog: Catalog, value: str) -> tuple[int | None, str]:
    """Row of ``value`` among model ids, aliases and HF paths, trying a router prefix and a date
    suffix removed. Returns (row, how)."""
    models = catalog.models
    candidates = [(value, "")]
    tail = re.split(r"[/]", value)[-1]
    if tail != value:
        candidates.append((tail, " (router prefix removed)"))
    for text, how in list(candidates):
        stripped = _DATE_SUFFIX.sub("", text)
        if stripped and stripped != text:
            candidates.append((stripped, how + " (version suffix removed)"))
    for text, how in candidates:
        row = models.find(text)
        if row is not None:
            key = lookup_key(text)
            if key == lookup_key(models["model_id"][row]):
                kind = "id"
            elif models["hugging_face_path"][row] and key == lookup_key(
                models["hugging_face_path"][row]
            ):
                kind = "hugging_face_path"
            else:
                kind = "alias"
            return row, kind + how
    return None, ""


def _model_answer(catalog: Catalog, key: tuple) -> dict:
    model_id, used_id, hf_path, family, name, total, active, datatype, task = key
    models = catalog.models
    row, by = None, ""
    for field, value in (
        ("model_id", model_id),
        ("model_used_id", used_id),
        ("model_hugging_face_path", hf_path),
    ):
        if value is not None:
            row, how = _find_model(catalog, value)
            if row is not None:
                by = f"{field} -> {how}"
                break
    if row is None and family and name:
        row = catalog.model_by_family_name.get(lookup_key(family) + "|" + lookup_key(name))
        by = "model_family + model_name" if row is not None else ""
    named = [
        f
        for f, v in (
            ("model_id", model_id),
            ("model_used_id", used_id),
            ("model_hugging_face_path", hf_path),
            ("model_name", name),
        )
        if v is not None
    ]
    answer = {"model_row": -1 if row is None else row, "model_by": by, "error": None}
    cat_total = models["total_params_billions"][row] if row is not None else np.nan
    cat_active = models["active_params_billions"][row] if row is not None else np.nan
    cat_datatype = models["datatype"][row] if row is not None else None
    cat_task = models["task"][row] if row is not None else None
    if row is None and np.isfinite(total):
        answer["model_by"] = "inline model_total_params_billions"
    elif row is None:
        if named:
            label = named[0]
            value = {
                "model_id": model_id,
                "model_used_id": used_id,
                "model_hugging_face_path": hf_path,
                "model_name": name,
            }[label]
            answer["error"] = (
                "unknown_model",
                label,
                f"model {value!r} is not in the catalog: register it (POST /model) or give "
                "model_total_params_billions",
            )
        else:
            answer["error"] = (
                "missing_field",
                "model_id",
                "no model given: set model_id, model_hugging_face_path, model_family + "
                "model_name, or model_total_params_billions",
            )
    elif np.isfinite(total) or np.isfinite(active) or datatype:
        answer["model_by"] = by + " + inline overrides"
    total_b = total if np.isfinite(total) else cat_total
    # Active parameters: inline, else the catalog's when the total is the catalog's, else total.
    if np.isfinite(active):
        active_b = active
    elif np.isfinite(total):
        active_b = total
    else:
        active_b = cat_active if np.isfinite(cat_active) else cat_total
    answer["total_params_billions"] = float(total_b)
    answer["active_params_billions"] = float(min(active_b, total_b))
    chosen = (datatype or cat_datatype or DEFAULT_DATATYPE).lower()
    answer["bytes_per_param"] = DATATYPE_BYTES.get(chosen, DATATYPE_BYTES[DEFAULT_DATATYPE])
    answer["task"] = task or (cat_task.lower() if cat_task else DEFAULT_TASK)
    base = models["fine_tuned_from_model_id"][row] if row is not None else None
    base_row = models.find(base) if base else None
    answer["base_model_row"] = -1 if base_row is None else base_row
    for prefix, source in (("", row), ("base_", base_row)):
        for name in (*AMORTISED, "estimated_use_life_days", "estimated_requests_per_day"):
            answer[prefix + name] = float(models[name][source]) if source is not None else np.nan
    answer["method"] = TASK_METHOD.get(answer["task"], UNSUPPORTED)
    for name in DIFFUSION_DEFAULTS:
        answer[name] = float(models[name][row]) if row is not None else np.nan
    if answer["error"] is None and not np.isfinite(total_b):
        answer["error"] = (
            "unknown_model",
            named[0] if named else "model_id",
            f"the catalog has no parameter count for model {models['model_id'][row]!r}: give "
            "model_total_params_billions",
        )
    return answer


def _resolve_models(usage: Usage, catalog: Catalog) -> Part:
    s, x = usage.strings, usage.numbers
    keys = list(
        zip(
            s["model_id"].tolist(),
            s["model_used_id"].tolist(),
            s["model_hugging_face_path"].tolist(),
            s["model_family"].tolist(),
            s["model_name"].tolist(),
            _hashable(x["model_total_params_billions"]),
            _hashable(x["model_active_params_billions"]),
            s["model_datatype"].tolist(),
            s["task"].tolist(),
            strict=True,
        )
    )
    codes, uniques = factorize(keys)
    answers = [_model_answer(catalog, k) for k in uniques]
    _errors_from(codes, answers, usage.errors)
    amortised = [
        p + n
        for p in ("", "base_")
        for n in (*AMORTISED, "estimated_use_life_days", "estimated_requests_per_day")
    ]
    names = [
        "model_row",
        "model_by",
        *MODEL_NUMBERS,
        "task",
        "method",
        "base_model_row",
        *amortised,
        *DIFFUSION_DEFAULTS,
    ]
    return _part(codes, answers, names)


# --- hardware --------------------------------------------------------------------------------


def _hardware_answer(catalog: Catalog, key: tuple) -> dict:
    node_id, cloud_id, instance, service_id, gpu_id = key
    nodes, services, gpus = catalog.nodes, catalog.services, catalog.gpus
    answer: dict = {"service_row": -1, "error": None}
    service = services.find(service_id) if service_id else None
    if service is not None:
        answer["service_row"] = service
    node, by = None, ""
    if node_id:
        node = nodes.find(node_id)
        by = "node_id"
        if node is None:
            answer["error"] = ("unknown_node", "node_id", f"node {node_id!r} is not in the catalog")
    elif instance:
        if cloud_id:
            node = nodes.find(f"{cloud_id}:{instance}")
        else:
            node = catalog.node_by_instance.get(lookup_key(instance))
        by = "cloud_id + cloud_instance_id"
        if node is None:
            answer["error"] = (
                "unknown_node",
                "cloud_instance_id",
                f"cloud instance {instance!r} of cloud {cloud_id!r} is not in the catalog",
            )
    elif service is not None:
        node = nodes.find(services["default_node_id"][service])
        by = "managed_service_id default node"
    else:
        node = nodes.find(DEFAULT_NODE_ID)
        by = "default node" + (
            f" (managed_service_id {service_id!r} unknown)" if service_id else ""
        )
    answer["node_row"] = -1 if node is None else node
    gpu = gpus.find(nodes["gpu_id"][node]) if node is not None else None
    if gpu_id:
        gpu = gpus.find(gpu_id)
        by += " + gpu_id"
        if gpu is None and answer["error"] is None:
            answer["error"] = ("unknown_gpu", "gpu_id", f"GPU {gpu_id!r} is not in the catalog")
    answer["gpu_row"] = -1 if gpu is None else gpu
    answer["hardware_by"] = by
    for name in GPU_NUMBERS:
        answer[name] = float(gpus[name][gpu]) if gpu is not None else np.nan
    for name in NODE_NUMBERS:
        answer["node_" + name] = float(nodes[name][node]) if node is not None else np.nan
    return answer


def _resolve_hardware(usage: Usage, catalog: Catalog) -> Part:
    s = usage.strings
    keys = list(
        zip(
            s["node_id"].tolist(),
            s["cloud_id"].tolist(),
            s["cloud_instance_id"].tolist(),
            s["managed_service_id"].tolist(),
            s["gpu_id"].tolist(),
            strict=True,
        )
    )
    codes, uniques = factorize(keys)
    answers = [_hardware_answer(catalog, k) for k in uniques]
    _errors_from(codes, answers, usage.errors)
    names = [
        "node_row",
        "gpu_row",
        "service_row",
        "hardware_by",
        *GPU_NUMBERS,
        *("node_" + n for n in NODE_NUMBERS),
    ]
    return _part(codes, answers, names)


# --- location --------------------------------------------------------------------------------


def _grid(catalog: Catalog, country: str, region: str | None, year: int) -> dict | None:
    """Grid intensity of ``country-region``, else of ``country``; None if neither has data."""
    zones = ([(f"{country}-{region}", region)] if region else []) + [(country, None)]
    for zone, zone_region in zones:
        years = catalog.grid_years.get(lookup_key(zone))
        if years is not None:
            row = pick_year(years, year)
            grid = catalog.grid_intensity
            return {
                "country": country if zone != WORLD else None,
                "region": zone_region,
                "gco2e_per_kwh": float(grid["gco2e_per_kwh"][row]),
                "grid_year": int(grid["year"][row]),
            }
    return None


def _cloud_region(catalog: Catalog, cloud_id: str | None, name: str | None) -> int | None:
    if not name:
        return None
    row = catalog.cloud_regions.find(cloud_id, name) if cloud_id else None
    return row if row is not None else catalog.region_by_name.get(lookup_key(name))


def _provider_grid(catalog: Catalog, region_row: int, year: int) -> dict | None:
    """The cloud provider's own published intensity for the region (Google publishes its own)."""
    regions = catalog.cloud_regions
    key = (
        lookup_key(regions["cloud_id"][region_row])
        + "|"
        + lookup_key(regions["cloud_region"][region_row])
    )
    years = catalog.region_years.get(key)
    if years is None:
        return None
    row = pick_year(years, year)
    table = catalog.cloud_region_intensity
    return {
        "country": regions["country"][region_row],
        "region": regions["region"][region_row],
        "gco2e_per_kwh": float(table["gco2e_per_kwh"][row]),
        "grid_year": int(table["year"][row]),
    }


def _location_answer(catalog: Catalog, key: tuple) -> dict:
    country, region, cloud_id, cloud_region, service, node, year = key
    region_row = _cloud_region(catalog, cloud_id, cloud_region)
    answer, tried = None, []
    if country:
        answer = _grid(catalog, country, region, year)
        by = "country + region" if answer and answer["region"] else "country"
        tried.append(country)
    if answer is None and region_row is not None:
        regions = catalog.cloud_regions
        answer = _provider_grid(catalog, region_row, year)
        by = "cloud_region (provider-published intensity)"
        if answer is None:
            answer = _grid(
                catalog, regions["country"][region_row], regions["region"][region_row], year
            )
            by = "cloud_region -> country" + (" + region" if answer and answer["region"] else "")
    services = catalog.services
    if answer is None and service >= 0 and services["default_country"][service]:
        answer = _grid(
            catalog, services["default_country"][service], services["default_region"][service], year
        )
        by = "managed_service_id default location"
    if answer is None:
        answer = _grid(catalog, WORLD, None, year)
        by = f"world (no grid data for {', '.join(tried)})" if tried else "world"
    answer["location_by"] = by
    waters = catalog.water_intensity
    water = waters.find(answer["country"] or WORLD)
    water = water if water is not None else waters.find(WORLD)
    answer["water_offsite_l_per_kwh"] = float(waters["water_offsite_l_per_kwh"][water])
    answer["pue"], answer["wue_l_per_kwh"] = _efficiency(
        catalog, service, region_row, node, cloud_id, year
    )
    return answer


def _efficiency(
    catalog: Catalog,
    service: int,
    region_row: int | None,
    node: int,
    cloud_id: str | None,
    year: int,
) -> tuple[float, float]:
    """PUE and on-site WUE: managed service -> cloud region -> provider fleet -> default."""
    pue = wue = np.nan
    if service >= 0:
        pue = catalog.services["pue"][service]
        wue = catalog.services["wue_l_per_kwh"][service]
    if region_row is not None:
        pue = pue if np.isfinite(pue) else catalog.cloud_regions["pue"][region_row]
        wue = wue if np.isfinite(wue) else catalog.cloud_regions["wue_l_per_kwh"][region_row]
        cloud_id = cloud_id or catalog.cloud_regions["cloud_id"][region_row]
    if not cloud_id and node >= 0:
        cloud_id = catalog.nodes["cloud_id"][node]
    for provider in (cloud_id, "default"):
        years = catalog.efficiency_years.get(lookup_key(provider)) if provider else None
        if years is not None:
            row = pick_year(years, year)
            table = catalog.provider_efficiency
            pue = pue if np.isfinite(pue) else table["pue"][row]
            wue = wue if np.isfinite(wue) else table["wue_l_per_kwh"][row]
    return float(pue), float(wue)


def _resolve_locations(usage: Usage, catalog: Catalog, hardware: Part) -> Part:
    s = usage.strings
    keys = list(
        zip(
            s["country"].tolist(),
            s["region"].tolist(),
            s["cloud_id"].tolist(),
            s["cloud_region"].tolist(),
            hardware.codes.tolist(),
            usage.year.tolist(),
            strict=True,
        )
    )
    codes, uniques = factorize(keys)
    answers = []
    for country, region, cloud_id, cloud_region, hardware_code, year in uniques:
        service = int(hardware.values["service_row"][hardware_code])
        node = int(hardware.values["node_row"][hardware_code])
        key = (country, region, cloud_id, cloud_region, service, node, year)
        answers.append(_location_answer(catalog, key))
    names = [
        "country",
        "region",
        "location_by",
        "grid_year",
        "gco2e_per_kwh",
        "pue",
        "wue_l_per_kwh",
        "water_offsite_l_per_kwh",
    ]
    return _part(codes, answers, names)
