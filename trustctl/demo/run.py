"""`trustctl demo`: init, collect, check and report on the embedded sample company."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import boto3

from trustctl import pipeline
from trustctl.collectors.base import Progress
from trustctl.config import Config
from trustctl.console import stage_printer
from trustctl.demo import history, seed_tenants
from trustctl.demo import identity as demo_identity
from trustctl.demo import management as demo_management
from trustctl.demo.seed import SeededOrg, seed
from trustctl.demo.server import moto_server
from trustctl.errors import TrustctlError
from trustctl.evidence import index
from trustctl.evidence.locker import utc_now
from trustctl.frameworks.loader import load_frameworks
from trustctl.pipeline import Initialized
from trustctl.reports import status_report
from trustctl.reports.check_report import CheckReport
from trustctl.reports.formats import inventory
from trustctl.reports.formats import render as render_format
from trustctl.reports.formats.table import render as render_table
from trustctl.reports.leavers import as_json as leaver_json
from trustctl.reports.leavers import as_table as leaver_table
from trustctl.roadmap.render import write_reports as write_roadmap

MARKER = ".trustctl-demo"
DEMO_PIPELINE_AS_OF = date(2026, 12, 1)  # the date deals.csv was exported


def _demo_config(org_role: str, today: date) -> str:
    return f"""
# What does not apply to Acme, and why; its decision on one HIPAA addressable specification.
[scope.iso27001_2022]
not_applicable = {{ "8.30" = "Acme does not outsource software development; all code is written by staff" }}

[scope.hipaa_security]
not_applicable = {{ "164.314(b)(1)" = "Acme sponsors no group health plan", "164.314(b)(2)" = "Acme sponsors no group health plan" }}

[scope.hipaa_security.addressable."164.312(a)(2)(iii)"]
decision = "alternative"
alternative = "12-hour IdP sessions and a 5-minute device screen lock enforced by MDM"
reason = "Console sessions are federated; the IdP and device policy end idle sessions for every app at once"

# The demo's waivers: one active (granted today, for six months), one expired, so both behaviours show.
[[waiver]]
check = "aws.iam.admin_access"
resource = "arn:aws:iam::*:role/BreakGlassAdmin"
reason = "Break-glass role; sessions are alerted on and reviewed within 24 hours"
owner = "security@acme.example"
granted = {today.isoformat()}
expires = {(today + timedelta(days=182)).isoformat()}

[[waiver]]
check = "aws.iam.admin_access"
resource = "arn:aws:iam::*:role/{org_role}"
reason = "Organization access role kept until the account factory migration"
owner = "platform@acme.example"
expires = 2026-06-30
"""


@dataclass(frozen=True)
class DemoOutcome:
    out: Path
    report: CheckReport
    table: str
    files: dict[str, Path]
    readiness: list[str]  # one headline per framework
    fingerprint: str  # the signing key's, as `init` printed it
    head: str  # the chain head after the last run, as `collect` printed it

    def describe(self, program: str = "trustctl") -> str:
        lines = ["", "Readiness (automated and document evidence counted apart):"]
        lines += [f"  {headline}" for headline in self.readiness]
        lines += [
            "",
            f"Demo company: Acme (3 AWS accounts, 2 GCP projects, 3 enterprise tenants), run {self.report.run_id}",
        ]
        lines += [f"  {name:9} {path}" for name, path in self.files.items()]
        lines += [
            f"  {'verify':9} {program} verify {self.files['locker']} --key {self.fingerprint} --head {self.head}",
            f"  {'re-check':9} {program} check --config {self.files['config']} --format markdown",
        ]
        return "\n".join(lines) + "\n"


def _prepare(out: Path) -> None:
    if out.exists():
        if not (out / MARKER).exists():
            raise TrustctlError(
                f"{out}: exists and is not a trustctl demo directory; nothing was changed.",
                "Choose another --out.",
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("created by `trustctl demo`; replaced on the next run\n", encoding="utf-8")


ROLE = "OrganizationAccountAccessRole"


def set_up_acme(out: Path, today: date) -> tuple[Initialized, SeededOrg]:
    """Seed Acme's AWS organization on the moto server this process points at, and write its project
    (config, key, empty locker) in `out`; the config's SCIM apps are added when their servers start."""
    org = seed()
    demo_identity.seed_identity_center(boto3.Session(), org.production, "eu-west-1")
    made = pipeline.init(out, "Acme", _demo_config(ROLE, today))
    text = made.config.read_text(encoding="utf-8")
    text = text.replace('# org_role = "TrustctlAudit"', f'org_role = "{ROLE}"')
    text = text.replace('# regions = ["eu-west-1", "us-east-1"]', 'regions = ["eu-west-1", "us-east-1"]')
    # Acme promises EU customers their data stays in Ireland.
    text = text.replace("allowed_regions = []  ", 'allowed_regions = ["eu-west-1", "europe-west1", "EU"]')
    # Buckets holding customer data must be encrypted with Acme's own KMS keys.
    text = text.replace("kms_required_tags = []", 'kms_required_tags = ["data=customer"]')
    text = text.replace("[identity]\n", "[identity]\n" + demo_identity.identity_config(), 1)
    text += seed_tenants.tenants_config(org.globex)
    # Management's words: the system description inputs and some control narratives (drafts).
    text += demo_management.demo_system_config()
    made.config.write_text(text, encoding="utf-8")
    return made, org


def run_demo(out: Path, progress: Progress | None = None, days: int = history.DAYS) -> DemoOutcome:
    out = out.resolve()
    _prepare(out)
    with moto_server(backup_shim=True):
        made, org = set_up_acme(out, datetime.now(UTC).date())
        # Acme's history: a run of its people (roster and IdP files, Slack and GitHub over real local
        # SCIM servers) and GCP projects (an asset export) every day, of AWS weekly and today.
        if progress is not None:
            progress.add(days)

        def ran(day: history.Day) -> None:
            if progress is not None:
                changed = "; ".join(day.changes)
                progress.advance(
                    f"day {day.index + 1}: {'+'.join(day.providers)}" + (f"; {changed}" if changed else "")
                )

        history.collect_history(made.config, org, days=days, report=ran)
    config = pipeline.load(made.config)
    add_documents(config, out)
    # Management's responses to two findings, stored signed like documents.
    for response in demo_management.DEMO_RESPONSES:
        pipeline.respond_to_exception(
            config, response.check, response.resource, text=response.text, owner=response.owner
        )
    # Evaluated once: every report below renders the same assessment.
    assessed = pipeline.assessment(config, list(load_frameworks()))
    report = pipeline.check_report(config, assessed=assessed)
    readiness = pipeline.status(config, list(load_frameworks()), assessed=assessed)
    files = {"config": made.config, "locker": made.locker}
    (out / "reports").mkdir(exist_ok=True)
    # SARIF points each finding at its resource's line of the inventory written beside it.
    located = out / "reports" / inventory.DEFAULT_PATH
    located.write_text(inventory.render(report), encoding="utf-8")
    for name, fmt in (("json", "json"), ("sarif", "sarif"), ("junit", "junit"), ("markdown", "markdown")):
        path = out / "reports" / f"check.{ {'markdown': 'md', 'junit': 'junit.xml'}.get(fmt, fmt) }"
        path.write_text(render_format(fmt, report, f"reports/{located.name}"), encoding="utf-8")
        files[name] = path
    files["status"] = out / "reports" / "status.md"
    files["status"].write_text(status_report.as_markdown(readiness), encoding="utf-8")
    (out / "reports" / "status.json").write_text(status_report.as_json(readiness), encoding="utf-8")
    # Which certification Acme should pursue next, from its sales pipeline (as of a fixed date).
    deals, closed = out / "deals.csv", out / "closed_deals.csv"
    deals.write_bytes(resources.files("trustctl.demo").joinpath("deals.csv").read_bytes())
    closed.write_bytes(resources.files("trustctl.demo").joinpath("closed_deals.csv").read_bytes())
    roadmap = pipeline.roadmap(
        config, deals, as_of=DEMO_PIPELINE_AS_OF, assessed=assessed, closed_deals_path=closed
    )
    files.update(write_roadmap(roadmap, out / "reports", config.organization.name))
    chain = pipeline.leavers(config, assessed)
    files["leavers"] = out / "reports" / "leavers.txt"
    files["leavers"].write_text(leaver_table(chain), encoding="utf-8")
    (out / "reports" / "leavers.json").write_text(leaver_json(chain), encoding="utf-8")
    # The SOC 2 audit packet over the whole history.
    built = pipeline.packet(
        config,
        "soc2",
        out=out / "packets" / f"soc2-{utc_now().date().isoformat()}",
        assessed=assessed,
        stage=stage_printer("demo packet"),
    )
    files["packet"] = built.files["pdf"]
    files["workbook"] = built.files["workbook"]
    files["zip"] = built.files["zip"]
    # What sales can send: the public trust report citing the packet, and Globex's own report.
    trust = out / "reports" / "trust"
    files["trust"] = pipeline.trust_report(config, trust, packet=built.files["zip"], assessed=assessed)[
        "html"
    ]
    globex = out / "reports" / "trust-globex"
    files["customer"] = pipeline.trust_report(config, globex, customer="globex", assessed=assessed)["html"]
    # The static trust center those reports stand behind, ready for any static host.
    site = out / "reports" / "trust-site"
    files["site"] = pipeline.trust_site(config, site, packet=built.files["zip"], assessed=assessed)[0]
    headlines = [status_report.compact(r) for r in readiness]
    head = index.chain(pipeline.open_locker(config))[-1][1]
    return DemoOutcome(out, report, render_table(report), files, headlines, made.fingerprint, head)


def add_documents(config: Config, out: Path) -> None:
    """Write Acme's documents under `out/documents` and add each to the locker."""
    for document in DEMO_DOCUMENTS:
        path = out / "documents" / document.file
        path.parent.mkdir(exist_ok=True)
        path.write_text(document.text, encoding="utf-8")
        pipeline.add_document(
            config,
            path,
            kind=document.kind,
            control=document.control,
            requirements=list(document.requirements),
            owner=document.owner,
            approved=document.approved,
            review_every=document.review_every,
        )


@dataclass(frozen=True)
class DemoDocument:
    file: str
    kind: str
    control: str
    owner: str
    approved: date
    review_every: str
    text: str
    requirements: tuple[str, ...] = ()


# Acme's documents: a current policy, a pen test, and board minutes that lapsed (training, acknowledgements
# and background checks are per-person records: see trustctl/demo/identity.py).
DEMO_DOCUMENTS = (
    DemoDocument(
        "information-security-policy.md",
        "policy",
        "GOV-01",
        "ciso@acme.example",
        date(2026, 9, 1),
        "365d",
        "# Acme information security policy\n\nApproved by the CEO on 2026-09-01.\n",
    ),
    DemoDocument(
        "pen-test-2026.md",
        "pen-test-report",
        "CHG-03",
        "security@acme.example",
        date(2026, 6, 30),
        "365d",
        "# External penetration test, June 2026\n\n2 medium findings, both fixed.\n",
    ),
    DemoDocument(
        "board-minutes-2025-q2.md",
        "board-minutes",
        "GOV-03",
        "board@acme.example",
        date(2025, 6, 30),
        "6m",
        "# Board meeting, Q2 2025\n\nSecurity program reviewed.\n",
        ("soc2:CC1.2",),
    ),
)
