"""The run's report: one self-contained HTML file (charts as inline SVG), and PNG charts.

Charts are drawn with matplotlib: a long-maintained library (NumFOCUS) whose SVG output needs
no script and no network to display, so the HTML file is complete by itself and small (a few
hundred kB, where an interactive library would inline megabytes of JavaScript), and whose PNG
output needs no browser (``--png``). Charts: energy and emissions per day, per model, per
provider; with ``--ranges``, the share of rows (and of emissions) by confidence tier, the
ranges as error bars (per model, per provider) and as a band (per day); the errors table; the
methodology.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from ai_impact.confidence import TIERS
from ai_impact.io.summary import UNKNOWN, Summary

METHODOLOGY = "docs/methodology.md"
ENERGY, EMISSIONS = "total_usage_energy_wh", "total_usage_emissions_gco2e"
_COLOURS = ("#2a6f97", "#c8553d")
_TIER_COLOURS = {"calibrated": "#3a7d44", "extrapolated": "#e0a526", "assumed": "#b5b5b5"}
_ENERGY_UNITS = ("Wh", "kWh", "MWh", "GWh")
_CO2_UNITS = ("gCO2e", "kgCO2e", "tCO2e", "ktCO2e")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "figure.dpi": 100, "font.size": 9})
    return plt


def charts(summary: Summary, top: int = 10) -> dict[str, Any]:
    """{name: matplotlib Figure} of the charts that have data."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    figures: dict[str, object] = {}
    days = sorted((k, v) for k, v in summary.groups["day"].items() if k != UNKNOWN)
    if days:
        import matplotlib.dates as mdates

        fig, ax = plt.subplots(figsize=(8, 3.4))
        x = [dt.date.fromisoformat(d) for d, _ in days]
        e_scale, e_unit = _scale([v[2] for _, v in days], _ENERGY_UNITS)
        c_scale, c_unit = _scale([v[3] for _, v in days], _CO2_UNITS)
        bars = ax.bar(x, [v[2] / e_scale for _, v in days], width=0.8, color=_COLOURS[0])
        ax.set_ylabel(f"energy, {e_unit}")
        other = ax.twinx()
        (line,) = other.plot(x, [v[3] / c_scale for _, v in days], color=_COLOURS[1], marker="o")
        handles, labels = [bars, line], [f"energy ({e_unit})", f"emissions ({c_unit})"]
        if summary.ranged:  # the band between the sums of the rows' low and high ends
            bounds = [summary.bounds["day"][d] for d, _ in days]
            band = other.fill_between(
                x,
                [b[2] / c_scale for b in bounds],
                [b[3] / c_scale for b in bounds],
                color=_COLOURS[1],
                alpha=0.2,
                linewidth=0,
            )
            handles.append(band)
            labels.append("emissions range (10-90%, summed)")
        other.set_ylabel(f"emissions, {c_unit}")
        other.set_ylim(bottom=0)
        locator = mdates.AutoDateLocator(maxticks=10)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.set_title("Energy and emissions per day (estimates, total impact)")
        fig.legend(handles, labels, loc="lower center", ncol=len(handles), frameon=False)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        figures["per_day"] = fig
    for group, title in (("model", "per model"), ("provider", "per provider")):
        items = summary.top(group, top, by=EMISSIONS)
        if not items:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(8, 0.35 * len(items) + 1.2), sharey=True)
        names = [k if len(k) <= 28 else k[:27] + "…" for k, _ in items][::-1]
        for ax, field, units, colour in (
            (axes[0], ENERGY, _ENERGY_UNITS, _COLOURS[0]),
            (axes[1], EMISSIONS, _CO2_UNITS, _COLOURS[1]),
        ):
            scale, unit = _scale([v[field] for _, v in items], units)
            points = np.array([v[field] / scale for _, v in items][::-1])
            error = None
            if summary.ranged:  # error bars: the sums of the rows' low and high ends
                k = 0 if field == ENERGY else 2
                ends = np.array([summary.bounds[group][key][k : k + 2] for key, _ in items][::-1])
                ends = ends / scale
                error = np.clip([points - ends[:, 0], ends[:, 1] - points], 0.0, None)
            ax.barh(names, points, color=colour, xerr=error, ecolor="#333", capsize=2)
            ax.set_xlabel(f"{'energy' if field == ENERGY else 'emissions'}, {unit}")
            ax.xaxis.set_major_locator(MaxNLocator(4))
        fig.suptitle(f"Energy and emissions {title}, top {len(items)} by emissions")
        fig.tight_layout()
        figures[f"per_{group}"] = fig
    if summary.tiers:
        figures["per_tier"] = _tier_chart(plt, summary)
    return figures


def _tier_chart(plt: Any, summary: Summary) -> Any:
    """Share of the estimated rows, and of their emissions, by confidence tier."""
    fig, ax = plt.subplots(figsize=(8, 2.4))
    measures = ("rows", "emissions")
    totals = [sum(v[i] for v in summary.tiers.values()) for i in (0, 2)]
    left = np.zeros(2)
    for tier in TIERS:
        if tier not in summary.tiers:
            continue
        v = summary.tiers[tier]
        share = np.array([v[0] / max(totals[0], 1e-300), v[2] / max(totals[1], 1e-300)])
        ax.barh(measures, share * 100, left=left, color=_TIER_COLOURS[tier], label=tier)
        left += share * 100
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of estimated rows / of their emissions")
    ax.set_title("Share by confidence tier")
    fig.legend(loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    return fig


def _scale(values: list[float], units: tuple[str, ...]) -> tuple[float, str]:
    """Divisor and unit (steps of 1000) that keep the largest value readable."""
    largest = max((abs(v) for v in values), default=0.0)
    k = 0
    while k + 1 < len(units) and largest >= 1000.0 ** (k + 1):
        k += 1
    return 1000.0**k, units[k]


def _amount(value: float, units: tuple[str, ...]) -> str:
    scale, unit = _scale([value], units)
    return f"{value / scale:,.4g} {unit}"


def _svg(fig: Any) -> str:
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
<div>rows<b>{rows:,}</b></div><div>estimated<b>{summary.estimated_rows:,}</b></div>
<div>errors<b>{failed:,}</b></div>
<div>energy<b>{_amount(t[ENERGY], _ENERGY_UNITS)}</b></div>
<div>emissions<b>{_amount(t[EMISSIONS], _CO2_UNITS)}</b></div>
<div>water<b>{_amount(t["total_usage_water_ml"], ("mL", "L", "m³", "ML"))}</b></div>
<div>embodied<b>{_amount(t["total_embodied_emissions_gco2e"], _CO2_UNITS)}</b></div>
</div>
<h2>Charts</h2>
{"".join(sections)}
<section id=confidence><h2>Confidence and ranges</h2>{_confidence(summary)}</section>
<h2>Top {top}</h2>{groups}
<h2>Errors</h2>{errors_table}
<h2>Methodology</h2>
<p>Per request: the model's energy for its tokens, images or audio on its GPU share, plus host
and idle power, times the data centre's PUE, times the grid's carbon intensity (location-based)
for emissions; water from on-site WUE and off-site electricity water intensity; embodied
impacts amortised over hardware life. Every coefficient and its source:
{methodology_link()}.</p>
</body></html>
"""


def _confidence(summary: Summary) -> str:
    """The confidence tiers and the range of the totals, or how to get them."""
    if not summary.ranged:
        return (
            "<p class=note>Run <code>ai-impact estimate --ranges</code> for each row's low and "
            "high (10-90%) and its confidence tier: shown here, and as error bars and bands "
            "on the charts.</p>"
        )
    low_e, high_e, low_c, high_c = summary.overall_bounds.tolist()
    estimated = max(sum(int(v[0]) for v in summary.tiers.values()), 1)
    rows = "".join(
        f"<tr><td>{tier}</td><td class=n>{int(v[0]):,}</td><td class=n>{v[0] / estimated:.0%}"
        f"</td><td class=n>{_amount(v[2], _CO2_UNITS)}</td></tr>"
        for tier in TIERS
        if (v := summary.tiers.get(tier)) is not None
    )
    return (
        f"<p>Energy {_amount(low_e, _ENERGY_UNITS)} to {_amount(high_e, _ENERGY_UNITS)}, "
        f"emissions {_amount(low_c, _CO2_UNITS)} to {_amount(high_c, _CO2_UNITS)}: the sums "
        "of the rows' low and high ends (each row's 10-90% interval). An envelope: wider than "
        "the interval of the total, the rows' errors being partly independent.</p>"
        "<table id=tiers><tr><th>confidence tier</th><th>rows</th><th>share</th>"
        f"<th>emissions</th></tr>{rows}</table>"
        "<p class=note>calibrated: model family and GPU inside the measured configurations; "
        "extrapolated: outside them; assumed: a guess carries the result (a closed model's "
        f"size, a serving profile, default hardware). Methodology: "
        f"{methodology_link('section 15')}.</p>"
    )


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


def methodology_link(section: str = "") -> str:
    """The methodology, as HTML: a link to this installation's ``docs/methodology.md`` when it
    has one (a clone, an editable install: a ``file:`` URI, which works wherever the report is
    read on this machine), else its name as text (a report must hold no link that leads
    nowhere: a relative link works only beside the repository)."""
    found = Path(__file__).resolve().parents[3] / METHODOLOGY
    label = f"{METHODOLOGY}{', ' + section if section else ''}"
    if found.is_file():
        return f'<a href="{html.escape(found.as_uri())}">{html.escape(label)}</a>'
    return f"<code>{html.escape(label)}</code> in the ai-impact repository"


def check_destinations(report: str | None, png: str | None) -> None:
    """Raise ``ValueError`` (one line) when the report or the PNG folder cannot be written,
    before any work: a run must not estimate a large file to fail at its end."""
    if report is not None:
        target = Path(report)
        if target.is_dir():
            raise ValueError(f"--report {report}: is a folder, not a file")
        if not target.parent.is_dir():
            raise ValueError(f"--report {report}: the folder {target.parent} does not exist")
    if png is not None:
        folder = Path(png)
        if folder.exists() and not folder.is_dir():
            raise ValueError(f"--png {png}: is a file, not a folder")
        if not folder.exists() and not folder.parent.is_dir():
            raise ValueError(f"--png {png}: the folder {folder.parent} does not exist")


def write_html(summary: Summary, path: str, top: int = 10) -> Path:
    """Write the report to ``path`` (a temporary file renamed when complete)."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        tmp.write_text(render_html(summary, top), encoding="utf-8")
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
