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


def _readme_try_it() -> tuple[bytes, list]:
    """README's "Try it" request (the curl's body) and its printed reply, ``...`` elided."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Try it") :]
    body = re.search(r"-d '(\{.*?\})'\n```", section, re.S)
    reply = re.search(r"```json\n(\{\"replies\".*?)```", section, re.S)
    assert body and reply, "README's Try it section changed shape"
    printed = reply[1].replace("{...zeros...}", "{}").replace(",...}", "}").replace(",...,", ",")
    return body[1].encode(), json.loads(printed)["replies"]


def _matches(printed: object, got: object, where: str) -> None:
    if isinstance(printed, dict):
        for key, value in printed.items():
            _matches(value, got[key], f"{where}.{key}")  # type: ignore[index]
    elif isinstance(printed, float):
        assert got == pytest.approx(printed, rel=5e-4, abs=5e-5), where
    elif isinstance(printed, str) and printed.endswith("..."):
        assert isinstance(got, str) and got.startswith(printed[:-3]), where
    else:
        assert got == printed, where


def test_readme_try_it_reply_is_what_the_door_answers() -> None:
    """The figures README prints for its first request are the BigQuery door's answer to it
    (rounded as printed): they went stale once, unseen."""
    from ai_impact import bigquery

    body, printed = _readme_try_it()
    outcome = bigquery.handle(body, lambda project: ai_impact.estimate)
    assert outcome.status == 200
    replies = json.loads(outcome.body)["replies"]
    assert len(replies) == len(printed)
    for i, (want, got) in enumerate(zip(printed, replies, strict=True)):
        _matches(want, got, f"reply {i}")


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_methodology_sections_are_numbered_once_and_linked_anchors_exist() -> None:
    """Replies link methodology sections by anchor (``confidence.method``); "section 13" must
    name one section (ranges once shared 13 with model resolution)."""
    from ai_impact import confidence

    text = (ROOT / "docs" / "methodology.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,3} (.+)$", text, re.M)
    numbers = [h.split()[0] for h in headings if re.match(r"\d+[a-z]?(\.\d+)?\.? ", h)]
    assert len(numbers) == len(set(numbers)), sorted(n for n in numbers if numbers.count(n) > 1)
    anchors = {"#" + _slug(h) for h in headings}
    linked = {*confidence._METHOD_ANCHORS.values(), confidence._RANGES_ANCHOR}
    assert linked <= anchors, linked - anchors
