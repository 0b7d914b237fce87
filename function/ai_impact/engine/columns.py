"""The engine's input and output types: frozen dataclasses of numpy arrays.

The layers above fill them (parse: :class:`Usage`; resolve: :class:`ModelColumns`,
:class:`HardwareColumns`, :class:`LocationColumns`) and the engine returns :class:`Impacts`. Every
column is an attribute, so a misspelt name fails the type check, not the hot path.

Two shapes of column occur:

- per row: one value per request of the batch (``Usage``, ``Impacts``, every ``codes``);
- per distinct key: the resolved parts hold one value per distinct model, hardware or location of
  the batch, and ``codes[i]`` is the distinct key of row i (a batch has few distinct models,
  nodes and zones, so resolution runs once per distinct key and is broadcast with ``take``).

Absent numbers are NaN. Units are in the names (docs/methodology.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ai_impact.engine.diffusion import Denoiser
from ai_impact.engine.errors import RowErrors
from ai_impact.engine.text import Architecture

if TYPE_CHECKING:
    from ai_impact.engine.ranges import Ranges

METRICS = (
    "usage_energy_wh",
    "usage_emissions_gco2e",
    "usage_water_ml",
    "embodied_emissions_gco2e",
    "embodied_water_ml",
)
# A float64 column: annotating physics functions with it lets the type checker follow the
# arithmetic (plain ``np.ndarray`` makes every result ``Any``).
Floats = npt.NDArray[np.float64]
BLOCKS = ("inference_impact", "training_impact", "fine_tuning_impact", "total_impact")


@dataclass(frozen=True)
class Images:
    """Image sizes of one list field, flattened: image k belongs to row ``row[k]``."""

    row: np.ndarray  # int64, ascending
    width_px: np.ndarray
    height_px: np.ndarray
    count: np.ndarray  # images per row (int64, one per row)

    @classmethod
    def empty(cls, n_rows: int) -> Images:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none.astype(float), none.astype(float), np.zeros(n_rows, np.int64))


@dataclass(frozen=True)
class Usage:
    """What each request used, per row (NaN where the row does not say)."""

    input_tokens: np.ndarray
    output_tokens: np.ndarray
    input_cached_tokens: np.ndarray  # part of input_tokens served from a prefix cache
    output_reasoning_tokens: np.ndarray  # part of output_tokens spent reasoning
    input_audio_seconds: np.ndarray
    output_audio_seconds: np.ndarray
    output_audio_tokens: np.ndarray
    output_video_frames: np.ndarray
    output_video_resolution: np.ndarray  # lines (1080 for 1080p)
    input_steps: np.ndarray  # denoising steps
    batch_size: np.ndarray  # concurrent requests on the replica, when the log says
    gpu_count: np.ndarray  # GPUs of the replica, when the log says
    input_images: Images
    output_images: Images

    @property
    def n_rows(self) -> int:
        return len(self.input_tokens)

    def has_media(self) -> bool:
        """Whether any row carries something other than text tokens."""
        media = (
            self.input_audio_seconds,
            self.output_audio_seconds,
            self.output_audio_tokens,
            self.output_video_frames,
        )
        return bool(
            len(self.input_images.row)
            or len(self.output_images.row)
            or any(np.isfinite(column).any() for column in media)
        )


@dataclass(frozen=True)
class ModelColumns:
    """The model of each row: per distinct model, ``codes`` maps rows to them."""

    codes: np.ndarray
    total_params_billions: np.ndarray
    active_params_billions: np.ndarray
    bytes_per_param: np.ndarray
    task: np.ndarray  # object: the API task name
    method: np.ndarray  # object: a tasks.METHODS value
    default_batch_size: np.ndarray  # batch when the row does not say (catalog defaults)
    default_steps: np.ndarray  # diffusion defaults of the catalog (NaN: the engine's)
    default_width_px: np.ndarray
    default_height_px: np.ndarray
    training_ratio: np.ndarray  # training + fine-tuning energy per unit of inference energy
    fine_tuning_share: np.ndarray  # the part of that ratio that is the model's own fine-tuning
    # Image and video generators: the architecture the catalog's generation_method states
    # (None: the default of engine.diffusion, a latent diffusion transformer).
    denoiser: Denoiser | None = None
    # The published architecture per distinct model (engine.text.Architecture: the parameters
    # every token uses of a mixture of experts, the hybrids' KV-layer share and recurrent
    # state; NaN where not published); None: every model a transformer of the defaults.
    architecture: Architecture | None = None
    # FP8 weights with block-wise scales (datatype fp8_block), bool; None: none.
    block_scaled_8bit: np.ndarray | None = None


@dataclass(frozen=True)
class HardwareColumns:
    """The GPU and node of each row: per distinct hardware, ``codes`` maps rows to them."""

    codes: np.ndarray
    gpu_memory_gb: np.ndarray
    gpu_tdp_w: np.ndarray
    gpu_idle_power_w: np.ndarray
    gpu_memory_bandwidth_tbps: np.ndarray
    gpu_bf16_dense_tflops: np.ndarray
    gpu_blackwell: np.ndarray  # bool: the GPU's generation takes the Blackwell datatype factors
    gpu_embodied_emissions_kgco2e: np.ndarray
    gpu_embodied_water_l: np.ndarray
    node_gpu_count: np.ndarray
    node_idle_power_w_ex_gpu: np.ndarray
    node_embodied_emissions_kgco2e_ex_gpu: np.ndarray
    node_embodied_water_l_ex_gpu: np.ndarray
    node_use_life_years: np.ndarray
    node_average_utilization_rate: np.ndarray
    # The managed service's serving profile (data/services.csv), NaN where it has none or the
    # row says otherwise: concurrent requests per replica and bytes per weight of text models.
    service_batch_size: np.ndarray
    service_bytes_per_param: np.ndarray


@dataclass(frozen=True)
class LocationColumns:
    """Grid and data-centre efficiency of each row: per distinct location, ``codes`` maps rows."""

    codes: np.ndarray
    gco2e_per_kwh: np.ndarray
    pue: np.ndarray
    wue_l_per_kwh: np.ndarray  # on site, per kWh of IT energy
    water_offsite_l_per_kwh: np.ndarray  # electricity generation, per kWh drawn


@dataclass(frozen=True)
class Step:
    """One part of the requests' work: per-row duration (s) and number of inferences."""

    description: str
    duration_s: np.ndarray
    inferences: np.ndarray


@dataclass(frozen=True)
class Block:
    """The five metrics of one impact block, per row."""

    usage_energy_wh: np.ndarray
    usage_emissions_gco2e: np.ndarray
    usage_water_ml: np.ndarray
    embodied_emissions_gco2e: np.ndarray
    embodied_water_ml: np.ndarray


@dataclass(frozen=True)
class Impacts:
    """Per-row results of a batch, and what debug shows. Rows in ``failed`` (given by the caller)
    or in ``errors`` are zero everywhere."""

    inference: Block
    training: Block
    fine_tuning: Block
    total: Block
    gpu_wh: np.ndarray
    it_wh: np.ndarray
    facility_wh: np.ndarray
    busy_time_s: np.ndarray
    water_onsite_ml: np.ndarray  # inference usage water: cooling (WUE x IT energy)
    water_offsite_ml: np.ndarray  # and electricity generation; they add up to usage_water_ml
    deployment: np.ndarray  # per row: its deployment (model x hardware x location x B x n_gpu)
    gpu_count: np.ndarray  # per deployment: GPUs of the replica (the physics runs on <= 16)
    batch_size: np.ndarray  # per deployment: batch size used
    bytes_per_param: np.ndarray  # per deployment: bytes per weight used (service datatype applied)
    steps: list[Step]  # parts of the work, per row (with_steps only)
    errors: RowErrors  # rows the engine could not estimate (the engine's own, first wins)
    tokens: dict[str, np.ndarray] = field(default_factory=dict)  # text tokens used (debug)
    ranges: Ranges | None = None  # low and high of every metric (compute's ``uncertainty``)

    def blocks(self) -> tuple[Block, Block, Block, Block]:
        """The four blocks in the order of :data:`BLOCKS`."""
        return (self.inference, self.training, self.fine_tuning, self.total)
