"""The roadmap model on small cases whose numbers are computed by hand in each test: overlap between
frameworks, prerequisites, deals needing two certifications, holdings, zero demand, sensitivity."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from trustctl.ids import CERTIFICATION_IDS
from trustctl.roadmap.costs import Costs
from trustctl.roadmap.gap import Gap, RequirementGap, WorkItem
from trustctl.roadmap.model import MONTH_DAYS, Inputs, Plan, Scenario, plan, sensitivity
from trustctl.roadmap.pipeline_csv import Deal

AS_OF = date(2027, 1, 1)


def costs(**certifications: dict[str, float]) -> Costs:
    """Rate 100/hour, 100 team hours a month, 10 hours per control and 5 per document; a certification
    not given costs a prohibitive audit fee, so it never pays (SOC 2 Type II answers Type I demand)."""
    free = {"audit_fee": 0, "tooling": 0, "fixed_hours": 0, "annual_upkeep": 0, "months_to_achieve": 0}
    certifications = {c: certifications.get(c, {"audit_fee": 10**9}) for c in CERTIFICATION_IDS}
    table: dict[str, Any] = {
        c: {**free, "validity_months": 12, **certifications.get(c, {})} for c in CERTIFICATION_IDS
    }
    return Costs.model_validate(
        {
            "currency": "USD",
            "hourly_rate": 100,
            "team_hours_per_month": 100,
            "hours_per_control": {"default": 10},
            "hours_per_document": {"default": 5},
            "certifications": table,
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


def test_sensitivity_says_when_the_top_choice_flips() -> None:
    # Revenue 50,000 against cost 45,000 (audit fee only): ROI 0.11. Costs +30% make it 58,500: no step.
    c = costs(soc2_type1={"audit_fee": 45_000})
    a = deal("A", 100_000, 0.5, date(2027, 12, 31), "soc2_type1")
    inputs = Inputs((a,), c, no_gaps(), {}, 24, AS_OF)
    base = plan(inputs)
    assert [s.certification for s in base.steps] == ["soc2_type1"]
    by_name = {s.scenario.name: s for s in sensitivity(inputs, base)}
    assert by_name["costs +30%"].flips and by_name["costs +30%"].order == ()
    assert not by_name["costs -30%"].flips
    assert by_name["probabilities -20%"].flips  # 100,000 x 0.4 = 40,000 < 45,000
    assert not by_name["probabilities +20%"].flips
    cheaper = plan(inputs, Scenario("costs -30%", 0.7, 1.0))
    assert cheaper.steps[0].cost == pytest.approx(31_500)
