"""`trustctl roadmap` end to end: a project with evidence (a GCP export) and a document, the JSON
contract, a PDF rendered by weasyprint whose text holds the steps, and one-line errors for bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from tests.conftest import Ran

Cli = Callable[..., Ran]

CLOSED = """deal,amount,outcome,close_date,requires,loss_reason
Vandelay,50000,lost,2026-03-31,soc2_type2,no SOC 2 report
Soylent,70000,won,2026-09-30,soc2_type2,
"""
DEALS = """deal,amount,probability,close_date,requires
Globex,400000,0.6,2028-03-31,soc2_type2
Umbrella,300000,0.5,2028-06-30,soc2_type2;iso27001
Riverside Schools,60000,0.8,2027-09-30,ferpa
"""


@pytest.fixture
def assessed(project: Path, cli: Cli) -> Path:
    """The project with one evidence run (the demo's GCP export) and an information security policy."""
    export = project / "assets.json"
    export.write_bytes(resources.files("trustctl.demo").joinpath("gcp_export.jsonl").read_bytes())
    ran = cli("collect", "gcp", "--export", str(export))
    assert ran.code == 0, ran.stderr
    policy = project / "policy.md"
    policy.write_text("# Information security policy\n")
    ran = cli(
        "docs", "add", str(policy), "--kind", "policy", "--control", "GOV-01", "--owner", "ciso@test.example",
        "--approved", "2026-09-01",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    (project / "deals.csv").write_text(DEALS)
    (project / "closed_deals.csv").write_text(CLOSED)
    return project


def test_json_shape_and_the_model_shown(assessed: Path, cli: Cli) -> None:
    ran = cli(
        "roadmap", "--pipeline", "deals.csv", "--closed-deals", "closed_deals.csv", "--format", "json",
        "--as-of", "2026-12-01",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    data = json.loads(ran.stdout)
    # Two SOC 2 Type II deals in three quarters (2026-03-31 to the as-of date), one won, one lost for the
    # report: 2 / (245 days / 91.3125) deals a quarter, win rate (1 + 1) / (1 + 0 + 2).
    demand = data["assumptions"]["demand"]["soc2_type2"]
    assert demand["deals_per_quarter"] == pytest.approx(2 / (245 / 91.3125), abs=1e-3)
    assert demand["win_rate"] == pytest.approx(2 / 3, abs=1e-3) and demand["source"] == "closed_deals.csv"
    assert all(
        s["why"] and s["timeline"]["report"] == pytest.approx(s["months_to_ready"], abs=0.05)
        for s in data["steps"]
    )
    sensitivity = set(data["sensitivity"])
    assert {"top_choice_share", "top_choice_tolerance", "most_sensitive_input", "seed"} <= sensitivity
    assert data["candidates"][0]["order"] == [s["certification"] for s in data["steps"]]
    assert {"currency", "horizon_months", "steps", "not_recommended", "assumptions"} <= set(data)
    assert data["currency"] == "USD" and data["horizon_months"] == 24
    assert data["steps"], data["not_recommended"]
    for step in data["steps"]:
        assert {
            "order", "certification", "expected_revenue", "cost", "roi", "payback_months", "months_to_ready",
            "unlocks_deals", "requirements_to_fix", "documents_missing",
        } <= set(step)  # fmt: skip
    assert [s["order"] for s in data["steps"]] == list(range(1, len(data["steps"]) + 1))
    assert "soc2_type2" in [s["certification"] for s in data["steps"]]
    assert data["assumptions"]["formulas"] and data["assumptions"]["costs"]["hourly_rate"] > 0
    gap = data["assumptions"]["measured_gap"]
    assert gap["soc2_type2"]["controls"] and gap["iso27001"]["documents"]
    assert "summary" in data["sensitivity"]


def test_holdings_in_the_config_change_the_roadmap(assessed: Path, cli: Cli) -> None:
    config = assessed / "trustctl.toml"
    config.write_text(
        config.read_text().replace(
            "[certifications]\n", "[certifications]\nsoc2_type2 = { issued = 2026-06-01 }\n"
        )
    )
    ran = cli("roadmap", "--pipeline", "deals.csv", "--format", "json", "--as-of", "2026-12-01")
    assert ran.code == 0, ran.stderr
    data = json.loads(ran.stdout)
    assert "soc2_type2" not in [s["certification"] for s in data["steps"]]
    assert "Globex" in data["already_unlocked_deals"]
    assert data["assumptions"]["holdings"] == {"soc2_type2": "2027-06-01"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_pdf_holds_the_steps_and_the_chart(assessed: Path, cli: Cli) -> None:
    ran = cli("roadmap", "--pipeline", "deals.csv", "--format", "json", "--as-of", "2026-12-01")
    steps = [s["certification"] for s in json.loads(ran.stdout)["steps"]]
    ran = cli(
        "roadmap", "--pipeline", "deals.csv", "--format", "pdf", "--output", "out/roadmap.pdf",
        "--as-of", "2026-12-01",
    )  # fmt: skip
    assert ran.code == 0, ran.stderr
    pdf = assessed / "out" / "roadmap.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Recommended sequence" in text and "Cost and expected revenue per step" in text
    assert "Timeline of each step" in text and "Confidence and sensitivity" in text and "Model" in text
    for certification in steps:
        assert certification in text


def test_markdown_and_html_outputs(assessed: Path, cli: Cli) -> None:
    ran = cli("roadmap", "--pipeline", "deals.csv", "--format", "markdown", "--as-of", "2026-12-01")
    assert ran.code == 0 and "## Model" in ran.stdout and "## Confidence and sensitivity" in ran.stdout
    assert "## Why this order" in ran.stdout
    ran = cli("roadmap", "--pipeline", "deals.csv", "--format", "html", "--output", "r.html")
    html = (assessed / "r.html").read_text()
    assert ran.code == 0 and html.count("<svg") == 2
    assert 'src="http' not in html and 'href="http' not in html  # self-contained: nothing to fetch


def test_a_bad_closed_deals_file_is_one_line(project: Path, cli: Cli) -> None:
    (project / "deals.csv").write_text(DEALS)
    (project / "closed.csv").write_text(CLOSED + "Oscorp,1000,pending,2026-05-01,soc3,\n")
    ran = cli("roadmap", "--pipeline", "deals.csv", "--closed-deals", "closed.csv")
    assert ran.code == 1 and "Traceback" not in ran.stderr
    assert "closed.csv: row 4: outcome 'pending' is neither won nor lost" in ran.stderr


@pytest.mark.parametrize(
    ("csv", "args", "code", "message"),
    [
        (DEALS + "Bad,1,150,2027-01-01,soc3\n", [], 1, "deals.csv: row 5: probability '150' is out of range"),
        ("", [], 1, "deals.csv: the file is empty"),
        (DEALS, ["--format", "pdf"], 2, "--format pdf writes a file"),
        (DEALS, ["--currency", "EUR"], 1, "costs are in USD, the pipeline in EUR"),
    ],
)
def test_errors_are_one_line(
    project: Path, cli: Cli, csv: str, args: list[str], code: int, message: str
) -> None:
    (project / "deals.csv").write_text(csv)
    ran = cli("roadmap", "--pipeline", "deals.csv", *args)
    assert ran.code == code, ran.stderr
    assert message in ran.stderr and "Traceback" not in ran.stderr
