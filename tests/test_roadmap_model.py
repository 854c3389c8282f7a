"""The roadmap model on small cases whose numbers are computed by hand in each test: overlap between
frameworks, prerequisites, deals needing two certifications, holdings, zero demand; then the buyer
behaviour (slips, Type I bridges, in-progress dates, recurring demand), the shared costs and the time
model, each against a hand-computed figure."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

import pytest

from trustctl.ids import CERTIFICATION_IDS
from trustctl.roadmap.costs import Costs, Demand, PenTest
from trustctl.roadmap.gap import Gap, RequirementGap, WorkItem
from trustctl.roadmap.model import Inputs, Plan, plan
from trustctl.roadmap.pipeline_csv import Deal
from trustctl.roadmap.value import MONTH_DAYS

AS_OF = date(2027, 1, 1)


NO_BEHAVIOUR = {
    "type1_bridge_acceptance": 0,
    "in_progress_acceptance": 0,
    "in_progress_months": 0,
    "slip_probability": 0,
    "slip_months": 1,
    "hipaa_self_attestation_acceptance": 1,
    "contract_years": 1,
}


def costs(buyers: dict[str, float] | None = None, **certifications: dict[str, Any]) -> Costs:
    """Rate 100/hour, 100 team hours a month, 10 hours per control and 5 per document, no pen test, no
    operating costs, buyers who neither slip nor accept anything but the report (unless `buyers` says
    otherwise); a certification not given costs a prohibitive audit fee, so it never pays (SOC 2 Type II
    answers Type I demand)."""
    free = {"audit_fee": 0, "tooling": 0, "fixed_hours": 0, "annual_upkeep": 0, "months_to_achieve": 0}
    certifications = {c: certifications.get(c, {"audit_fee": 10**9}) for c in CERTIFICATION_IDS}
    table: dict[str, Any] = {
        c: {**free, "validity_months": 12, **certifications.get(c, {})} for c in CERTIFICATION_IDS
    }
    return Costs.model_validate(
        {
            "currency": "USD",
            "hourly_rate": 100,
            "hourly_rate_low": 80,
            "hourly_rate_high": 150,
            "team_hours_per_month": 100,
            "hours_per_control": {"default": 10},
            "hours_per_document": {"default": 5},
            "certifications": table,
            "pen_test": {"cost": 0},
            "operations": {
                "people": 0,
                "hires_per_year": 0,
                "training_per_person": 0,
                "training_hours_per_person": 0,
                "background_check_per_hire": 0,
                "access_review_hours": 0,
                "vendor_review_hours": 0,
            },
            "buyers": {**NO_BEHAVIOUR, **(buyers or {})},
            "uncertainty": {
                "draws": 500,
                "seed": 7,
                "probability_spread": 0.2,
                "acceptance_spread": 0.2,
                "cost_spread": 0.25,
                "duration_spread": 0.3,
                "demand_spread": 0.4,
            },
        }
    )


def gap(certification: str, framework: str, requirements: dict[str, list[str]]) -> Gap:
    """requirement id -> item names; 'C..' are controls (10 h), 'D..' documents (5 h)."""
    items = {}
    reqs = []
    for rid, names in requirements.items():
        keys = set()
        for name in names:
            kind = "control" if name.startswith("C") else "document"
            key = f"{kind}:{name}"
            items[key] = WorkItem(key, kind, "AC", "fail" if kind == "control" else "missing")  # type: ignore[arg-type]
            keys.add(key)
        reqs.append(RequirementGap(rid, "not_met", frozenset(keys)))
    return Gap(certification, framework, tuple(reqs), items)


def no_gaps() -> dict[str, Gap]:
    return {c: gap(c, c, {}) for c in CERTIFICATION_IDS}


def deal(name: str, amount: float, probability: float, close: date, *requires: str) -> Deal:
    return Deal(name, amount, probability, close, frozenset(requires), 2)


def months(close: date) -> float:
    return (close - AS_OF).days / MONTH_DAYS


def run(deals: list[Deal], c: Costs, gaps: dict[str, Gap], held: dict[str, date] | None = None) -> Plan:
    return plan(Inputs(tuple(deals), c, {**no_gaps(), **gaps}, held or {}, 24, AS_OF))


def test_two_deals_two_certifications_with_overlap() -> None:
    c = costs(
        soc2_type1={"audit_fee": 10_000, "months_to_achieve": 1},
        iso27001={
            "audit_fee": 20_000,
            "annual_upkeep": 12_000,
            "months_to_achieve": 2,
            "validity_months": 36,
        },
    )
    gaps = {
        "soc2_type1": gap("soc2_type1", "soc2", {"R1": ["C1"], "R2": ["C2", "D1"]}),
        "iso27001": gap("iso27001", "iso27001_2022", {"Q1": ["C1"], "Q2": ["C3"], "Q3": ["D2"]}),
    }
    a = deal("A", 100_000, 0.5, date(2027, 12, 31), "soc2_type1")
    b = deal("B", 200_000, 0.25, date(2028, 6, 30), "iso27001")
    result = run([a, b], c, gaps)

    # Alone, SOC 2 Type I: 25 h (2 controls x 10 + 1 document x 5) -> 0.25 months of work, ready at 1.25;
    # cost 10,000 + 25 x 100 = 12,500; revenue 100,000 x 0.5 = 50,000; ROI 3.0. ISO alone: 35 h, ready
    # 2.35, cost 20,000 + 3,500 + 12,000 x (24 - 2.35) / 12 = 45,150; ROI 0.107. SOC 2 Type I goes first.
    first, second = result.steps
    assert first.certification == "soc2_type1"
    assert first.remediation_hours == 25
    assert first.months_to_ready == pytest.approx(1.25)
    assert first.cost == pytest.approx(12_500)
    assert first.expected_revenue == pytest.approx(50_000)
    assert first.roi == pytest.approx(3.0)
    assert first.payback_months == pytest.approx(months(date(2027, 12, 31)))
    assert first.unlocks_deals == ("A",)
    assert (first.requirements_to_fix, first.controls_to_fix, first.documents_missing) == (2, 2, 1)

    # Then ISO: C1 is fixed already, so 15 h (C3 + D2), starting when the team is free at 0.25:
    # work done at 0.40, ready at 2.40; cost 20,000 + 1,500 + 12,000 x 21.6 / 12 = 43,100.
    assert second.certification == "iso27001"
    assert second.remediation_hours == 15
    assert second.starts_month == pytest.approx(0.25)
    assert second.months_to_ready == pytest.approx(2.40)
    assert second.cost == pytest.approx(43_100)
    assert second.expected_revenue == pytest.approx(50_000)
    assert second.roi == pytest.approx(6_900 / 43_100)
    assert (second.requirements_to_fix, second.controls_to_fix, second.documents_missing) == (2, 1, 1)
    assert second.unlocks_deals == ("B",)


def test_prerequisites_soc3_after_soc2_type2_and_deals_closing_before_ready() -> None:
    c = costs(
        soc2_type2={"audit_fee": 30_000, "months_to_achieve": 2, "observation_months": 6},
        soc3={"audit_fee": 5_000, "months_to_achieve": 1},
    )
    gaps = {
        "soc2_type2": gap("soc2_type2", "soc2", {"R": ["C1"]}),
        "soc3": gap("soc3", "soc3", {"R": ["C1"]}),
    }
    late = deal("late", 200_000, 0.5, date(2028, 7, 1), "soc3")
    early = deal("early", 500_000, 0.9, date(2027, 6, 1), "soc3")  # month 4.96: before SOC 3 can exist
    result = run([late, early], c, gaps)

    # Type II: 10 h -> work done at 0.1, observation 6, audit 2: ready at 8.1; cost 30,000 + 1,000.
    # SOC 3: nothing left to fix; waits for Type II (8.1), then 1 month: ready at 9.1; cost 5,000.
    type2, soc3 = result.steps
    assert (type2.certification, soc3.certification) == ("soc2_type2", "soc3")
    assert type2.months_to_ready == pytest.approx(8.1)
    assert type2.cost == pytest.approx(31_000)
    assert type2.expected_revenue == 0 and type2.roi == pytest.approx(-1.0)
    assert type2.bundled_with == ("soc3",) and soc3.bundled_with == ("soc2_type2",)
    assert soc3.months_to_ready == pytest.approx(9.1)
    assert soc3.requirements_to_fix == 0 and soc3.remediation_hours == 0
    assert soc3.cost == pytest.approx(5_000)
    assert soc3.expected_revenue == pytest.approx(100_000)  # only "late": "early" closes at month 4.96
    assert soc3.unlocks_deals == ("late",)


def test_a_deal_needing_two_certifications_is_unlocked_only_by_both() -> None:
    c = costs(
        hipaa={"tooling": 1_000, "fixed_hours": 10, "months_to_achieve": 1},
        ferpa={"tooling": 500, "fixed_hours": 5, "months_to_achieve": 1},
    )
    both = deal("both", 10_000, 0.5, date(2028, 1, 1), "hipaa", "ferpa")
    result = run([both], c, {})
    # Alone each unlocks nothing (ROI -1); together: revenue 5,000 against 2,000 + 1,000.
    assert {s.certification for s in result.steps} == {"hipaa", "ferpa"}
    first, second = result.steps
    assert first.expected_revenue == 0 and first.bundled_with == (second.certification,)
    assert second.unlocks_deals == ("both",)
    assert second.expected_revenue == pytest.approx(5_000)
    assert sum(s.cost for s in result.steps) == pytest.approx(3_000)


def test_a_held_certification_is_not_recommended_and_its_deals_are_already_unlocked() -> None:
    c = costs(soc2_type1={"audit_fee": 10_000}, iso27001={"audit_fee": 20_000})
    a = deal("A", 100_000, 0.5, date(2027, 12, 31), "soc2_type1")
    b = deal("B", 200_000, 0.25, date(2028, 6, 30), "iso27001")
    result = run([a, b], c, {}, held={"soc2_type1": date(2027, 6, 30)})
    assert [s.certification for s in result.steps] == ["iso27001"]
    assert result.already_unlocked == ("A",)
    held = next(s for s in result.not_recommended if s.certification == "soc2_type1")
    assert held.reason == "already held (until 2027-06-30)"
    # A Type II report also answers a deal asking for Type I.
    answered = run([a], c, {}, held={"soc2_type2": date(2027, 12, 31)})
    assert answered.steps == () and answered.already_unlocked == ("A",)
    # An expired holding is not a holding.
    expired = run([a], c, {}, held={"soc2_type1": date(2026, 12, 31)})
    assert [s.certification for s in expired.steps] == ["soc2_type1"]


def test_zero_demand_recommends_nothing_and_says_why() -> None:
    result = run([], costs(soc2_type2={"audit_fee": 30_000}), {})
    assert result.steps == ()
    assert [s.certification for s in result.not_recommended] == list(CERTIFICATION_IDS)
    assert {s.reason for s in result.not_recommended} == {"no open deal in the pipeline needs it"}


def test_deals_after_the_horizon_bring_nothing() -> None:
    c = costs(soc2_type1={"audit_fee": 1_000})
    beyond = deal("beyond", 1_000_000, 1.0, date(2029, 2, 1), "soc2_type1")  # month 25
    result = run([beyond], c, {})
    assert result.steps == ()
    [skipped] = [s for s in result.not_recommended if s.certification == "soc2_type1"]
    assert "close after the 24-month horizon" in skipped.reason


def test_type1_opens_the_type2_window_and_shares_its_work() -> None:
    c = costs(
        soc2_type1={"audit_fee": 5_000, "fixed_hours": 50, "months_to_achieve": 2},
        soc2_type2={"audit_fee": 20_000, "fixed_hours": 80, "months_to_achieve": 2, "observation_months": 6},
    )
    gaps = {
        "soc2_type1": gap("soc2_type1", "soc2", {"R": ["C1", "C2", "C3", "C4", "C5"]}),
        "soc2_type2": gap("soc2_type2", "soc2", {"R": ["C1", "C2", "C3", "C4", "C5"]}),
    }
    a = deal("A", 100_000, 1.0, date(2027, 7, 1), "soc2_type1")  # month 5.95
    b = deal("B", 300_000, 1.0, date(2028, 6, 1), "soc2_type2")
    result = run([a, b], c, gaps)
    type1, type2 = result.steps
    # Type I: 50 + 5 x 10 = 100 h, done at month 1, report at 3. Type II: the controls are fixed and 50 of
    # its 80 fixed hours were spent on Type I's scoping: 30 h, done at 1.3; its window opens then
    # (before the Type I report at 3), runs 6 months, audit 2: report at 9.3.
    assert (type1.certification, type2.certification) == ("soc2_type1", "soc2_type2")
    assert type1.months_to_ready == pytest.approx(3.0)
    assert type2.remediation_hours == pytest.approx(30)
    assert type2.observation_start == pytest.approx(1.3) and type2.observation_end == pytest.approx(7.3)
    assert type2.months_to_ready == pytest.approx(9.3)
    assert type2.starts_month == pytest.approx(1.0)  # the team is free once Type I's work is done


def test_a_bridge_letter_and_an_in_progress_date_answer_part_of_a_type2_deal() -> None:
    certifications = {
        "soc2_type1": {"audit_fee": 1_000, "months_to_achieve": 2},
        "soc2_type2": {"audit_fee": 1_000, "months_to_achieve": 2, "observation_months": 6},
    }
    gaps = {"soc2_type2": gap("soc2_type2", "soc2", {"R": ["C1"]})}
    # Type II alone: 10 h -> work done at 0.1, report at 8.1. A deal closing in month 5 is not answered.
    closes_in_5 = deal("five", 100_000, 0.5, AS_OF + timedelta(days=round(5 * MONTH_DAYS)), "soc2_type2")
    bridged = run([closes_in_5], costs({"type1_bridge_acceptance": 0.6}, **certifications), gaps)
    # With a Type I first (nothing to fix: report at 2.0), then Type II (done at 0.1, window from 0.1), the
    # bridge stands in from month 2.0 at 0.6 acceptance: 100,000 x 0.5 x 0.6 = 30,000.
    assert [s.certification for s in bridged.steps] == ["soc2_type1", "soc2_type2"]
    assert sum(s.expected_revenue for s in bridged.steps) == pytest.approx(30_000)
    assert bridged.steps[1].unlocks_deals == ("five",)
    # "In progress, report in month 8.1" is within 4 months of month 5: 100,000 x 0.5 x 0.25 = 12,500.
    progress = run(
        [closes_in_5],
        costs({"in_progress_acceptance": 0.25, "in_progress_months": 4}, **certifications),
        gaps,
    )
    assert [s.certification for s in progress.steps] == ["soc2_type2"]
    assert progress.steps[0].expected_revenue == pytest.approx(12_500)


def test_a_deal_that_misses_its_date_slips_rather_than_vanishes() -> None:
    c = costs(
        {"slip_probability": 0.4, "slip_months": 3}, soc2_type1={"audit_fee": 1_000, "months_to_achieve": 6}
    )
    # Report at month 6; the deal closes at month 3 with probability 0.6, else slips by an exponential
    # number of months of mean 3: it waits long enough with probability 0.4 x exp(-3 / 3) = 0.147.
    late = deal("late", 100_000, 1.0, AS_OF + timedelta(days=round(3 * MONTH_DAYS)), "soc2_type1")
    [step] = run([late], c, {}).steps
    assert step.expected_revenue == pytest.approx(100_000 * 0.4 * math.exp(-1), rel=0.03)


def test_recurring_demand_counts_from_the_report_to_the_horizon() -> None:
    c = costs(iso27001={"audit_fee": 10_000, "months_to_achieve": 12})
    demand = {"iso27001": Demand(deals_per_quarter=3, average_amount=10_000, win_rate=0.5)}
    inputs = Inputs((), c, no_gaps(), {}, 24, AS_OF, demand)
    [step] = plan(inputs).steps
    # A deal a month, 10,000 x 0.5 each, for the 12 months from the report (month 12) to the horizon.
    assert step.recurring_revenue == pytest.approx(60_000) and step.expected_revenue == pytest.approx(60_000)


def test_one_pen_test_a_year_for_the_roadmap_and_operating_costs_from_the_roster() -> None:
    base = costs(
        soc2_type1={"audit_fee": 1_000, "needs_pen_test": True},
        iso27001={
            "audit_fee": 1_000,
            "needs_pen_test": True,
            "internal_audit_fee": 2_000,
            "internal_audit_months": 2,
        },
    )
    c = base.model_copy(
        update={
            "pen_test": PenTest(cost=20_000),
            "operations": base.operations.model_copy(
                update={"training_per_person": 50, "background_check_per_hire": 60, "access_review_hours": 5}
            ),
        }
    )
    deals = [
        deal("A", 1_000_000, 1.0, date(2027, 12, 31), "soc2_type1"),
        deal("B", 1_000_000, 1.0, date(2028, 6, 30), "iso27001"),
    ]
    result = plan(Inputs(tuple(deals), c, no_gaps(), {}, 24, AS_OF, {}, people=30, hires_per_year=6))
    assert {s.certification for s in result.steps} == {"soc2_type1", "iso27001"}
    # Two yearly tests over 24 months, once for both certifications; none inside a step's cost.
    assert result.shared.pen_tests == 2 and result.shared.pen_test == pytest.approx(40_000)
    iso = next(s for s in result.steps if s.certification == "iso27001")
    assert iso.cost == pytest.approx(1_000 + 2_000)  # audit fee and internal audit, no pen test
    assert iso.audit_start == pytest.approx(iso.work_done_month + 2)
    # 30 people x 50 + 6 hires x 60 + 4 reviews x 5 h x 100/h = 3,860 a year, for 2 years.
    assert result.shared.operations_per_year == pytest.approx(3_860)
    assert result.shared.operations == pytest.approx(7_720)
    assert result.net_value == pytest.approx(2_000_000 - 2_000 - 2_000 - 40_000 - 7_720)
