"""The HTML report: self-contained, and checked in a real headless Chromium (Debian packages,
installed by scripts/setup_chromium.py when missing; the test fails if they cannot be)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ai_impact import cli
from ai_impact import io as aio
from ai_impact.io import report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "docs" / "samples"


def test_report_has_every_chart_and_table_and_needs_no_network(tmp_path):
    html = tmp_path / "r.html"
    # Samples of one format per run (--from would not fit them all): the litellm sample spans
    # three days, several models and providers, and one error row.
    code = cli.main(
        ["estimate", str(SAMPLES / "litellm_spend_logs.csv"), "--report", str(html), "-q"]
    )
    assert code == 0
    text = html.read_text()
    for chart in ("per_day", "per_model", "per_provider"):
        assert f'id="chart-{chart}"' in text
    assert text.count("<svg") == 3
    assert "<script" not in text  # nothing to run, nothing to fetch
    assert not re.search(r"""(src|href)=["']?https?:""", text)
    assert "@import" not in text and not re.search(r"url\((?!#)", text)  # only in-page ids
    assert "id=errors" in text and "unknown_model" in text
    methodology = ROOT / "docs" / "methodology.md"  # this clone's: a link that leads somewhere
    assert f'href="{methodology.as_uri()}"' in text and methodology.is_file()
    assert "id=confidence" in text  # the slot for confidence tiers and ranges
    assert "rows<b>8</b>" in text


def test_png_charts(tmp_path):
    summary = aio.run([str(SAMPLES / "otel_spans.jsonl")])
    paths = report.write_png(summary, str(tmp_path / "png"))
    assert sorted(p.name for p in paths) == ["per_day.png", "per_model.png", "per_provider.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 5000


def test_no_rows_still_makes_a_report(tmp_path):
    source = tmp_path / "empty.csv"
    source.write_text("model_id,output_tokens\n")
    html = tmp_path / "r.html"
    assert cli.main(["estimate", str(source), "--report", str(html), "-q"]) == 0
    assert "nothing to chart" in html.read_text()


def _browser():
    found = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "setup_chromium.py")],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0, found.stderr or found.stdout  # fails loudly, never skips
    browser, driver = found.stdout.strip().removeprefix("chromium: ").split(", chromedriver: ")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    # Any request leaving the page would fail: the page must need none.
    options.add_argument("--proxy-server=http://127.0.0.1:9")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_ranges_report_shows_tiers_error_bars_and_bands(tmp_path):
    html = tmp_path / "r.html"
    sample = str(SAMPLES / "scope3_rows.csv")  # calibrated, extrapolated and assumed rows
    assert cli.main(["estimate", sample, "--ranges", "--report", str(html), "-q"]) == 0
    text = html.read_text()
    assert text.count("<svg") == 4 and 'id="chart-per_tier"' in text
    assert "id=tiers" in text
    for tier in ("calibrated", "extrapolated", "assumed"):
        assert f"<tr><td>{tier}</td>" in text
    assert "emissions range (10-90%, summed)" in text  # the band of the per-day chart
    summary = aio.run([sample], ranges=True)
    assert sum(v[0] for v in summary.tiers.values()) == summary.rows - summary.error_rows
    low_e, high_e, low_c, high_c = summary.overall_bounds
    total = summary.totals()
    assert low_e < total["total_usage_energy_wh"] < high_e
    assert low_c < total["total_usage_emissions_gco2e"] < high_c
    for key, (lo_e, hi_e, lo_c, hi_c) in summary.bounds["model"].items():
        point = summary.groups["model"][key]
        assert lo_e <= point[2] <= hi_e and lo_c <= point[3] <= hi_c, key


@pytest.mark.parametrize("ranges", [False, True])
def test_report_in_headless_chromium(tmp_path, ranges):
    html = tmp_path / "report.html"
    sample = str(SAMPLES / "litellm_spend_logs.csv")
    code = cli.main(
        ["estimate", sample, "--report", str(html), "-q", *(["--ranges"] if ranges else [])]
    )
    assert code == 0
    driver = _browser()
    try:
        driver.get(html.as_uri())
        assert driver.execute_script("return document.readyState") == "complete"
        charts = driver.execute_script(
            """return Array.from(document.querySelectorAll('figure.chart')).map(f => {
                 const svg = f.querySelector('svg'); const box = svg.getBoundingClientRect();
                 return {id: f.id, width: box.width, height: box.height,
                         marks: svg.querySelectorAll('path, use, rect').length};
               });"""
        )
        assert [c["id"] for c in charts] == [
            "chart-per_day",
            "chart-per_model",
            "chart-per_provider",
            *(["chart-per_tier"] if ranges else []),
        ]
        for chart in charts:
            assert chart["width"] > 200 and chart["height"] > 100, chart
            assert chart["marks"] > 10, chart  # bars, axes and ticks were drawn
        failed = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert failed == []  # no resource fetched at all
        logs = driver.get_log("browser")
        assert [e for e in logs if e["level"] in ("SEVERE", "WARNING")] == []
    finally:
        driver.quit()


def test_the_readme_command_runs(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    command = next(
        line for line in readme.splitlines() if line.startswith("ai-impact estimate docs/")
    )
    args = command.split()[1:]
    assert args[:2] == ["estimate", "docs/samples/litellm_spend_logs.csv"]
    monkeypatch.chdir(ROOT)
    args[1] = str(ROOT / args[1])
    args[args.index("-o") + 1] = str(tmp_path / "impacts.csv")
    args[args.index("--report") + 1] = str(tmp_path / "report.html")
    assert cli.main([*args, "-q"]) == 0
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert (tmp_path / "impacts.csv").read_text().count("\n") == 9
