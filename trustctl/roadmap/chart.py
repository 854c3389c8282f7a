"""The roadmap's charts as inline SVG: cost against expected revenue per step, and the timeline of each
step (team work, observation window, waiting and internal audit, external audit) against the horizon."""

from __future__ import annotations

from trustctl.render.charts import figure_to_svg, new_figure
from trustctl.roadmap.model import Plan

COST = "#c0504d"
REVENUE = "#4f81bd"
WORK = "#8064a2"
WINDOW = "#4bacc6"
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
    """One bar per step: team work, the observation window, waiting (internal audit, prerequisites), the
    external audit, and the report."""
    fig, ax = new_figure(7.0, 0.6 + 0.42 * max(1, len(plan.steps)))
    if not plan.steps:
        ax.text(0.5, 0.5, "nothing to schedule", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return figure_to_svg(fig)
    labels = []
    seen: set[str] = set()

    def bar(row: int, start: float, end: float, color: str, label: str, alpha: float = 1.0) -> None:
        if end > start:
            ax.barh(
                row, end - start, left=start, color=color, alpha=alpha, label=None if label in seen else label
            )
            seen.add(label)

    for row, step in enumerate(reversed(plan.steps)):
        bar(row, step.starts_month, step.work_done_month, WORK, "team work")
        waiting_from = step.work_done_month
        if step.observation_start is not None and step.observation_end is not None:
            bar(row, step.observation_start, step.observation_end, WINDOW, "observation window", 0.7)
            waiting_from = max(waiting_from, step.observation_end)
        bar(row, waiting_from, step.audit_start, WAIT, "internal audit, waiting", 0.6)
        bar(row, step.audit_start, step.months_to_ready, AUDIT, "external audit")
        ax.annotate(f"report m{step.months_to_ready:.1f}", (step.months_to_ready, row), xytext=(6, -3),
                    textcoords="offset points", fontsize=7)  # fmt: skip
        labels.append(f"{step.order}. {step.certification}")
    ax.axvline(horizon_months, color="#666666", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlim(0, max(horizon_months, max(s.months_to_ready for s in plan.steps)) + 4)
    ax.set_xlabel(f"months from the as-of date (dashed: {horizon_months}-month horizon)")
    ax.legend(frameon=False, loc="upper right", fontsize=7)
    ax.set_title("Timeline of each step", loc="left")
    return figure_to_svg(fig)
