"""The documentation's worked example is what the code computes."""

import json
import re
from pathlib import Path

import pytest

import ai_impact
from ai_impact import fields

ROOT = Path(__file__).resolve().parents[1]


def test_methodology_worked_example_matches_the_code() -> None:
    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    block = re.search(r"```json worked-example\n(.*?)```", text, re.S)
    assert block, "worked example block missing from docs/methodology.md"
    example = json.loads(block[1])
    (out,) = ai_impact.estimate([example["row"]], debug=True)
    assert out["error"] is None
    debug = out["debug"]
    got = {
        **debug["energy_breakdown"],
        "busy_time_s": debug["assumptions"]["busy_time_s"],
        **{k: out["inference_impact"][k] for k in out["inference_impact"]},
        "training_usage_energy_wh": out["training_impact"]["usage_energy_wh"],
    }
    for key, expected in example["expected"].items():
        assert got[key] == pytest.approx(expected, rel=2e-3), key


def test_api_md_lists_the_row_fields_of_the_field_table() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = fields.markdown_table()
    assert table in text, "regenerate with ai_impact.fields.write_docs('docs/api.md')"
    for f in fields.ROW_FIELDS:
        assert f"| `{f.name}` |" in table
