"""The estimate against the operators' own disclosures (issue 10 item 5).

Each case names the published figure (its case id in the research reference
``published_figures.csv``), the boundary it was measured in, the token counts we assume for it
(none of the disclosures states them; the reason is given next to each) and the tolerance.
Target: within x2 of the figure, aim x1.5. docs/methodology.md "Serving profiles" lists the
profile values (batch, datatype, replica) these estimates run on and which are assumptions.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import ai_impact
from ai_impact import catalog
from ai_impact.engine import infrastructure as infra

# A chat request as the text physics is calibrated on: ML.ENERGY v3's LM-Arena chat workload,
# median prompt 400 tokens and median output 605 tokens (Chung et al. 2025, arXiv:2505.06371;
# docs/calibration.md). Used where an operator states a "median" or "average" chat prompt
# without its length.
CHAT_IN, CHAT_OUT = 400, 605
# Epoch AI's GPT-4o query: 500 output tokens ("1e14 FLOP = 2 x 100B active x 500 tokens"); its
# typical query has a short prompt, taken as 100 tokens (the short prompt of Jegham et al.,
# "How Hungry is AI?", arXiv:2505.09598: 100 in / 300 out).
EPOCH_IN, EPOCH_OUT = 100, 500


@dataclass(frozen=True)
class Disclosure:
    case: str
    row: dict
    figure: float
    tolerance: float  # the estimate must lie within [figure / tolerance, figure * tolerance]


def estimate(row: dict) -> dict:
    (out,) = ai_impact.estimate([row], debug=True)
    assert out["error"] is None, out["error"]
    return out


ENERGY_CASES = [
    # GOOG-1: median Gemini Apps text prompt, May 2025, 0.24 Wh, comprehensive boundary
    # (accelerators + host + idle machines + PUE; no training) = our inference usage energy.
    # Elsworth et al. 2025, arXiv:2508.15734. Model: Gemini 2.5 Flash, the Gemini Apps default
    # in May 2025. Tokens: CHAT_IN / CHAT_OUT (not disclosed). Tolerance x2 (target).
    Disclosure(
        "GOOG-1",
        {
            "model_id": "gemini-2.5-flash",
            "managed_service_id": "google-gemini",
            "input_tokens": CHAT_IN,
            "output_tokens": CHAT_OUT,
        },
        0.24,
        2.0,
    ),
    # OAI-1: average ChatGPT query, 0.34 Wh (S. Altman, "The Gentle Singularity", 10 Jun 2025);
    # boundary not stated, read as the serving energy. Model: GPT-4o, ChatGPT's default then.
    # Tokens: CHAT_IN / CHAT_OUT (not disclosed). Tolerance x2 (target).
    Disclosure(
        "OAI-1",
        {
            "model_id": "gpt-4o",
            "managed_service_id": "openai",
            "input_tokens": CHAT_IN,
            "output_tokens": CHAT_OUT,
        },
        0.34,
        2.0,
    ),
    # EPOCH-1: Epoch AI's GPT-4o query, 0.3 Wh (J. You, "How much energy does ChatGPT use?",
    # Feb 2025): H100 node power at 70% load x PUE 1.2, no idle capacity (ours includes it).
    # Tokens: EPOCH_IN / EPOCH_OUT. Tolerance x2 (target).
    Disclosure(
        "EPOCH-1",
        {
            "model_id": "gpt-4o",
            "managed_service_id": "openai",
            "input_tokens": EPOCH_IN,
            "output_tokens": EPOCH_OUT,
        },
        0.3,
        2.0,
    ),
]


METHODOLOGY = Path(__file__).resolve().parents[1] / "docs" / "methodology.md"


@pytest.mark.parametrize("case", ENERGY_CASES, ids=lambda c: c.case)
def test_energy_per_query_within_tolerance_of_the_disclosure(case: Disclosure) -> None:
    got = estimate(case.row)["inference_impact"]["usage_energy_wh"]
    ratio = got / case.figure
    assert 1 / case.tolerance <= ratio <= case.tolerance, f"{case.case}: x{ratio:.2f}"
    # docs/methodology.md section 3a shows this estimate and ratio: kept equal to the code.
    line = re.search(rf"^\| {case.case}:.*$", METHODOLOGY.read_text(encoding="utf-8"), re.M)
    assert line, case.case
    assert f"| {got:.3f} Wh | ×{ratio:.2f} |" in line[0], (line[0], got, ratio)


def test_google_split_of_the_median_prompt() -> None:
    # GOOG-5: accelerators 58%, host CPU + DRAM 25%, idle machines 10%, data-centre overhead 8%
    # of the median prompt's energy (Elsworth et al. 2025, arXiv:2508.15734). Tolerance: each
    # share within x1.6 of Google's (the x2 target of the disclosures, nearer its x1.5 aim).
    # Shares are ratios of estimates whose host and idle parts rest on catalog estimates
    # (nodes.csv), so the check is a ratio, as for the energy figures, not percentage points.
    out = estimate(ENERGY_CASES[0].row)
    split, a = out["debug"]["energy_breakdown"], out["debug"]["assumptions"]
    cat = catalog.default()
    node = cat.nodes.row(cat.nodes.find(out["debug"]["hardware_node"]["id"]))
    n = infra.modelled_gpu_count(np.array([a["gpu_count"]]))
    host_w = infra.host_power_share_w(
        np.array([node["idle_power_w_ex_gpu"]]),
        n,
        np.array([node["gpu_count"]]),
        np.array([a["batch_size"]]),
    )
    host_wh = float(host_w[0]) * a["busy_time_s"] / 3600
    facility = split["facility_wh"]
    shares = {
        "accelerators": split["gpu_wh"] / facility,
        "host": host_wh / facility,
        "idle": (split["it_wh"] - split["gpu_wh"] - host_wh) / facility,
        "overhead": 1 - split["it_wh"] / facility,
    }
    google = {"accelerators": 0.58, "host": 0.25, "idle": 0.10, "overhead": 0.08}
    for part, share in google.items():
        assert 1 / 1.6 <= shares[part] / share <= 1.6, (part, shares)


def test_long_prompt_costs_several_times_a_short_one() -> None:
    # Epoch AI (same article, prefill section): a GPT-4o query with a 10k-token prompt ~2.5 Wh
    # against ~0.3 Wh for a 500-token answer alone, x8.3. Shape check on our own estimate:
    # the ratio within x2 of Epoch's (and "several times": at least x3).
    short = {**ENERGY_CASES[2].row}
    long = {**short, "input_tokens": 10_000}
    e_short = estimate(short)["inference_impact"]["usage_energy_wh"]
    e_long = estimate(long)["inference_impact"]["usage_energy_wh"]
    ratio = e_long / e_short
    assert ratio >= 3
    assert 2.5 / 0.3 / 2 <= ratio <= 2.5 / 0.3 * 2, ratio


# MIST-1/2: Mistral Large 2 on Le Chat, one 400-token response: 1.14 gCO2e and 45 mL (Mistral AI
# LCA with Carbone 4 and ADEME, July 2025). Boundary: a full LCA of the marginal inference
# (location-based electricity, all infrastructure power, hardware manufacturing, and water of
# electricity generation and of the hardware supply chain). Ours: usage + embodied. Tokens:
# 400 output (disclosed), 100 input (short prompt, as EPOCH_IN). This is the one disclosure the
# engine does NOT reach within x2: its GPU physics, calibrated on measured serving, gives
# ~0.1 Wh for the response; 1.14 g at any plausible grid (35-400 g/kWh) would need 3-30 Wh,
# so the gap is the LCA's wider boundary, which Mistral has not published in detail. The test
# pins the gap (we stay below the LCA, within two orders of magnitude) so a change that moves
# it is seen; docs/methodology.md "Serving profiles" discusses it.
MISTRAL_ROW = {
    "model_id": "mistral_large_2",
    "managed_service_id": "mistral",
    "input_tokens": 100,
    "output_tokens": 400,
}


def test_mistral_lca_is_above_our_narrower_boundary() -> None:
    out = estimate(MISTRAL_ROW)["inference_impact"]
    gco2e = out["usage_emissions_gco2e"] + out["embodied_emissions_gco2e"]
    water_ml = out["usage_water_ml"] + out["embodied_water_ml"]
    assert 1.14 / 300 <= gco2e < 1.14, gco2e
    assert 45 / 300 <= water_ml < 45, water_ml
