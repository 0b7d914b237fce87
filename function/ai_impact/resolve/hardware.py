"""The hardware of each row: ``node_id`` -> ``cloud_id`` + ``cloud_instance_id`` ->
``managed_service_id``'s default node -> :data:`~ai_impact.catalog.defaults.DEFAULT_NODE_ID`.
``gpu_id`` replaces the node's GPU.

The managed service also brings its serving profile (``data/services.csv``: datatype and
concurrent requests per replica, each sourced or flagged as an assumption; docs/methodology.md
section 3a). The row's own ``model_datatype`` and ``batch_size`` win over it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ai_impact.catalog import Catalog, lookup_key, names
from ai_impact.catalog.defaults import DEFAULT_NODE_ID
from ai_impact.engine.columns import HardwareColumns
from ai_impact.engine.text import BLACKWELL_GENERATIONS
from ai_impact.errors import RowErrors
from ai_impact.fields import DATATYPE_BYTES
from ai_impact.parse import Usage
from ai_impact.resolve.common import Entry, Failure, objects, per_distinct, row_errors, take


@dataclass(frozen=True)
class ResolvedHardware:
    """The hardware of a batch: the engine's columns, and per distinct hardware what debug and
    the location resolver use."""

    columns: HardwareColumns
    by: np.ndarray  # object: the resolution step
    node_row: np.ndarray  # int: catalog row of the node, -1 when none
    service_row: np.ndarray  # int: catalog row of the managed service, -1 when none
    node: list[Entry | None]  # the catalog node row
    gpu_id: np.ndarray  # object: the GPU used (the row's gpu_id, else the node's)
    service_id: np.ndarray  # object: the managed service's id, None when none
    profile: np.ndarray  # object: the serving-profile values applied and which are assumed


@dataclass(frozen=True)
class _Answer:
    node_row: int
    gpu_row: int
    service_row: int
    by: str
    failure: Failure | None
    datatype_given: bool  # the row names its own model_datatype (the profile's does not apply)


# hardware_resolved_by of a row whose serving profile its model id's provider prefix selected.
PREFIX_SERVICE_BY = "model prefix service default node"

# node_id, cloud_id, cloud_instance_id, managed_service_id, gpu_id, model_datatype, the model
# prefix's service
_Key = tuple[str | None, str | None, str | None, str | None, str | None, str | None, str | None]


def _answer(catalog: Catalog, key: _Key) -> _Answer:
    node_id, cloud_id, instance, service_id, gpu_id, datatype, prefix_service = key
    nodes, services, gpus = catalog.nodes, catalog.services, catalog.gpus
    failure = None
    found = names.find_service(catalog, service_id or prefix_service)
    service = services.find(found) if found else None
    node, by = None, ""
    if node_id:
        node = nodes.find(node_id)
        by = "node_id"
        if node is None:
            failure = Failure("unknown_node", "node_id", f"node {node_id!r} is not in the catalog")
    elif instance:
        if cloud_id:
            node = nodes.find(f"{cloud_id}:{instance}")
        else:
            node = catalog.node_by_instance.get(lookup_key(instance))
        by = "cloud_id + cloud_instance_id"
        if node is None:
            where = f"of cloud {cloud_id!r}" if cloud_id else "of any cloud (no cloud_id given)"
            message = f"cloud instance {instance!r} {where} is not in the catalog"
            failure = Failure("unknown_node", "cloud_instance_id", message)
    elif service is not None:
        node = nodes.find(services["default_node_id"][service])
        by = "managed_service_id default node" if service_id else PREFIX_SERVICE_BY
    else:
        node = nodes.find(DEFAULT_NODE_ID)
        by = "default node" + (
            f" (managed_service_id {service_id!r} unknown)" if service_id else ""
        )
    gpu = gpus.find(nodes["gpu_id"][node]) if node is not None else None
    if gpu_id:
        gpu = gpus.find(gpu_id)
        by += " + gpu_id"
        if gpu is None and failure is None:
            failure = Failure("unknown_gpu", "gpu_id", f"GPU {gpu_id!r} is not in the catalog")
    return _Answer(
        node_row=-1 if node is None else node,
        gpu_row=-1 if gpu is None else gpu,
        service_row=-1 if service is None else service,
        by=by,
        failure=failure,
        datatype_given=bool(datatype),
    )


def _service_bytes(catalog: Catalog, service: np.ndarray, row_datatype: list[bool]) -> np.ndarray:
    """Bytes per weight of the service's serving datatype; NaN where the service has none or
    the row names its own ``model_datatype`` (which the model resolver applies)."""
    datatypes = catalog.services["serving_datatype"]
    values = [
        DATATYPE_BYTES[datatypes[v]] if v >= 0 and datatypes[v] and not given else np.nan
        for v, given in zip(service.tolist(), row_datatype, strict=True)
    ]
    return np.array(values, dtype=np.float64)


def _profile(catalog: Catalog, service: int) -> str | None:
    """What debug says of the serving profile: its values and which of them are assumptions."""
    if service < 0:
        return None
    services = catalog.services
    batch, datatype = services["serving_batch_size"][service], services["serving_datatype"][service]
    parts = [f"batch {batch:g}" if np.isfinite(batch) else "", datatype or ""]
    assumed = (services["serving_assumption"][service] or "").replace("|", ", ")
    text = ", ".join(p for p in parts if p) or "none"
    return f"{services['service_id'][service]}: {text}" + (
        f" (assumed: {assumed})" if assumed else ""
    )


def resolve_hardware(
    usage: Usage, catalog: Catalog, prefix_services: np.ndarray
) -> tuple[ResolvedHardware, RowErrors]:
    """The node and GPU of every row, and the errors of the rows naming unknown ones.
    ``prefix_services``: the service each row's model prefix selects (``azure/`` ->
    azure-openai), used when the row names no managed service."""
    s = usage.strings
    keys = [
        s[name].tolist()
        for name in (
            "node_id",
            "cloud_id",
            "cloud_instance_id",
            "managed_service_id",
            "gpu_id",
            "model_datatype",
        )
    ] + [prefix_services.tolist()]
    codes, answers = per_distinct(keys, lambda key: _answer(catalog, key))
    node = np.array([a.node_row for a in answers], dtype=np.int64)
    gpu = np.array([a.gpu_row for a in answers], dtype=np.int64)
    service = np.array([a.service_row for a in answers], dtype=np.int64)
    nodes, gpus, services = catalog.nodes, catalog.gpus, catalog.services
    columns = HardwareColumns(
        codes=codes,
        gpu_memory_gb=take(gpus["memory_gb"], gpu),
        gpu_tdp_w=take(gpus["tdp_w"], gpu),
        gpu_idle_power_w=take(gpus["idle_power_w"], gpu),
        gpu_memory_bandwidth_tbps=take(gpus["memory_bandwidth_tbps"], gpu),
        gpu_bf16_dense_tflops=take(gpus["bf16_dense_tflops"], gpu),
        gpu_blackwell=np.array(
            [g >= 0 and gpus["generation"][g] in BLACKWELL_GENERATIONS for g in gpu.tolist()],
            dtype=bool,
        ),
        gpu_embodied_emissions_kgco2e=take(gpus["embodied_emissions_kgco2e"], gpu),
        gpu_embodied_water_l=take(gpus["embodied_water_l"], gpu),
        node_gpu_count=take(nodes["gpu_count"], node),
        node_idle_power_w_ex_gpu=take(nodes["idle_power_w_ex_gpu"], node),
        node_embodied_emissions_kgco2e_ex_gpu=take(nodes["embodied_emissions_kgco2e_ex_gpu"], node),
        node_embodied_water_l_ex_gpu=take(nodes["embodied_water_l_ex_gpu"], node),
        node_use_life_years=take(nodes["use_life_years"], node),
        node_average_utilization_rate=take(nodes["average_utilization_rate"], node),
        service_batch_size=take(services["serving_batch_size"], service),
        service_bytes_per_param=_service_bytes(
            catalog, service, [a.datatype_given for a in answers]
        ),
    )
    gpu_ids = [
        gpus["gpu_id"][g] if g >= 0 else (nodes["gpu_id"][n] if n >= 0 else None)
        for g, n in zip(gpu.tolist(), node.tolist(), strict=True)
    ]
    resolved = ResolvedHardware(
        columns=columns,
        by=objects([a.by for a in answers]),
        node_row=node,
        service_row=service,
        node=[nodes.row(n) if n >= 0 else None for n in node.tolist()],
        gpu_id=objects(gpu_ids),
        service_id=objects([services["service_id"][v] if v >= 0 else None for v in service]),
        profile=objects([_profile(catalog, v) for v in service.tolist()]),
    )
    return resolved, row_errors(codes, [a.failure for a in answers])
