"""The roadmap on realistic pipelines with the shipped costs and buyer behaviour: the demo's own pipeline
and closed deals, a pipeline where SOC 2 Type II demand dominates, one dominated by ISO 27001 demand from
EU buyers, one dominated by health systems. Each asserts the order and the reason for it (the bridge,
the internal audit, the assessment), and the seeded Monte Carlo's reproducibility."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from trustctl.controls.catalog import load_catalog
from trustctl.ids import CERTIFICATION_IDS
from trustctl.roadmap.build import decide
from trustctl.roadmap.costs import load_costs
from trustctl.roadmap.gap import Gap, RequirementGap, WorkItem
from trustctl.roadmap.history import estimate, read_history
from trustctl.roadmap.model import Inputs, Plan, Planner
from trustctl.roadmap.pipeline_csv import Pipeline, read_pipeline
from trustctl.roadmap.simulate import Simulation, draw_inputs, simulate

AS_OF = date(2026, 12, 1)
HEADER = "deal,amount,probability,close_date,requires\n"

# The demo's measured gap (`trustctl demo`, then `trustctl roadmap --format json`: measured_gap), as
# open controls and documents per framework: SOC 2 has 22 controls and 38 documents to fix, ISO 27001
# the same controls and many more documents, HIPAA most of them, FERPA a few.
SOC2_CONTROLS = [
    "AC-01",
    "AC-02",
    "AC-03",
    "AC-04",
    "BCK-01",
    "CRY-01",
    "CRY-02",
    "CRY-03",
    "HR-01",
    "HR-02",
    "HR-03",
    "HR-04",
    "IAM-01",
    "IAM-02",
    "ISO-01",
    "LOG-01",
    "LOG-02",
    "LOG-03",
    "LOG-04",
    "NET-01",
    "NET-02",
    "NET-03",
]
DEMO_GAP = {
    "soc2": (SOC2_CONTROLS, 38),
    "soc3": (SOC2_CONTROLS, 38),
    "iso27001_2022": ([*SOC2_CONTROLS[:-1], "AVL-01", "BCK-02", "BCK-03"], 104),
    "hipaa_security": (
        [c for c in SOC2_CONTROLS if c not in ("ISO-01", "NET-02")] + ["BCK-02", "BCK-03"],
        49,
    ),
    "ferpa": (
        ["AC-01", "AC-02", "AC-03", "HR-02", "HR-03", "HR-04", "IAM-01", "IAM-02", "NET-01", "NET-03"],
        15,
    ),
}
FRAMEWORK = {
    "soc2_type1": "soc2", "soc2_type2": "soc2", "soc3": "soc3", "iso27001": "iso27001_2022",
    "hipaa": "hipaa_security", "ferpa": "ferpa",
}  # fmt: skip


def demo_gaps() -> dict[str, Gap]:
    """Controls by id (their families priced as in costs.toml); documents as GOV items, the first ones
    shared across frameworks (policies every framework asks for)."""
    catalog = load_catalog()
    gaps = {}
    for certification in CERTIFICATION_IDS:
        framework = FRAMEWORK[certification]
        controls, documents = DEMO_GAP[framework]
        items = {
            f"control:{c}": WorkItem(f"control:{c}", "control", catalog.get(c).family, "fail")
            for c in controls
        }
        for n in range(documents):
            key = f"document:doc{n}" if n < 30 else f"document:{framework}-doc{n}"
            items[key] = WorkItem(key, "document", "GOV", "missing")
        requirements = tuple(RequirementGap(k, "not_met", frozenset([k])) for k in items)
        gaps[certification] = Gap(certification, framework, requirements, items)
    return gaps


@dataclass(frozen=True)
class Result:
    inputs: Inputs
    plan: Plan
    candidates: tuple[Plan, ...]
    simulation: Simulation
    explanations: tuple[str, ...]


def roadmap(
    pipeline: Pipeline, history: str | None = None, costs_text: str = "", tmp: Path | None = None
) -> Result:
    """The roadmap of `pipeline` on the demo's gap with the shipped costs (`costs_text` overrides them)."""
    costs = load_costs()
    if costs_text and tmp is not None:
        path = tmp / "costs.toml"
        path.write_text(costs_text)
        costs = load_costs(path)
    demand = {
        **(estimate(read_history(history, "closed_deals.csv"), AS_OF) if history else {}),
        **costs.demand,
    }
    inputs = Inputs(pipeline.deals, costs, demo_gaps(), {}, 24, AS_OF, demand)
    candidates, simulation, explanations = decide(inputs, "USD", draws=1000)
    return Result(inputs, candidates[0], candidates, simulation, explanations)


def order(r: Result) -> list[str]:
    return [s.certification for s in r.plan.steps]


def why(r: Result, certification: str) -> str:
    return r.explanations[order(r).index(certification)]


@pytest.fixture(scope="module")
def demo() -> Result:
    text = resources.files("trustctl.demo").joinpath("deals.csv").read_text()
    closed = resources.files("trustctl.demo").joinpath("closed_deals.csv").read_text()
    return roadmap(read_pipeline(text, "deals.csv"), closed)


def test_the_demo_pipeline_starts_with_soc2_type1_then_type2(demo: Result) -> None:
    assert order(demo)[:2] == ["soc2_type1", "soc2_type2"]
    type1, type2 = demo.plan.steps[:2]
    # Type I: the two deals that ask for exactly it (Hooli, closing in month 7, and Initech, in month 8)
    # are answered by a report due before they close; all its work is reused by Type II.
    assert set(type1.unlocks_deals) == {"Hooli Marketing Cloud", "Initech HR Platform"}
    assert type1.months_to_ready < 7.0 and type1.observation_start is None
    assert "USD 95k of pipeline (2 deals) asks for within 8 months" in why(demo, "soc2_type1")
    assert "100 % of its work carries into SOC 2 Type II" in why(demo, "soc2_type1")
    # Type II: its window opens once the shared work is done (before the Type I report), it only adds
    # its own 40 extra fixed hours (120 - the 80 Type I spent), and the closed deals' recurring demand
    # (2.06 deals a quarter) is most of its value.
    assert type2.observation_start == pytest.approx(type2.starts_month + 40 / 120)
    assert type2.observation_start < type1.months_to_ready
    assert type2.remediation_hours == pytest.approx(40)
    assert type2.recurring_revenue > type2.expected_revenue / 2
    assert "2.064 deals a quarter" in why(demo, "soc2_type2") and "bridge letter" in why(demo, "soc2_type2")
    # The pen test is bought once for the roadmap, not per certification: two tests in 24 months.
    assert demo.plan.shared.pen_tests == 2 and demo.plan.shared.pen_test == pytest.approx(40_000)
    # FERPA is no longer first, and Type I is no longer "not recommended".
    assert "soc2_type1" not in [s.certification for s in demo.plan.not_recommended]


def test_the_monte_carlo_is_reproducible_with_its_seed(demo: Result) -> None:
    inputs, plans = demo.inputs, list(demo.candidates)
    first = simulate(inputs, plans, draws=1000, seed=5)
    again = simulate(inputs, plans, draws=1000, seed=5)
    other = simulate(inputs, plans, draws=1000, seed=6)
    assert first == again
    assert first.candidates[0].mean != other.candidates[0].mean
    assert first.top_share >= 0.8  # SOC 2 Type I first is the best start in most futures
    assert first.sensitive_to is not None and abs(first.correlation) > 0
    assert sum(o.best_share for o in first.candidates) == pytest.approx(1.0)


def test_without_spread_the_simulation_reproduces_the_deterministic_figures(
    demo: Result, tmp_path: Path
) -> None:
    path = tmp_path / "costs.toml"
    path.write_text(
        "hourly_rate_low = 110\nhourly_rate_high = 110\n[uncertainty]\nprobability_spread = 0\n"
        "acceptance_spread = 0\ncost_spread = 0\nduration_spread = 0\ndemand_spread = 0\n"
    )
    inputs = replace(demo.inputs, costs=load_costs(path))
    plans = Planner(inputs).candidates()[:3]
    sim = simulate(inputs, plans, draws=4000)
    # Only the deals' slips are drawn; the planner averages them over quantiles.
    for plan, outcome in zip(plans, sim.candidates, strict=True):
        assert outcome.mean == pytest.approx(plan.net_value, rel=0.02)


SOC2_DOMINATED = (
    HEADER
    + "".join(
        f"Enterprise {n},{amount},0.6,{close},soc2_type2\n"
        for n, (amount, close) in enumerate(
            [(150000, "2027-07-15"), (200000, "2027-08-20"), (150000, "2027-09-10"), (200000, "2027-09-30")]
        )
    )
    + "Lincoln Elementary,20000,0.8,2027-09-01,ferpa\n"
)


def test_soc2_demand_dominates_type1_and_its_bridge_come_first(tmp_path: Path) -> None:
    pipeline = read_pipeline(SOC2_DOMINATED, "deals.csv")
    r = roadmap(pipeline)
    assert order(r)[:2] == ["soc2_type1", "soc2_type2"]
    type1, type2 = r.plan.steps[:2]
    # USD 700k needs Type II within 10 months; Type II cannot be in hand before month 11, so the value is
    # the Type I report plus a bridge letter while the window runs (0.6 of buyers accept that).
    assert type2.months_to_ready > 10
    assert type1.months_to_ready < 8
    assert "USD 700k of pipeline (4 deals) asks for within 10 months" in why(r, "soc2_type2")
    assert "bridge letter" in why(r, "soc2_type2")
    assert "carries into SOC 2 Type II" in why(r, "soc2_type1")
    assert order(r).index("ferpa") > 1
    # The confidence means something: FERPA first (40 hours) then the same SOC 2 steps differs from SOC 2
    # Type I first by a few hundred dollars of upkeep timing in most futures, a tie within 1 % of the USD
    # 287k at stake; SOC 2 Type I first is the start in the futures where any roadmap pays.
    sim = r.simulation
    assert sim.tolerance == pytest.approx(0.01 * sum(s.expected_revenue for s in r.plan.steps))
    assert sim.top_share >= 0.7 and sim.top_share + sim.nothing_share >= 0.98
    # The reason, tested: without bridge acceptance a Type I is not worth its fee here.
    no_bridge = roadmap(pipeline, costs_text="[buyers]\ntype1_bridge_acceptance = 0\n", tmp=tmp_path)
    assert "soc2_type1" not in order(no_bridge)[:1]
    assert no_bridge.plan.net_value < r.plan.net_value


ISO_DOMINATED = (
    HEADER
    + "".join(
        f"{name},{amount},0.5,{close},iso27001\n"
        for name, amount, close in [
            ("Deutsche Logistik AG", 180000, "2028-03-31"),
            ("Banque de Lyon", 220000, "2028-05-31"),
            ("Nordic Energy AB", 150000, "2028-07-31"),
            ("Rotterdam Port BV", 160000, "2028-09-29"),
        ]
    )
    + "Austin Startup,30000,0.5,2027-09-30,soc2_type2\n"
)


# EU buyers keep asking for ISO 27001: stated directly, as `[demand]` in a costs file.
ISO_DEMAND = "[demand.iso27001]\ndeals_per_quarter = 1.5\naverage_amount = 90000\nwin_rate = 0.4\n"


def test_iso_demand_from_eu_buyers_puts_iso27001_first(tmp_path: Path) -> None:
    pipeline = read_pipeline(ISO_DOMINATED, "deals.csv")
    r = roadmap(pipeline, costs_text=ISO_DEMAND, tmp=tmp_path)
    assert order(r)[0] == "iso27001"
    iso = r.plan.steps[0]
    # The internal audit and management review take their 2 months (and their fee) before stage 2.
    assert iso.audit_start == pytest.approx(iso.work_done_month + 2)
    assert iso.internal_audit == pytest.approx(5_000)
    assert "USD 710k of pipeline (4 deals) asks for within 22 months" in why(r, "iso27001")
    assert "recurring demand (1.5 deals a quarter)" in why(r, "iso27001")
    # Without stated recurring demand, the USD 710k of deals alone still put ISO 27001 first: its
    # certificate (month 15.2) comes before the first of them closes (month 16), and a deal that slips
    # past the 24-month horizon is still won, not lost. The simulation agrees in most futures.
    alone = roadmap(pipeline)
    assert order(alone)[:1] == ["iso27001"]
    assert alone.simulation.candidates[0].order[:1] == ("iso27001",)
    assert alone.simulation.candidates[0].mean > 0 and alone.simulation.top_share >= 0.7
    assert "USD 710k of pipeline (4 deals) asks for within 22 months" in why(alone, "iso27001")
    assert alone.plan.steps[0].recurring_revenue == 0


def test_a_deal_that_slips_past_the_horizon_is_still_won() -> None:
    # Rotterdam Port closes in month 21.9: a slip of more than 2.1 months (20 % of futures) takes it past
    # the 24-month horizon. It is valued at its slipped close, with the certificate in hand by then, so
    # without slips or with them its expected value is the same: amount x probability.
    pipeline = read_pipeline(HEADER + "Rotterdam Port BV,160000,0.5,2028-09-29,iso27001\n", "deals.csv")
    inputs = roadmap(pipeline).inputs
    planner = Planner(inputs)
    [iso] = planner.step("iso27001", planner.initial).steps
    assert iso.months_to_ready < 21.9 and iso.expected_revenue == pytest.approx(80_000)
    # A deal due after the horizon is not planned for, slip or not.
    late = read_pipeline(HEADER + "Later AG,160000,0.5,2029-01-31,iso27001\n", "deals.csv")
    planner = Planner(replace(inputs, deals=late.deals))
    [iso] = planner.step("iso27001", planner.initial).steps
    assert iso.expected_revenue == 0


def test_durations_are_drawn_around_the_estimate_as_a_median() -> None:
    # Remediation hours and audit months x 1/1.5-1.5, symmetric in log space: as many futures overrun
    # the estimate as underrun it, by the same factors.
    inputs = roadmap(read_pipeline(ISO_DOMINATED, "deals.csv")).inputs
    drawn = draw_inputs(inputs, 20_000, np.random.default_rng(1))
    for key in ("hours", "months"):
        assert drawn[key].min() >= 1 / 1.5 and drawn[key].max() <= 1.5
        assert np.median(drawn[key]) == pytest.approx(1.0, abs=0.01)
        assert np.mean(np.log(drawn[key])) == pytest.approx(0.0, abs=0.01)


def test_contract_years_value_a_won_deal_beyond_its_amount(tmp_path: Path) -> None:
    pipeline = read_pipeline(ISO_DOMINATED, "deals.csv")
    once = Planner(roadmap(pipeline).inputs)
    thrice = Planner(roadmap(pipeline, costs_text="[buyers]\ncontract_years = 3\n", tmp=tmp_path).inputs)
    [a] = once.step("iso27001", once.initial).steps
    [b] = thrice.step("iso27001", thrice.initial).steps
    assert b.expected_revenue == pytest.approx(3 * a.expected_revenue) and b.cost == a.cost


HEALTH_DOMINATED = (
    HEADER
    + "".join(
        f"{name},{amount},0.5,{close},hipaa\n"
        for name, amount, close in [
            ("Mercy Health System", 150000, "2027-08-31"),
            ("St. Luke's Hospitals", 120000, "2027-10-31"),
            ("Valley Medical Group", 90000, "2027-12-31"),
            ("Riverbend Health", 110000, "2028-02-29"),
        ]
    )
    + "Fintech Co,40000,0.5,2028-04-30,soc2_type2\nGmbH Co,50000,0.4,2028-06-30,iso27001\n"
)


def test_health_systems_put_hipaa_with_its_assessment_early(tmp_path: Path) -> None:
    pipeline = read_pipeline(HEALTH_DOMINATED, "deals.csv")
    r = roadmap(pipeline)
    assert order(r)[0] == "hipaa"
    hipaa = r.plan.steps[0]
    assert hipaa.assessment == pytest.approx(15_000)  # the third-party assessment, charged
    assert "with a third-party assessment (USD 15k)" in why(r, "hipaa")
    # The reason, tested: self-attested, only half of the health systems accept it, so HIPAA brings about
    # half (its report comes a month sooner without the assessment) and barely pays: from a net of about
    # USD 110k with high confidence to under USD 10k, a coin toss against doing nothing.
    attested = roadmap(pipeline, costs_text='[certifications.hipaa]\nassessment = "self"\n', tmp=tmp_path)
    planner = Planner(attested.inputs)
    [self_step] = planner.step("hipaa", planner.initial).steps
    assert self_step.assessment == 0
    assert self_step.expected_revenue == pytest.approx(hipaa.expected_revenue * 0.5, rel=0.1)
    assert attested.plan.net_value < r.plan.net_value / 5
    assert attested.simulation.top_share < 0.8 <= r.simulation.top_share
