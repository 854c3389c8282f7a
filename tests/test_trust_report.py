"""Tenants and the trust report, over a moto organization: a tenant with an account of its own, one
recognised by tag in the shared account, one with data outside its region; canary values seeded into
every source never reach a report; a real Chromium loads the page at desktop and phone widths."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from trustctl.demo.seed_tenants import _bucket, _session, _table
from trustctl.evidence import signing

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CANARY = "cnry7q"  # every identifier seeded below contains it
ROLE = "OrganizationAccountAccessRole"
REGIONS = "eu-west-1,us-east-1"


def _org(project: Path) -> dict[str, str]:
    """Accounts: the management one (shared stores) and one dedicated to `dedicated-co`."""
    org = boto3.client("organizations")
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(Email=f"{CANARY}@example.org", AccountName=f"{CANARY}-acct")[
        "CreateAccountStatus"
    ]
    dedicated = status["AccountId"]
    base = boto3.Session()
    own = _session(base, dedicated)
    kms = own.client("kms", region_name="eu-west-1")
    key = kms.create_key(Description=f"{CANARY} key")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    _bucket(
        own.client("s3", region_name="eu-west-1"),
        f"{CANARY}-dedicated-docs",
        "eu-west-1",
        {"owner": CANARY},
        key,
    )
    _table(
        own.client("dynamodb", region_name="eu-west-1"), f"{CANARY}-dedicated-orders", {"owner": CANARY}, key
    )
    shared = base.client("s3", region_name="eu-west-1")
    _bucket(shared, f"{CANARY}-tagged-uploads", "eu-west-1", {"tenant": "tagged-co"})
    _table(
        base.client("dynamodb", region_name="eu-west-1"), f"{CANARY}-tagged-ledger", {"tenant": "tagged-co"}
    )
    _bucket(
        base.client("s3", region_name="us-east-1"), f"{CANARY}-far-archive", "us-east-1", {"tenant": "far-co"}
    )
    # A store both tagged for tagged-co and sitting in dedicated-co's account: breaks both promises.
    iam = base.client("iam")
    iam.create_user(UserName=f"{CANARY}-person")
    iam.create_login_profile(UserName=f"{CANARY}-person", Password="Test-only-password-123!")
    config = project / "trustctl.toml"
    text = config.read_text().replace('regions = ["us-east-1"]', 'regions = ["eu-west-1", "us-east-1"]')
    text = text.replace('# org_role = "TrustctlAudit"', f'org_role = "{ROLE}"')
    text = text.replace("[identity]\n", '[identity]\nroster = "roster.csv"\n', 1)
    text += f"""
[[tenants]]
name = "dedicated-co"
display_name = "Dedicated Co"
isolation = "account"
aws_accounts = ["{dedicated}"]
regions = ["eu-west-1"]
require_cmk = true

[[tenants]]
name = "tagged-co"
isolation = "database"
tag = "tenant=tagged-co"
regions = ["eu-west-1"]
require_cmk = true

[[tenants]]
name = "far-co"
tag = "tenant:far-co"
regions = ["eu-west-1"]

[trust]
contact = "security@trust.example"
subprocessors = [{{ name = "Amazon Web Services", purpose = "Hosting", location = "Ireland" }}]
"""
    config.write_text(text)
    (project / "roster.csv").write_text(
        f"email,name,status,terminated_at\n{CANARY}.person@corp.example,{CANARY} Person,active,\n"
        f"{CANARY}.gone@corp.example,Gone,terminated,2026-01-01\n"
    )
    return {"dedicated": dedicated, "management": boto3.client("sts").get_caller_identity()["Account"]}


@pytest.fixture
def tenants(project: Path, aws: str, cli: Callable[..., Any]) -> dict[str, str]:
    accounts = _org(project)
    ran = cli("collect", "aws", "--regions", REGIONS)
    assert ran.code in (0, 3), ran.stderr
    assert cli("collect", "identity").code == 0
    return accounts


def test_tenant_checks(tenants: dict[str, str], cli: Callable[..., Any]) -> None:
    report = json.loads(cli("check", "--format", "json").stdout)
    got = {(r["check"], r["resource"]): r for r in report["results"] if r["check"].startswith("isolation.")}

    def status(check: str, tenant: str) -> str:
        return str(got[(f"isolation.{check}", f"tenant:{tenant}")]["status"])

    assert status("tenant_dedicated", "dedicated-co") == "pass"
    assert status("tenant_cmk", "dedicated-co") == "pass"
    assert status("tenant_residency", "dedicated-co") == "pass"
    assert status("tenant_dedicated", "tagged-co") == "pass"
    cmk = got[("isolation.tenant_cmk", "tenant:tagged-co")]
    assert (
        cmk["status"] == "fail"
        and "2 of 2 data stores are not encrypted with a customer-managed key" in cmk["reason"]
    )
    far = got[("isolation.tenant_residency", "tenant:far-co")]
    assert far["status"] == "fail" and "us-east-1, outside eu-west-1" in far["reason"]
    assert got[("isolation.tenant_cmk", "tenant:far-co")]["status"] == "not_applicable"
    backups = got[("isolation.tenant_backups", "tenant:tagged-co")]
    assert backups["status"] == "fail" and "1 of 2 data stores" in backups["reason"]  # the table has PITR
    assert got[("isolation.tenant_dedicated", "tenant:dedicated-co")]["control"] == "ISO-02"


def test_a_shared_compartment_breaks_account_isolation(
    project: Path, aws: str, cli: Callable[..., Any]
) -> None:
    accounts = _org(project)
    config = project / "trustctl.toml"
    # far-co claims the dedicated account too: dedicated-co's account is no longer its own.
    config.write_text(
        config.read_text().replace(
            'tag = "tenant:far-co"', f'tag = "tenant:far-co"\naws_accounts = ["{accounts["dedicated"]}"]'
        )
    )
    cli("collect", "aws", "--regions", REGIONS)
    report = json.loads(cli("check", "--format", "json").stdout)
    got = {(r["check"], r["resource"]): r for r in report["results"]}
    result = got[("isolation.tenant_dedicated", "tenant:dedicated-co")]
    assert result["status"] == "fail" and "also hold data of far-co" in result["reason"]


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_no_identifier_reaches_any_trust_report(
    tenants: dict[str, str], project: Path, cli: Callable[..., Any]
) -> None:
    forbidden = [CANARY, *tenants.values(), "arn:aws:", "@corp.example", "alias/", "123456789012"]
    # The signing key's fingerprint is public by design: a reader compares it with the one `init` printed.
    key = signing.fingerprint(
        signing.load_public_key((project / ".trustctl" / "locker" / "public-key.pem").read_bytes())
    )
    assert not any(value in key for value in forbidden)
    outputs = []
    for args in (
        ["--level", "public", "--out", "t-public"],
        ["--level", "nda", "--out", "t-nda"],
        ["--customer", "dedicated-co", "--level", "nda", "--out", "t-customer"],
    ):
        ran = cli("trust-report", *args)
        assert ran.code == 0, ran.stderr
        out = project / args[-1]
        outputs.append(out)
        html = (out / "trust.html").read_text()
        pdf = _pdf_text(out / "trust.pdf")
        for text in (html, pdf, *(p.name for p in out.rglob("*"))):
            for value in forbidden:
                assert value not in text, (args, value)
        assert "security@trust.example" in html and "Amazon Web Services" in html
        if "nda" in args:
            assert "storage buckets" in pdf  # the measured statements are there
        assert f"fingerprint is <code>{key}</code>" in html and key in "".join(pdf.split()), args
    customer = (outputs[2] / "trust.html").read_text()
    assert "Kept in cloud accounts of your own, as agreed" in customer and "eu-west-1" in customer
    # A customer's report names it as configured and says nothing about any other tenant.
    assert "Prepared for Dedicated Co, confidential" in customer
    for other in ("tagged-co", "far-co", "Far Co", "customers have", "customers requiring"):
        assert other not in customer, other
    nda = (outputs[1] / "trust.html").read_text()
    public = (outputs[0] / "trust.html").read_text()
    assert "Results by control" in nda and "Results by control" not in public
    assert "Documents library" in nda and "Independent tests" in nda and "being remediated; " in nda
    # Public: what is in place, never a failure count, a readiness percentage or an area shown failing.
    words = " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<style.*?</style>", "", public, flags=re.S)).split())
    assert not re.search(r"\d+ of \d+", words) and "%" not in words, words
    for said in ("attention", "finding", "not met", "requirements met", "Documents library"):
        assert said not in words, said


def test_a_failing_area_is_stated_or_omitted_never_passing(
    tenants: dict[str, str], project: Path, cli: Callable[..., Any]
) -> None:
    cli("trust-report", "--level", "nda", "--out", "before")
    html = (project / "before" / "trust.html").read_text()
    assert 'Customer isolation and data residency <span class="badge attention">' in html
    # In public an area is never advertised as failing: only the statements that hold everywhere are
    # listed (customers are isolated as promised), never the one that does not (far-co's region).
    cli("trust-report", "--out", "public")
    public = (project / "public" / "trust.html").read_text()
    assert (
        "badge attention" not in public and "Customers are isolated at the level promised to them." in public
    )
    assert "have their data in their own regions" not in public
    config = project / "trustctl.toml"
    config.write_text(config.read_text().replace("[trust]\n", '[trust]\nomit_areas = ["isolation"]\n'))
    cli("trust-report", "--level", "nda", "--out", "after")
    assert "Customer isolation and data residency" not in (project / "after" / "trust.html").read_text()
    bad = cli("trust-report", "--customer", "nobody")
    assert bad.code == 1 and "no tenant named 'nobody'" in bad.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/system-deps.sh installs it)")
def test_the_page_renders_in_a_real_browser(
    tenants: dict[str, str], project: Path, cli: Callable[..., Any]
) -> None:
    from playwright.sync_api import sync_playwright

    assert cli("trust-report", "--customer", "dedicated-co", "--out", "browser").code == 0
    page_url = (project / "browser" / "trust.html").as_uri()
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
            ],
            env={**os.environ, "HOME": str(project)},
        )
        for name, width, height in (("desktop", 1280, 900), ("phone", 390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("requestfailed", lambda r: problems.append(f"failed request {r.url}"))
            page.on(
                "request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url)
            )
            page.goto(page_url)
            assert "Your data" in page.inner_text("body")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
            page.screenshot(path=str(ARTIFACTS / f"trust-{name}.png"), full_page=True)
        browser.close()
    assert problems == []
    assert (ARTIFACTS / "trust-phone.png").stat().st_size > 10_000


# --- certification wording: pure functions and the config that feeds them --------------------------------


def test_held_certifications_say_audited_attested_or_assessed() -> None:
    from datetime import date

    from trustctl.config_declared import HeldCertification, InObservation
    from trustctl.trust.model import held_wording, observation_wording

    today = date(2026, 12, 1)
    cases = [
        ("hipaa", HeldCertification(issued=date(2026, 5, 4)), "attested", "self-attested on 4 May 2026"),
        (
            "ferpa",
            HeldCertification(issued=date(2026, 5, 4), assessed_by="Campus Privacy Partners"),
            "attested",
            "assessed by Campus Privacy Partners on 4 May 2026",
        ),
        (
            "hipaa",
            HeldCertification(issued=date(2025, 5, 4), expires=date(2026, 5, 4)),
            "expired",
            "self-attested on 4 May 2025; lapsed 4 May 2026",
        ),
        (
            "soc2_type2",
            HeldCertification(issued=date(2026, 6, 30), auditor="Example CPA LLP"),
            "certified",
            "audited by Example CPA LLP; report dated 30 Jun 2026",
        ),
        (
            "iso27001",
            HeldCertification(issued=date(2026, 2, 1), expires=date(2029, 1, 31)),
            "certified",
            "certified; certificate issued 1 Feb 2026; valid until 31 Jan 2029",
        ),
    ]
    for cert, holding, status, detail in cases:
        said = held_wording(cert, holding, today)
        assert (said.status, said.detail) == (status, detail), cert
        if cert in ("hipaa", "ferpa"):
            assert "report" not in said.detail and "audit" not in said.detail
    window = InObservation(observation_until=date(2027, 3, 31), auditor="Example CPA LLP")
    running = observation_wording("soc2_type2", window, today)
    assert running.badge == "in observation"
    assert running.detail == "in observation until 31 Mar 2027; the report follows; auditor Example CPA LLP"
    ended = observation_wording("soc2_type2", window, date(2027, 4, 2))
    assert ended.detail.startswith("observation window ended 31 Mar 2027; report in preparation")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('hipaa = { issued = 2026-05-04, auditor = "X" }', "hipaa has no audit report"),
        ('soc2_type1 = { issued = 2026-05-04, assessed_by = "X" }', "soc2_type1 is audited: give auditor"),
        ("iso27001 = { observation_until = 2027-01-01 }", "observation_until applies to soc2_type2 and soc3"),
        (
            "soc2_type2 = { issued = 2026-01-01, observation_until = 2027-01-01 }",
            "give issued (held) or observation_until",
        ),
        (
            "soc2_type2 = { observation_until = 2027-01-01, observation_from = 2027-02-01 }",
            "observation_from must be before observation_until",
        ),
        ("soc2_type2 = 2027-01-01", "give a table"),
        ("soc2_type2 = { observation_until = 2027-01-01, expires = 2028-01-01 }", "unknown key"),
    ],
)
def test_declared_certifications_are_validated(entry: str, message: str) -> None:
    from trustctl.config import parse_config, render_default_config
    from trustctl.errors import ConfigError

    text = render_default_config("Acme").replace("[certifications]\n", f"[certifications]\n{entry}\n")
    with pytest.raises(ConfigError, match=re.escape(message)) as e:
        parse_config(text, Path("trustctl.toml"))
    assert str(e.value).startswith("trustctl.toml: ") and "certifications." in str(e.value)


def test_in_observation_is_not_held() -> None:
    from trustctl.config import parse_config, render_default_config

    text = render_default_config("Acme").replace(
        "[certifications]\n",
        "[certifications]\nsoc2_type2 = { observation_until = 2027-03-31 }\nhipaa = { issued = 2026-05-04 }\n",
    )
    certifications = parse_config(text, Path("trustctl.toml")).certifications
    assert list(certifications.held()) == ["hipaa"]  # the roadmap still scores a Type II to pursue
    assert list(certifications.in_observation()) == ["soc2_type2"]
