"""Modelling defaults: what the estimate assumes when neither the row nor the catalog says.

Every value here is an assumption of the model, cited, and listed in docs/methodology.md
("Defaults"). The resolver applies them (the engine receives resolved columns only), and the REST
API derives the missing specifications of a custom GPU or node from the reference rows named here.
"""

from __future__ import annotations

from typing import Any

from ai_impact.catalog import Catalog
from ai_impact.tasks import (
    AUDIO_GENERATION,
    ENCODER,
    IMAGE_GENERATION,
    SPEECH_TO_TEXT,
    TEXT,
    UNSUPPORTED,
)

# --- the request ------------------------------------------------------------------------------

# EcoLogits' reference server: AWS p5.48xlarge, 8 x H100 80GB (EcoLogits methodology, 2025).
# The node of rows that name neither a node, an instance nor a known managed service; also the
# reference a custom node's missing host figures are scaled from (per GPU).
DEFAULT_NODE_ID = "aws:p5.48xlarge"
# Weights served in 16 bits unless the catalog or the row says otherwise (EcoLogits' assumption).
DEFAULT_DATATYPE = "bf16"
# Task when neither the row nor the catalog gives one.
DEFAULT_TASK = "text-generation"
# Concurrent requests per replica when the log does not say. Text: EcoLogits' assumption (B = 64),
# in the middle of the batch sizes ML.ENERGY measured for served chat (8..1024). Diffusion: 1,
# the batch of ML.ENERGY's image and video serving runs. Speech to text: 32, the batch of the
# Whisper throughput measurement the speech constant is derived from. Encoders and audio
# generation: the text default.
DEFAULT_BATCH_SIZE: dict[str, float] = {
    TEXT: 64.0,
    IMAGE_GENERATION: 1.0,
    ENCODER: 64.0,
    SPEECH_TO_TEXT: 32.0,
    AUDIO_GENERATION: 64.0,
    UNSUPPORTED: 64.0,
}
# Zone of the world averages (grid_intensity.csv, water_intensity.csv): the last fallback of
# the location, for rows whose place has no data.
WORLD = "WORLD"

# --- training and fine-tuning (docs/methodology.md section 8) -------------------------------

# One rule for every model, open or closed: the development (training + fine-tuning) of a model is
# charged to its requests in proportion to their inference, at the ratio of training to inference
# energy that operators measured on their whole ML fleets. High: Google 2019-2021, ML energy
# "about 3/5 inference, 2/5 training" (Patterson et al., "The Carbon Footprint of Machine
# Learning Training Will Plateau, Then Shrink", IEEE Computer 55(7), 2022, arXiv:2204.05149):
# 40/60. Low: Meta's AI infrastructure capacity, data : experimentation/training : inference =
# 10 : 20 : 70 (Wu et al., "Sustainable AI: Environmental Implications, Challenges and
# Opportunities", MLSys 2022, arXiv:2111.00364): 20/70 (~1 : 3.5). Central: their geometric
# mean (an estimate: neither fleet is the other's, and both include research and
# experimentation that no single model's requests caused alone).
TRAINING_RATIO_HIGH = 40.0 / 60.0
TRAINING_RATIO_LOW = 20.0 / 70.0
TRAINING_RATIO = (TRAINING_RATIO_HIGH * TRAINING_RATIO_LOW) ** 0.5
# A fine-tuned model's part of that ratio that is its own fine-tuning (the rest is its base
# model's training, in ``training_impact``): its published fine-tuning energy / (that + the base
# model's training energy) when both are in models.csv; else BLOOMz-7B's, the one published pair
# (fine-tuning 7,571 kWh after 51,686 kWh of BLOOM-7B1 training: Luccioni, Jernite, Strubell,
# "Power Hungry Processing", FAccT 2024, arXiv:2311.16863): 7,571 / 59,257 (an assumption).
FINE_TUNING_SHARE = 7571.0 / (7571.0 + 51686.0)

# --- the catalog ------------------------------------------------------------------------------

# Global catalog entries belong to no customer: customer_id 0 (custom entries have > 0).
GLOBAL_CUSTOMER_ID = 0
# The bundled catalog's date and author, shown as created_at / updated_at / created_by of its
# entries (the Scope3 objects require them).
CATALOG_DATE = "2026-11-27T00:00:00Z"
CATALOG_AUTHOR = "ai-impact reference catalog"

# --- specifications of custom GPUs and nodes (REST API) ---------------------------------------

# A Scope3 GPU gives performance_ratio_to_h200; the specifications it lacks are that ratio x the
# H200's (gpus.csv, h200 row: NVIDIA H200 datasheet), its idle power the H200's idle/TDP ratio x
# its TDP.
REFERENCE_GPU_ID = "h200"
GPU_SCALED_BY_RATIO = ("memory_gb", "memory_bandwidth_tbps", "bf16_dense_tflops")
# A node's missing host figures are the reference node's per GPU; its life and utilisation the
# reference node's (nodes.csv, DEFAULT_NODE_ID row).
REFERENCE_NODE_ID = DEFAULT_NODE_ID
NODE_SCALED_PER_GPU = (
    "idle_power_w_ex_gpu",
    "embodied_emissions_kgco2e_ex_gpu",
    "embodied_water_l_ex_gpu",
)
NODE_COPIED = ("use_life_years", "average_utilization_rate")


def reference_row(catalog: Catalog, table: str, key: str) -> dict[str, Any]:
    """The catalog row that defaults are derived from."""
    row = catalog.tables[table].find(key)
    if row is None:
        raise ValueError(f"the catalog has no {key!r} row to derive defaults from")
    return catalog.tables[table].row(row)


def complete_gpu(row: dict[str, Any], ratio_to_h200: float, catalog: Catalog) -> None:
    """Fill the GPU specifications ``row`` lacks from the H200's, scaled by ``ratio_to_h200``."""
    h200 = reference_row(catalog, "gpus", REFERENCE_GPU_ID)
    for column in GPU_SCALED_BY_RATIO:
        if row.get(column) is None:
            row[column] = ratio_to_h200 * h200[column]
    if row.get("idle_power_w") is None:
        row["idle_power_w"] = row["tdp_w"] * h200["idle_power_w"] / h200["tdp_w"]


def ratio_to_h200(row: dict[str, Any], catalog: Catalog) -> float:
    """Dense BF16 throughput of a GPU row relative to the H200's."""
    h200 = reference_row(catalog, "gpus", REFERENCE_GPU_ID)
    return float(row["bf16_dense_tflops"] / h200["bf16_dense_tflops"])


def complete_node(row: dict[str, Any], catalog: Catalog) -> None:
    """Fill the host figures ``row`` lacks from the reference node's (per GPU, or as is)."""
    reference = reference_row(catalog, "nodes", REFERENCE_NODE_ID)
    share = row["gpu_count"] / reference["gpu_count"]
    for column in NODE_SCALED_PER_GPU:
        if row.get(column) is None:
            row[column] = reference[column] * share
    for column in NODE_COPIED:
        if row.get(column) is None:
            row[column] = reference[column]
