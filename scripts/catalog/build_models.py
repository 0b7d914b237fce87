"""Build function/ai_impact/data/models.csv from its curated sources (run from the repo root):

    python scripts/catalog/build_models.py [--check]

1. ``scripts/catalog/additions.csv``: rows added to (or, by model_id, updating) the catalog, each
   with its size evidence and source (model cards, papers, vendor announcements).
2. ``scripts/catalog/prices.csv``: price per token of open models of known size served by their
   own developer's API (role ``reference``) and of closed models (role ``closed``), with the
   EcoLogits ranges where EcoLogits has one. The closed models' active parameters come from a
   least-squares fit of log(active parameters) on log(blended price) over the reference models
   (docs/methodology.md, "Closed models"); the fit's leave-one-out error (a factor) is printed
   and sets the range. Where EcoLogits has a range too, the point is the geometric mean of the
   fit and EcoLogits' midpoint and the range spans both.
3. ``scripts/catalog/architectures.csv``: hybrid state-space and linear-attention models' share of
   layers with a KV cache and per-sequence recurrent state (GB), each derived from the model's
   config.json (the derivation and its source are written into the row's notes and source).

Blended price = (3 x input + output) / 4 US$ per million tokens (a 3:1 input:output mix).
``--check`` exits 1 if models.csv differs from what this script would write (nothing written).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "function" / "ai_impact" / "data" / "models.csv"
HERE = Path(__file__).resolve().parent
# MoE active share assumed when only one of total / active is known: EcoLogits' rule for
# proprietary models since 0.9 (active = 10-30 % of total), midpoint 20 %.
ACTIVE_SHARE = (0.1, 0.2, 0.3)
INPUT_WEIGHT = 3.0
LEGACY_RANGE_FACTOR = 2.0
# A range written in a row's size evidence: "range 0.1-1.5 B", "range 14-60 B".
_STATED_RANGE = re.compile(r"(?:range )?([\d.]+)-([\d.]+) ?(B|M)\b(?= range|,|;|\)|$| with| \()")
# Rows whose size is that of another model (size_method same-as; evidence in the row).
SAME_AS = {
    "gpt_4o_realtime": "gpt_4o",
    "gpt_4o_mini_realtime": "gpt_4o_mini",
    "gemini_25_flash_tts": "gemini_25_flash",
    "gemini_25_pro_tts": "gemini_25_pro",
    "codex_mini": "o4_mini",
    "computer_use_preview": "gpt_4o",
    "gemini_25_flash_image": "gemini_25_flash",
    "gemini_3_pro_image": "gemini_3_pro_preview",
}


def blended(row: dict) -> float:
    return (INPUT_WEIGHT * float(row["input_usd_per_mtok"]) + float(row["output_usd_per_mtok"])) / (
        INPUT_WEIGHT + 1
    )


def fit(references: list[dict]) -> tuple[float, float, float, list[tuple[str, float, float]]]:
    """(intercept, slope, leave-one-out RMS error of ln(active), per-model LOO predictions)."""
    xs = [math.log(blended(r)) for r in references]
    ys = [math.log(float(r["active_params_billions"])) for r in references]

    def line(x: list[float], y: list[float]) -> tuple[float, float]:
        mx, my = sum(x) / len(x), sum(y) / len(y)
        sxx = sum((a - mx) ** 2 for a in x)
        slope = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True)) / sxx
        return my - slope * mx, slope

    intercept, slope = line(xs, ys)
    loo, squares = [], 0.0
    for i, ref in enumerate(references):
        a, b = line(xs[:i] + xs[i + 1 :], ys[:i] + ys[i + 1 :])
        predicted = math.exp(a + b * xs[i])
        loo.append((ref["model_id"], float(ref["active_params_billions"]), predicted))
        squares += (a + b * xs[i] - ys[i]) ** 2
    return intercept, slope, math.sqrt(squares / len(references)), loo


def _num(value: float) -> str:
    return f"{value:.4g}"


def closed_sizes(prices: list[dict], intercept: float, slope: float, error: float) -> dict:
    """model_id -> size columns for every closed row of prices.csv."""
    factor = math.exp(error)
    out = {}
    for row in prices:
        if row["role"] != "closed":
            continue
        price = blended(row)
        fitted = math.exp(intercept + slope * math.log(price))
        low, high, point = fitted / factor, fitted * factor, fitted
        evidence = (
            f"price fit: blended ${price:.3g}/Mtok -> {fitted:.3g} B active "
            f"(fit error x{factor:.2f})"
        )
        if row["ecologits_active_low_billions"]:
            e_low = float(row["ecologits_active_low_billions"])
            e_high = float(row["ecologits_active_high_billions"])
            point = math.sqrt(fitted * math.sqrt(e_low * e_high))
            low, high = min(low, e_low), max(high, e_high)
            evidence += f"; EcoLogits {e_low:g}-{e_high:g} B active; point = geometric mean"
        out[row["model_id"]] = {
            "point": point,
            "low": low,
            "high": high,
            "ecologits_total": float(row["ecologits_total_billions"] or "nan"),
            "evidence": evidence,
            "source": row["source"],
        }
    return out


def apply_size(row: dict, size: dict) -> None:
    """Fill the size columns of a closed row: active from the fit; total = active for dense
    rows, else active / 20 % (range active / 30 %..10 %), in geometric mean with EcoLogits'
    total when it has one (the range then includes it)."""
    point, low, high = size["point"], size["low"], size["high"]
    row["active_params_billions"] = _num(point)
    row["active_params_low_billions"] = _num(low)
    row["active_params_high_billions"] = _num(high)
    if row["architecture"] == "moe":
        from_active = point / ACTIVE_SHARE[1]
        eco_total = size["ecologits_total"]
        total = math.sqrt(eco_total * from_active) if math.isfinite(eco_total) else from_active
        total_low = min(low / ACTIVE_SHARE[2], total)
        total_high = max(high / ACTIVE_SHARE[0], total)
        total_note = "; total = active / 20 % (MoE share 10-30 %, EcoLogits' rule)"
        if math.isfinite(eco_total):
            total_low, total_high = min(total_low, eco_total), max(total_high, eco_total)
            total_note += f", geometric mean with EcoLogits' total {eco_total:g} B"
    else:
        total, total_low, total_high, total_note = point, low, high, "; dense: total = active"
    row["total_params_billions"] = _num(total)
    row["total_params_low_billions"] = _num(total_low)
    row["total_params_high_billions"] = _num(total_high)
    row["size_method"] = "price-fit" + ("+ecologits" if "EcoLogits" in size["evidence"] else "")
    row["size_evidence"] = size["evidence"] + total_note
    row["params_is_estimate"] = "yes"
    if size["source"] not in (row["source"] or ""):
        row["source"] = (
            f"{row['source']} | size: {size['source']}" if row["source"] else size["source"]
        )


def _key(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def _claim_names(rows: list[dict], add: dict) -> None:
    """An added row is more specific than an older row naming it by alias (``deepseek-v3.1``
    was an alias of DeepSeek V3): the older row drops that alias. A name that is another row's
    id or Hugging Face path is dropped from the added row instead."""
    mine = {_key(a) for a in add["aliases"].split("|") if a} | (
        {_key(add["hugging_face_path"])} if add["hugging_face_path"] else set()
    )
    for row in rows:
        if row["model_id"] == add["model_id"]:
            continue
        fixed = {_key(row["model_id"]), _key(row["hugging_face_path"] or "")}
        taken = mine & fixed
        if taken:
            add["aliases"] = "|".join(a for a in add["aliases"].split("|") if _key(a) not in taken)
            if _key(add["hugging_face_path"]) in taken:
                add["hugging_face_path"] = ""
        aliases = [a for a in (row["aliases"] or "").split("|") if a]
        kept = [a for a in aliases if _key(a) not in mine]
        if len(kept) != len(aliases):
            row["aliases"] = "|".join(kept)


def apply_architectures(by_id: dict[str, dict]) -> None:
    """Set ``kv_layer_fraction`` and ``recurrent_state_gb`` from architectures.csv, with the
    derivation in the notes and its source in the source column (each added once)."""
    with (HERE / "architectures.csv").open(newline="", encoding="utf-8") as handle:
        for arch in csv.DictReader(handle):
            row = by_id[arch["model_id"]]
            row["kv_layer_fraction"] = arch["kv_layer_fraction"]
            row["recurrent_state_gb"] = arch["recurrent_state_gb"]
            for column, text in (
                ("notes", f"hybrid layers: {arch['derivation']}; state {arch['state_dtype']}"),
                ("source", f"hybrid layers: {arch['source']}"),
            ):
                if text not in row[column]:
                    row[column] = f"{row[column]} | {text}" if row[column] else text


def build() -> tuple[str, list[str]]:
    with MODELS.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = list(reader)
    by_id = {r["model_id"]: r for r in rows}
    with (HERE / "additions.csv").open(newline="", encoding="utf-8") as handle:
        additions = list(csv.DictReader(handle))
    for add in additions:
        _claim_names(rows, add)
        row = by_id.get(add["model_id"])
        if row is None:
            row = dict.fromkeys(header, "")
            rows.append(row)
            by_id[add["model_id"]] = row
        for key, value in add.items():
            if value:
                row[key] = value
        row["params_is_estimate"] = "no" if add["size_method"] == "published" else "yes"
    with (HERE / "prices.csv").open(newline="", encoding="utf-8") as handle:
        prices = list(csv.DictReader(handle))
    references = [p for p in prices if p["role"] == "reference"]
    intercept, slope, error, loo = fit(references)
    report = [
        f"price fit over {len(references)} open models served by their developers: "
        f"ln(active B) = {intercept:.3f} + {slope:.3f} ln(blended $/Mtok); "
        f"leave-one-out RMS error {error:.3f} (a factor of {math.exp(error):.2f})",
        *(f"  {m:<22} true {t:8.3g} B  predicted {p:8.3g} B  ({p / t:5.2f}x)" for m, t, p in loo),
    ]
    sizes = closed_sizes(prices, intercept, slope, error)
    for model_id, size in sizes.items():
        published = by_id.get(model_id, {}).get("size_method") in ("published", "reported")
        if model_id in by_id and not published:
            apply_size(by_id[model_id], size)
        elif model_id not in by_id:
            report.append(f"  note: {model_id} priced but not in the catalog")
    for row in rows:
        # Same model served with audio: the size of the text model it is (size_method same-as).
        if row.get("size_method") == "same-as":
            base = by_id[SAME_AS[row["model_id"]]]
            for key in (
                "total_params_billions",
                "active_params_billions",
                "total_params_low_billions",
                "total_params_high_billions",
                "active_params_low_billions",
                "active_params_high_billions",
            ):
                row[key] = base[key]
        if (
            row["architecture"] == "moe"
            and row["total_params_billions"]
            and not row["active_params_billions"]
        ):
            total = float(row["total_params_billions"])
            row["active_params_billions"] = _num(total * ACTIVE_SHARE[1])
            row["active_params_low_billions"] = _num(total * ACTIVE_SHARE[0])
            row["active_params_high_billions"] = _num(total * ACTIVE_SHARE[2])
        stated = _STATED_RANGE.search(row.get("size_evidence") or "")
        if stated and not row["active_params_low_billions"]:
            # Analogue and reported rows state their range in the evidence ("range 2-24 B").
            scale = 0.001 if stated.group(3) == "M" else 1.0
            low, high = float(stated.group(1)) * scale, float(stated.group(2)) * scale
            for kind in ("total", "active"):
                row[f"{kind}_params_low_billions"] = _num(low)
                row[f"{kind}_params_high_billions"] = _num(high)
        for kind in ("total", "active"):
            point = row[f"{kind}_params_billions"]
            if row["params_is_estimate"] == "yes" and not row[f"{kind}_params_low_billions"]:
                # Published base model (sonar: Llama 3.3 70B) or a reported total: no spread.
                row[f"{kind}_params_low_billions"] = row[f"{kind}_params_high_billions"] = point
        if row["params_is_estimate"] == "yes" and not row["size_method"]:
            # Estimates kept from the earlier catalog (EcoLogits or the row's notes): labelled,
            # with a range of x/÷ LEGACY_RANGE_FACTOR around the point.
            row["size_method"] = "catalog-estimate"
            row["size_evidence"] = (
                f"estimate kept from the earlier catalog (see notes and source); range x/÷"
                f"{LEGACY_RANGE_FACTOR:g} assumed"
            )
            for kind in ("total", "active"):
                point = float(row[f"{kind}_params_billions"])
                row[f"{kind}_params_low_billions"] = _num(point / LEGACY_RANGE_FACTOR)
                row[f"{kind}_params_high_billions"] = _num(point * LEGACY_RANGE_FACTOR)
    apply_architectures(by_id)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue(), report


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    text, report = build()
    print("\n".join(report))
    if args.check:
        same = MODELS.read_text(encoding="utf-8") == text
        print("models.csv is up to date" if same else "models.csv differs: run the script")
        return 0 if same else 1
    MODELS.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
