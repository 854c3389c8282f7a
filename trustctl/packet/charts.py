"""The packet's charts as SVG: readiness by requirement status, the coverage timeline of every control,
and a one-line strip per control (drawn directly: dozens of them, each a few rectangles)."""

from __future__ import annotations

from itertools import groupby
from xml.sax.saxutils import escape

from trustctl.frameworks.readiness import STATUSES, Readiness
from trustctl.packet.period import Coverage, Period
from trustctl.render.charts import figure_to_svg, new_figure

DAY_COLORS = {
    "pass": "#2e7d32",
    "fail": "#c62828",
    "error": "#ef6c00",
    "not_applicable": "#9e9e9e",
    "none": "#e6e6e6",
}
STATUS_COLORS = {
    "met": "#2e7d32",
    "partial": "#f9a825",
    "not_met": "#c62828",
    "needs_document": "#0277bd",
    "no_evidence": "#757575",
    "error": "#ef6c00",
    "not_applicable": "#bdbdbd",
}


def readiness_chart(readiness: Readiness) -> str:
    """Requirements per status, one horizontal bar each, counts written on the bars."""
    statuses = [s for s in STATUSES if readiness.counts.get(s)] or ["met"]
    counts = [readiness.counts.get(s, 0) for s in statuses]
    fig, ax = new_figure(6.2, 0.35 * len(statuses) + 0.6)
    bars = ax.barh(statuses, counts, color=[STATUS_COLORS[s] for s in statuses], height=0.6)
    ax.invert_yaxis()
    ax.bar_label(bars, padding=3)
    ax.set_xlabel(f"requirements in scope ({len(readiness.requirements)})")
    ax.set_xlim(0, max(counts) * 1.15 + 1)
    return figure_to_svg(fig)


def _segments(daily: list[str]) -> list[tuple[int, int, str]]:
    """(first day, length, status) of each run of equal days."""
    out, position = [], 0
    for status, group in groupby(daily):
        length = len(list(group))
        out.append((position, length, status))
        position += length
    return out


def coverage_timeline(period: Period, coverage: list[Coverage]) -> str:
    """Every control over the period: a bar per day, coloured by its status (grey: not evidenced)."""
    rows = list(reversed(coverage))
    fig, ax = new_figure(6.6, 0.2 * len(rows) + 0.9)
    for y, c in enumerate(rows):
        for status in DAY_COLORS:
            bars = [(start, length) for start, length, s in _segments(c.daily) if s == status]
            if bars:
                ax.broken_barh(bars, (y - 0.38, 0.76), color=DAY_COLORS[status], linewidth=0)
    ax.set_yticks(range(len(rows)), [c.control for c in rows], fontsize=7)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(0, period.days)
    dates = period.dates()
    step = max(1, period.days // 6)
    ticks = list(range(0, period.days, step))
    ax.set_xticks([t + 0.5 for t in ticks], [dates[t].strftime("%Y-%m-%d") for t in ticks], fontsize=7)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    handles = [
        ax.bar(0, 0, color=color, label=label.replace("_", " "))
        for label, color in (
            ("pass", DAY_COLORS["pass"]),
            ("fail", DAY_COLORS["fail"]),
            ("error", DAY_COLORS["error"]),
            ("not applicable", DAY_COLORS["not_applicable"]),
            ("not evidenced", DAY_COLORS["none"]),
        )
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08 - 1.2 / (len(rows) + 6)),
        ncol=5,
        fontsize=7,
        frameon=False,
    )
    return figure_to_svg(fig)


def strip(daily: list[str], width: int = 150, height: int = 10) -> str:
    """A control's days as one inline strip (SVG), for the coverage table."""
    days = max(len(daily), 1)
    rects = [
        f'<rect x="{start * width / days:.2f}" y="0" width="{length * width / days:.2f}" '
        f'height="{height}" fill="{DAY_COLORS.get(status, DAY_COLORS["none"])}"/>'
        for start, length, status in _segments(daily)
    ]
    label = escape(", ".join(f"{n} {s}" for s, n in sorted({s: daily.count(s) for s in daily}.items())))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{label}</title>{"".join(rects)}</svg>'
    )
