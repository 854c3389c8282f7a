"""Roadmap inputs: the pipeline CSV (default columns, Salesforce and HubSpot presets, every bad cell named
by file and row), closed deals as recurring demand, costs.toml overrides, holdings in trustctl.toml, the
roster's size, and the gap's sharing of work items."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trustctl.config import HeldCertification, parse_config, render_default_config
from trustctl.errors import InputError
from trustctl.frameworks.loader import get_framework
from trustctl.frameworks.readiness import ControlState, DocumentState, Readiness, RequirementState
from trustctl.roadmap.build import holdings, team_from_roster
from trustctl.roadmap.costs import load_costs
from trustctl.roadmap.gap import measure
from trustctl.roadmap.history import estimate, read_history
from trustctl.roadmap.pipeline_csv import read_pipeline

HEADER = "deal,amount,probability,close_date,requires\n"


def test_default_columns_percentages_and_aliases() -> None:
    pipeline = read_pipeline(
        HEADER + 'Acme,"120,000",60%,2027-03-31,SOC 2 Type II; iso27001\n'
        "Beta,$5000,0.25,2027-04-01,\nGamma,1000,80,2027-05-01 00:00,ferpa\n",
        "deals.csv",
    )
    acme, beta, gamma = pipeline.deals
    assert (acme.amount, acme.probability, acme.close_date) == (120_000, 0.6, date(2027, 3, 31))
    assert acme.requires == {"soc2_type2", "iso27001"} and acme.row == 2
    assert beta.amount == 5000 and beta.requires == frozenset() and pipeline.without_requirements == 1
    assert gamma.probability == 0.8


def test_salesforce_and_hubspot_presets_skip_closed_deals() -> None:
    salesforce = read_pipeline(
        "Opportunity Name,Stage,Amount,Probability (%),Close Date,Required Certifications\n"
        "Globex,Negotiation/Review,USD 90000,60,3/31/2027,SOC 2 Type II;HIPAA\n"
        "Initech,Closed Won,50000,100,1/15/2027,soc2_type1\n",
        "sf.csv",
        "salesforce",
    )
    [globex] = salesforce.deals
    assert (globex.amount, globex.probability, globex.close_date) == (90_000, 0.6, date(2027, 3, 31))
    assert globex.requires == {"soc2_type2", "hipaa"} and salesforce.skipped_closed == 1
    hubspot = read_pipeline(
        "Deal Name,Deal Stage,Amount,Deal probability,Close Date,Certs\n"
        "Hooli,contractsent,40000,0.9,2027-02-28 00:00,ISO 27001\nPied,closedlost,1,0.1,2027-01-01,soc3\n",
        "hs.csv",
        "hubspot",
        {"requires": "Certs"},
    )
    [hooli] = hubspot.deals
    assert hooli.requires == {"iso27001"} and hooli.close_date == date(2027, 2, 28)
    assert hubspot.skipped_closed == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "deals.csv: the file is empty"),
        ("deal,amount,probability,requires\nA,1,0.5,soc3\n", "deals.csv: row 1: missing column 'close_date'"),
        (
            HEADER + "A,1,0.5,2027-01-01,soc3\nB,lots,0.5,2027-01-01,soc3\n",
            "row 3: amount 'lots' is not a number",
        ),
        (HEADER + "A,1,150,2027-01-01,soc3\n", "row 2: probability '150' is out of range"),
        (HEADER + "A,1,0.5,2027-01-01,soc3;pci_dss\n", "row 2: unknown certification 'pci_dss' in requires"),
        (HEADER + "\nA,1,0.5,31/12/2027,soc3\n", "row 3: close date '31/12/2027' is not a date"),
        (HEADER + ",1,0.5,2027-01-01,soc3\n", "row 2: the deal has no name"),
        (HEADER + "A,-5,0.5,2027-01-01,soc3\n", "row 2: amount '-5' must be a non-negative number"),
    ],
)
def test_bad_csv_names_the_file_the_row_and_the_fix(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_pipeline(text, "deals.csv")
    assert message in str(caught.value)
    assert caught.value.exit_code == 1


def test_costs_override_item_by_item_and_reject_unknown_keys(tmp_path: Path) -> None:
    shipped = load_costs()
    path = tmp_path / "costs.toml"
    path.write_text(
        "hourly_rate = 120\n[certifications.iso27001]\naudit_fee = 45000\n[hours_per_control]\nIAM = 30\n"
    )
    costs = load_costs(path)
    assert costs.hourly_rate == 120 and costs.certifications["iso27001"].audit_fee == 45_000
    assert (
        costs.certifications["iso27001"].validity_months == shipped.certifications["iso27001"].validity_months
    )
    assert costs.control_hours("IAM") == 30 and costs.control_hours("AC") == shipped.control_hours("AC")
    path.write_text("[certifications.iso27001]\naudit_feee = 1\n")
    with pytest.raises(InputError, match=r"costs.toml: unknown key 'certifications.iso27001.audit_feee'"):
        load_costs(path)
    path.write_text("[hours_per_control]\nXYZ = 3\n")
    with pytest.raises(InputError, match="unknown control family XYZ"):
        load_costs(path)


def test_holdings_from_trustctl_toml() -> None:
    text = render_default_config("Acme").replace(
        "[certifications]\n",
        "[certifications]\nsoc2_type2 = { issued = 2026-01-15 }\n"
        "iso27001 = { issued = 2023-01-10, expires = 2026-01-09 }\n",
    )
    config = parse_config(text, Path("trustctl.toml"))
    held = config.certifications.held()
    assert held["soc2_type2"] == HeldCertification(issued=date(2026, 1, 15))
    until, notes = holdings(held, load_costs(), date(2026, 11, 1))
    assert until == {"soc2_type2": date(2027, 1, 15)}  # issued + 12 months of validity
    assert any("iso27001 expired on 2026-01-09" in n for n in notes)


def test_a_control_fixed_for_one_framework_is_one_item_everywhere() -> None:
    def readiness(framework: str, requirement: str, control: str, document: str) -> Readiness:
        state = RequirementState(
            requirement,
            "name",
            "citation",
            "not_met",
            "failing",
            [
                ControlState(control, "full", "fail", [], {}),
                ControlState("GOV-01", "partial", "pass", [], {}),
            ],
            [DocumentState(document, "missing", [])],
        )
        return Readiness(get_framework(framework), [state])

    soc2 = measure("soc2_type2", readiness("soc2", "CC6.1", "AC-02", "policy"))
    iso = measure("iso27001", readiness("iso27001_2022", "8.5", "AC-02", "policy"))
    assert set(soc2.items) == set(iso.items) == {"control:AC-02", "document:policy@AC-02"}
    assert soc2.items["control:AC-02"].family == "AC"
    assert [r.id for r in soc2.open_requirements({"control:AC-02"})] == ["CC6.1"]
    assert soc2.open_requirements({"control:AC-02", "document:policy@AC-02"}) == []


CLOSED = "deal,amount,outcome,close_date,requires,loss_reason\n"


def test_closed_deals_estimate_recurring_demand() -> None:
    history = read_history(
        CLOSED
        + "A,40000,lost,2026-03-01,soc2_type2,No SOC 2 report for the security review\n"
        + "B,60000,won,2026-05-01,SOC 2 Type II;iso27001,\n"
        + "C,20000,lost,2026-08-01,soc2_type2,budget\n"
        + "D,80000,closed lost,2026-09-01,iso27001,ISO 27001 certificate required\n",
        "closed.csv",
    )
    assert [d.for_want_of_certification for d in history.deals] == [True, False, False, True]
    demand = estimate(history, date(2026, 12, 1))
    quarters = (date(2026, 12, 1) - date(2026, 3, 1)).days / 91.3125  # the file's span up to the as-of date
    soc2 = demand["soc2_type2"]
    assert soc2.deals_per_quarter == pytest.approx(3 / quarters, abs=1e-3)
    assert soc2.average_amount == 40_000
    # Won 1, lost for another reason 1 (the loss for want of the report does not count): (1 + 1) / (2 + 2).
    assert soc2.win_rate == 0.5
    assert demand["iso27001"].win_rate == pytest.approx(2 / 3, abs=1e-3)  # (1 + 1) / (1 + 0 + 2)
    assert set(demand) == {"soc2_type2", "iso27001"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "closed.csv: the file is empty"),
        ("deal,amount,close_date,requires\n", "closed.csv: row 1: missing column 'outcome'"),
        (
            CLOSED + "A,1,maybe,2026-01-01,soc3,\n",
            "closed.csv: row 2: outcome 'maybe' is neither won nor lost",
        ),
        (CLOSED + "A,lots,won,2026-01-01,soc3,\n", "closed.csv: row 2: amount 'lots' is not a number"),
        (CLOSED + "A,1,won,2026-01-01,pci,\n", "closed.csv: row 2: unknown certification 'pci'"),
    ],
)
def test_a_bad_closed_deals_file_names_the_row(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_history(text, "closed.csv")
    assert message in str(caught.value)


def test_the_new_cost_inputs_are_validated(tmp_path: Path) -> None:
    shipped = load_costs()
    assert shipped.pen_test.cost == 20_000 and shipped.certifications["hipaa"].assessment == "third_party"
    assert shipped.hourly_rate_low < shipped.hourly_rate < shipped.hourly_rate_high
    path = tmp_path / "costs.toml"
    path.write_text("hourly_rate = 200\n")
    with pytest.raises(InputError, match="hourly_rate 200 must lie between hourly_rate_low 85"):
        load_costs(path)
    path.write_text("[buyers]\ntype1_bridge_acceptance = 1.5\n")
    with pytest.raises(InputError, match=r"invalid value for 'buyers\.type1_bridge_acceptance'"):
        load_costs(path)
    path.write_text("[demand.pci]\ndeals_per_quarter = 1\naverage_amount = 1\nwin_rate = 0.5\n")
    with pytest.raises(InputError, match="unknown certification pci"):
        load_costs(path)
    path.write_text('[certifications.hipaa]\nassessment = "hitrust"\n')
    with pytest.raises(InputError, match=r"certifications\.hipaa\.assessment"):
        load_costs(path)


def test_the_roster_sizes_the_operating_costs() -> None:
    people = [
        {"status": "active", "started_at": "2026-03-01T00:00:00Z"},
        {"status": "active", "started_at": "2024-01-01T00:00:00Z"},
        {"status": "terminated", "started_at": "2026-02-01T00:00:00Z"},
    ]
    team = team_from_roster(people, date(2026, 12, 1), "hr/roster.csv")
    assert (team.people, team.hires_per_year, team.source) == (2, 2.0, "hr/roster.csv")
    assert team_from_roster([{"status": "active"}], date(2026, 12, 1), "r.csv").hires_per_year is None
