"""The run's report: one self-contained HTML file (charts as inline SVG), and PNG charts.

Charts are drawn with matplotlib: a long-maintained library (NumFOCUS) whose SVG output needs
no script and no network to display, so the HTML file is complete by itself and small (a few
hundred kB, where an interactive library would inline megabytes of JavaScript), and whose PNG
output needs no browser (``--png``). Charts: energy and emissions per day, per model, per
provider; the errors table; the methodology. Two slots wait for the confidence and ranges
columns (share of rows by confidence tier, ranges as error bars): shown when the summary has
them.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path

from ai_impact.io.summary import UNKNOWN, Summary

METHODOLOGY = "docs/methodology.md"
ENERGY, EMISSIONS = "total_usage_energy_wh", "total_usage_emissions_gco2e"
_COLOURS = ("#2a6f97", "#c8553d")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "figure.dpi": 100, "font.size": 9})
    return plt


def charts(summary: Summary, top: int = 10) -> dict[str, object]:
    """{name: matplotlib Figure} of the charts that have data."""
    plt = _pyplot()
    figures: dict[str, object] = {}
    days = sorted((k, v) for k, v in summary.groups["day"].items() if k != UNKNOWN)
    if days:
        fig, ax = plt.subplots(figsize=(8, 3.2))
        labels = [d for d, _ in days]
        x = [dt.date.fromisoformat(d) for d in labels]
        energy = [v[2] / 1000 for _, v in days]
        emissions = [v[3] / 1000 for _, v in days]
        ax.bar(x, energy, color=_COLOURS[0], label="energy (kWh)")
        ax.set_ylabel("energy, kWh")
        other = ax.twinx()
        other.plot(x, emissions, color=_COLOURS[1], marker="o", label="emissions (kgCO2e)")
        other.set_ylabel("emissions, kgCO2e")
        other.set_ylim(bottom=0)
        ax.set_title("Energy and emissions per day (estimates, total impact)")
        fig.autofmt_xdate()
        fig.legend(loc="upper left", bbox_to_anchor=(0.08, 0.88), fontsize=8)
        fig.tight_layout()
        figures["per_day"] = fig
    for group, title in (("model", "per model"), ("provider", "per provider")):
        items = summary.top(group, top, by=EMISSIONS)
        if not items:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(8, 0.35 * len(items) + 1.2), sharey=True)
        names = [k if len(k) <= 28 else k[:27] + "…" for k, _ in items][::-1]
        for ax, field, unit, colour in (
            (axes[0], ENERGY, "energy, kWh", _COLOURS[0]),
            (axes[1], EMISSIONS, "emissions, kgCO2e", _COLOURS[1]),
        ):
            ax.barh(names, [v[field] / 1000 for _, v in items][::-1], color=colour)
            ax.set_xlabel(unit)
        fig.suptitle(f"Energy and emissions {title}, top {len(items)} by emissions")
        fig.tight_layout()
        figures[f"per_{group}"] = fig
    return figures


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def write_png(summary: Summary, folder: str, top: int = 10) -> list[Path]:
    """Each chart as ``folder/<name>.png``; returns the paths."""
    plt = _pyplot()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fig in charts(summary, top).items():
        path = out / f"{name}.png"
        fig.savefig(path, format="png", dpi=120, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def render_html(summary: Summary, top: int = 10, title: str = "AI impact report") -> str:
    """The report as one HTML document (no external resource of any kind)."""
    plt = _pyplot()
    t = summary.totals()
    sections = []
    for name, fig in charts(summary, top).items():
        sections.append(f'<figure class="chart" id="chart-{name}">{_svg(fig)}</figure>')
        plt.close(fig)
    if not sections:
        sections.append("<p>No estimated rows: nothing to chart.</p>")
    errors = "".join(
        f"<tr><td>{html.escape(str(code))}</td><td class=n>{count:,}</td>"
        f"<td>{html.escape(str(message or ''))}</td></tr>"
        for code, (count, message) in sorted(summary.errors.items(), key=lambda kv: -kv[1][0])
    )
    errors_table = (
        "<table id=errors><tr><th>code</th><th>rows</th><th>example message</th></tr>"
        f"{errors}</table>"
        if errors
        else "<p id=errors>No row errors.</p>"
    )
    groups = "".join(_group_table(summary, g, top) for g in ("model", "provider"))
    rows, failed = summary.rows, summary.error_rows
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}} h1{{font-size:1.5rem}} h2{{font-size:1.15rem;margin-top:2rem}}
.totals{{display:flex;flex-wrap:wrap;gap:1rem}} .totals div{{background:#f3f5f7;
padding:.6rem 1rem;border-radius:.4rem}} .totals b{{display:block;font-size:1.2rem}}
table{{border-collapse:collapse;margin:.5rem 0}} td,th{{border-bottom:1px solid #ddd;
padding:.25rem .6rem;text-align:left}} td.n{{text-align:right}}
figure.chart{{margin:1rem 0}} figure.chart svg{{max-width:100%;height:auto}}
.note{{color:#555;font-size:.9rem}}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p class=note>Estimates of the energy, emissions and water of each logged AI request
(total impact: inference plus amortised training and fine-tuning shares).</p>
<div class=totals>
<div>rows<b>{rows:,}</b></div><div>estimated<b>{rows - failed:,}</b></div>
<div>errors<b>{failed:,}</b></div>
<div>energy<b>{t[ENERGY] / 1000:,.4g} kWh</b></div>
<div>emissions<b>{t[EMISSIONS] / 1000:,.4g} kgCO2e</b></div>
<div>water<b>{t["total_usage_water_ml"] / 1000:,.4g} L</b></div>
<div>embodied<b>{t["total_embodied_emissions_gco2e"] / 1000:,.4g} kgCO2e</b></div>
</div>
<h2>Charts</h2>
{"".join(sections)}
<section id=confidence><h2>Confidence and ranges</h2>
<p class=note>Share of rows by confidence tier and low–high ranges appear here when the
estimates carry them (ranges and confidence columns).</p></section>
<h2>Top {top}</h2>{groups}
<h2>Errors</h2>{errors_table}
<h2>Methodology</h2>
<p>Per request: the model's energy for its tokens, images or audio on its GPU share, plus host
and idle power, times the data centre's PUE, times the grid's carbon intensity (location-based)
for emissions; water from on-site WUE and off-site electricity water intensity; embodied
impacts amortised over hardware life. Every coefficient and its source:
<a href="{METHODOLOGY}">{METHODOLOGY}</a> in the ai-impact repository.</p>
</body></html>
"""


def _group_table(summary: Summary, group: str, top: int) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(key)}</td><td class=n>{int(v['rows']):,}</td>"
        f"<td class=n>{int(v['errors']):,}</td><td class=n>{v[ENERGY] / 1000:,.4g}</td>"
        f"<td class=n>{v[EMISSIONS] / 1000:,.4g}</td>"
        f"<td class=n>{v['total_usage_water_ml'] / 1000:,.4g}</td></tr>"
        for key, v in summary.top(group, top)
    )
    return (
        f"<h3>by {group}</h3><table class=group id=top-{group}><tr><th>{group}</th><th>rows</th>"
        "<th>errors</th><th>energy kWh</th><th>kgCO2e</th><th>water L</th></tr>"
        f"{rows}</table>"
    )


def write_html(summary: Summary, path: str, top: int = 10) -> Path:
    """Write the report to ``path`` (a temporary file renamed when complete)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(render_html(summary, top), encoding="utf-8")
    tmp.replace(target)
    return target
