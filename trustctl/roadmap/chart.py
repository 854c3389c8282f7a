"""The roadmap's charts as inline SVG: cost against expected revenue per step, and the cumulative
timeline (work, observation window, audit) of each step against the horizon."""

from __future__ import annotations

from trustctl.render.charts import figure_to_svg, new_figure
from trustctl.roadmap.model import Plan

COST = "#c0504d"
REVENUE = "#4f81bd"
WORK = "#8064a2"
WAIT = "#f79646"
AUDIT = "#9bbb59"


def _label(n: float) -> str:
    return f"{n / 1000:,.0f}k" if abs(n) >= 1000 else f"{n:,.0f}"


def value_chart(plan: Plan, currency: str) -> str:
    """Grouped bars: cost and expected revenue of each step, in order."""
    fig, ax = new_figure(7.0, 2.8)
    steps = plan.steps
    if not steps:
        ax.text(0.5, 0.5, "no step has a positive ROI", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return figure_to_svg(fig)
    xs = range(len(steps))
    width = 0.38
    costs = ax.bar([x - width / 2 for x in xs], [s.cost for s in steps], width, color=COST, label="cost")
    revenue = ax.bar(
        [x + width / 2 for x in xs], [s.expected_revenue for s in steps], width, color=REVENUE,
        label="expected revenue",
    )  # fmt: skip
    for bars in (costs, revenue):
        for bar in bars:
            ax.annotate(
                _label(bar.get_height()),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    ax.set_xticks(list(xs), [f"{s.order}. {s.certification}" for s in steps])
    ax.set_ylabel(currency)
    ax.yaxis.set_major_formatter(lambda v, _: _label(v))
    ax.legend(frameon=False, loc="upper left")
    ax.set_title("Cost and expected revenue per step", loc="left")
    return figure_to_svg(fig)


def timeline_chart(plan: Plan, horizon_months: int) -> str:
    """One bar per step: team work, then waiting (prerequisites, observation window), then the audit."""
    fig, ax = new_figure(7.0, 0.6 + 0.42 * max(1, len(plan.steps)))
    if not plan.steps:
        ax.text(0.5, 0.5, "nothing to schedule", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return figure_to_svg(fig)
    labels = []
    for row, step in enumerate(reversed(plan.steps)):
        work = step.work_done_month - step.starts_month
        ax.barh(row, work, left=step.starts_month, color=WORK, label="remediation work" if row == 0 else None)
        wait_months = max(0.0, step.months_to_ready - step.work_done_month)
        ax.barh(row, wait_months, left=step.work_done_month, color=WAIT, alpha=0.6,
                label="observation, prerequisites and audit" if row == 0 else None)  # fmt: skip
        ax.plot([step.months_to_ready], [row], marker="D", color=AUDIT, markersize=6)
        ax.annotate(f"ready m{step.months_to_ready:.1f}", (step.months_to_ready, row), xytext=(6, -3),
                    textcoords="offset points", fontsize=7)  # fmt: skip
        labels.append(f"{step.order}. {step.certification}")
    ax.axvline(horizon_months, color="#666666", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlim(0, max(horizon_months, max(s.months_to_ready for s in plan.steps)) + 3)
    ax.set_xlabel(f"months from the as-of date (dashed: {horizon_months}-month horizon)")
    ax.legend(frameon=False, loc="lower right", fontsize=7)
    ax.set_title("Cumulative timeline", loc="left")
    return figure_to_svg(fig)
