"""From the GPU energy of a request to IT and facility energy, emissions, water and embodied shares.

Every function is vectorised over 1-D float64 arrays of equal length and does no I/O. Energies
are per request; quantities of a replica that serves ``batch_size`` requests at once are divided
by ``batch_size`` (time-sharing, as in EcoLogits, Rincé & Banse 2025, JOSS doi:10.21105/joss.07471).
"""

from __future__ import annotations

import numpy as np

from ai_impact.engine.columns import Floats

SECONDS_PER_YEAR = 365.25 * 24 * 3600

# Memory needed to serve a model: 1.2 x weight bytes (20% for activations and KV cache), the
# rule of EleutherAI's "Transformer Math 101" used by EcoLogits (impacts/llm.py, MODEL_MEMORY).
MEMORY_OVERHEAD = 1.2


def replica_gpu_count(
    total_params_billions: Floats, bytes_per_param: Floats, gpu_memory_gb: Floats
) -> Floats:
    """GPUs holding one replica of the model when the log does not say.

    ``n = 2 ** ceil(log2(ceil(1.2 * P_total * bytes / M_gpu)))``: the weights plus 20% must fit in
    GPU memory, and tensor parallelism uses powers of two. This reproduces the GPU counts of the
    ML.ENERGY benchmark for Llama 3.1 8B/70B/405B on H100 (1, 4, 16).

    Parameters
    ----------
    total_params_billions : all parameters of the model, billions (experts included).
    bytes_per_param : bytes per weight (bf16 2, fp8 1, int4 0.5).
    gpu_memory_gb : memory of one GPU, GB.

    Returns
    -------
    GPU count (float array of powers of two, at least 1).

    References
    ----------
    EcoLogits 0.11.3, ``ecologits/impacts/llm.py`` (gpu_required_count); EleutherAI,
    "Transformer Math 101" (2023).
    """
    needed = np.ceil(MEMORY_OVERHEAD * total_params_billions * bytes_per_param / gpu_memory_gb)
    return np.exp2(np.ceil(np.log2(np.maximum(needed, 1.0))))


# The largest replica of the text calibration: ML.ENERGY ran Llama 3.1 405B on 16 H100s
# (Chung et al. 2025, arXiv:2505.06371; docs/calibration.md). The per-step overhead grows as
# n_gpu ** 1.29 there; extrapolated to 64-256 chips it would exceed the weights' own cost.
FITTED_GPU_COUNT_MAX = 16.0


def modelled_gpu_count(replica_gpu_count: Floats) -> Floats:
    """GPUs the physics is run on: the replica's, at most :data:`FITTED_GPU_COUNT_MAX`.

    ``n = min(n_replica, 16)``. A larger replica (a TPU slice of 32-256 chips, a multi-node GPU
    deployment) is modelled as its 16-GPU group: the decode step's weight traffic (J per byte)
    and compute (J per FLOP) do not depend on n, so the energy of the work is unchanged; what
    the bound stops is the fitted superlinear synchronisation overhead ``n ** nu`` growing past
    the measured range. Host, idle and embodied shares use the same n with the busy time of
    that group, so their GPU-seconds (n x busy time, ~constant for weight-bound decoding) stay
    those of the work done.
    """
    return np.minimum(replica_gpu_count, FITTED_GPU_COUNT_MAX)


def host_power_share_w(
    host_power_w: Floats,
    gpu_count: Floats,
    node_gpu_count: Floats,
    batch_size: Floats,
) -> Floats:
    """Power of the server around the GPUs (CPU, memory, disks, fans, NIC) attributed to one
    request while it occupies the replica, W.

    ``P = P_host * (n_gpu / N_node) / B``: the replica's share of the node's non-GPU power,
    shared by the B requests served at once. Energy = P x busy time.

    Parameters
    ----------
    host_power_w : node power excluding GPUs, W (``nodes.idle_power_w_ex_gpu``).
    gpu_count : GPUs of the replica.  node_gpu_count : GPUs installed in the node.
    batch_size : concurrent requests on the replica.
    """
    return host_power_w * (gpu_count / node_gpu_count) / batch_size


def idle_power_share_w(
    utilization: Floats,
    gpu_idle_power_w: Floats,
    gpu_count: Floats,
    host_power_w: Floats,
    node_gpu_count: Floats,
    batch_size: Floats,
) -> Floats:
    """Power of provisioned but idle capacity attributed to one request while it runs, W.

    A fleet busy a fraction ``u`` of the time idles ``(1 - u) / u`` seconds per busy second,
    drawing idle power: ``P = (1/u - 1) * (n_gpu * P_gpu_idle + P_host * n_gpu / N_node) / B``.
    Google measured idle machines at 10% of serving energy against 58% for accelerators and 25%
    for hosts (Elsworth et al. 2025, arXiv:2508.15734); this term is its counterpart.

    Parameters
    ----------
    utilization : average utilisation of the fleet, 0..1 (``nodes.average_utilization_rate``).
    gpu_idle_power_w : idle power of one GPU, W.  gpu_count, host_power_w, node_gpu_count,
    batch_size : as in :func:`host_power_share_w`.
    """
    replica_idle_w = gpu_count * gpu_idle_power_w + host_power_w * gpu_count / node_gpu_count
    return (1.0 / utilization - 1.0) * replica_idle_w / batch_size


def usage_emissions_gco2e(facility_wh: Floats, gco2e_per_kwh: Floats) -> Floats:
    """Location-based emissions of the electricity used: ``E_facility * CI / 1000``, gCO2e.

    Parameters
    ----------
    facility_wh : facility energy (IT energy x PUE), Wh.
    gco2e_per_kwh : grid carbon intensity, gCO2e/kWh.
    """
    return facility_wh * gco2e_per_kwh / 1000.0


def onsite_water_ml(it_wh: Floats | float, wue_l_per_kwh: Floats) -> Floats:
    """Water consumed on site to cool the IT equipment: ``W_on = E_IT * WUE``, mL.

    WUE is defined per kWh of IT energy (The Green Grid, WUE, 2011); L/kWh equals mL/Wh.
    """
    return it_wh * wue_l_per_kwh


def offsite_water_ml(facility_wh: Floats, water_offsite_l_per_kwh: Floats) -> Floats:
    """Water consumed off site to generate the electricity: ``W_off = E_facility * EWIF``, mL.

    The energy water intensity factor applies to all electricity drawn (Li, Yang, Islam, Ren,
    "Making AI Less Thirsty", arXiv:2304.03271, 2023).
    """
    return facility_wh * water_offsite_l_per_kwh


def embodied_per_busy_second(
    gpu_count: Floats,
    per_gpu: Floats,
    node_gpu_count: Floats,
    per_node_ex_gpu: Floats,
    batch_size: Floats,
    use_life_years: Floats,
    utilization: Floats,
) -> Floats:
    """Manufacturing footprint attributed to one request per second it occupies the replica.

    ``r = (n_gpu * I_gpu + n_gpu / N_node * I_node) / (B * L * u)``: the replica (its GPUs and
    its share of the server) serves requests during a fraction u of its life L, shared by the B
    requests served at once. Embodied impact of a request = r x busy time. Works for emissions
    (kgCO2e in, kgCO2e/s out) and water (L in, L/s out).

    Parameters
    ----------
    gpu_count : GPUs of the replica.  per_gpu : embodied quantity of one GPU.
    node_gpu_count : GPUs installed in the node.  per_node_ex_gpu : embodied quantity of the
    node without its GPUs.  batch_size : concurrent requests.  use_life_years : years.
    utilization : 0..1.

    References
    ----------
    EcoLogits methodology (embodied impacts allocated by time, Rince & Banse 2025).
    """
    replica = gpu_count * per_gpu + gpu_count / node_gpu_count * per_node_ex_gpu
    return replica / (batch_size * use_life_years * SECONDS_PER_YEAR * utilization)


def development_shares(
    inference: Floats, training_ratio: Floats, fine_tuning_share: Floats
) -> tuple[Floats, Floats]:
    """The request's share of its model's training and of its fine-tuning, in the unit of
    ``inference`` (any of the five metrics of the inference block).

    ``training = r * (1 - f) * I`` and ``fine_tuning = r * f * I``: development is charged in
    proportion to the request's inference (its compute, ~2 x active parameters x tokens, turned
    into energy, emissions, water and embodied by the same chain), at the ratio r of training
    to inference energy measured on operators' ML fleets; f is the part of r that is the
    model's own fine-tuning (0 for a base model). Equivalent to a per-token share
    ``E_train / lifetime tokens`` with lifetime tokens = ``E_train / (r x inference energy per
    token)``; the same rule for open and closed models.

    Parameters
    ----------
    inference : the request's inference metric (Wh, gCO2e, mL).
    training_ratio : r, training + fine-tuning energy per unit of inference energy.
    fine_tuning_share : f, 0..1.

    References
    ----------
    Patterson et al. 2022, arXiv:2204.05149 (Google 2019-2021: 40% training, 60% inference);
    Wu et al. 2022, arXiv:2111.00364 (Meta: training : inference capacity 20 : 70);
    docs/methodology.md section 8.
    """
    development = training_ratio * inference
    return development * (1.0 - fine_tuning_share), development * fine_tuning_share
