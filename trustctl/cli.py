"""The trustctl command line (the only module that imports click). Results on stdout, progress and
errors on stderr; exit codes as in the README."""

from __future__ import annotations

import json
import re
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from trustctl import __version__, pipeline
from trustctl.console import StderrProgress
from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.controls.results import Severity
from trustctl.errors import (
    EXIT_ERROR,
    EXIT_EVIDENCE_ERRORS,
    EXIT_FAILING,
    EXIT_VERIFY_FAILED,
    NoEvidenceError,
    TrustctlError,
    UsageError,
)
from trustctl.evidence import signing
from trustctl.evidence.documents import Document, read_documents
from trustctl.identity.chain import as_json as leaver_json
from trustctl.identity.chain import as_table as leaver_table
from trustctl.reports.check_report import FailOn, exit_code
from trustctl.reports.formats import FORMATS
from trustctl.reports.formats.table import render as render_table


class TrustctlGroup(click.Group):
    """Turns TrustctlError into one line on stderr and its exit code; tracebacks only with --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TrustctlError as e:
            if ctx.meta.get("debug"):
                traceback.print_exc()
            click.echo(f"trustctl: error: {e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as e:
            if ctx.meta.get("debug"):
                raise
            click.echo(
                f"trustctl: unexpected error: {type(e).__name__}: {e} (run with --debug for details)",
                err=True,
            )
            sys.exit(EXIT_ERROR)


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="TRUSTCTL_CONFIG",
    help="Path to trustctl.toml (default: ./trustctl.toml; env TRUSTCTL_CONFIG).",
)


@click.group(cls=TrustctlGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trustctl")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """trustctl: collect compliance evidence, keep it verifiable, and report the gaps."""
    ctx.meta["debug"] = debug


@main.command()
@click.option("--org", help="Organization name (default: the directory's name).")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write trustctl.toml and the locker.",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Create the signing key here, outside the locker's directory (default: .trustctl/signing-key.pem).",
)
def init(org: str | None, directory: Path, key_file: Path | None) -> None:
    """Write trustctl.toml, create the evidence locker and the Ed25519 signing key (mode 0600).

    Example: trustctl init --org "Acme" --key ~/.config/trustctl/acme-signing-key.pem
    """
    made = pipeline.init(directory, org or directory.resolve().name, key_file=key_file)
    click.echo(
        f"wrote {made.config}\ncreated locker {made.locker}\ncreated signing key {made.key} (mode 0600)\n"
        f"key fingerprint {made.fingerprint}\n"
        "Record the fingerprint outside the locker (a ticket, a wiki page, your auditor): "
        "`trustctl verify --key FINGERPRINT` proves every run was signed with this key."
    )


@main.command()
@click.argument("providers", nargs=-1, type=click.Choice(["aws", "gcp", "identity"]))
@click.option("--regions", help="Comma-separated regions, overriding [aws] regions.")
@click.option(
    "--export",
    "exports",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="With gcp: import a Cloud Asset Inventory export file instead of calling the API (repeatable).",
)
@click.option(
    "--org-role", help="Role to assume in every organization member account, overriding [aws] org_role."
)
@config_option
def collect(
    providers: tuple[str, ...],
    regions: str | None,
    exports: tuple[Path, ...],
    org_role: str | None,
    config_path: Path | None,
) -> None:
    """Collect one signed run of evidence into the locker (default: aws, plus gcp when [gcp] scope is set
    and identity when [identity] has sources).

    Exits 3 when some evidence could not be collected (the run is still stored and signed).

    Example: trustctl collect aws --regions eu-west-1,us-east-1 --org-role TrustctlAudit
             trustctl collect gcp --export assets-2026-11-24.json
             trustctl collect identity
    """
    if exports and "gcp" not in providers:
        raise UsageError(
            "--export imports GCP Cloud Asset Inventory exports: use `trustctl collect gcp --export FILE`."
        )
    config = pipeline.load(config_path)
    identity = config.identity
    has_identity = bool(identity.roster or identity.scim or identity.idp)
    chosen = list(providers) or [
        "aws",
        *(["gcp"] if config.gcp.scope else []),
        *(["identity"] * has_identity),
    ]
    overrides: dict[str, Any] = {}
    if regions:
        overrides["regions"] = [r.strip() for r in regions.split(",") if r.strip()]
    if org_role:
        overrides["org_role"] = org_role
    if overrides:
        aws = config.aws.model_validate({**config.aws.model_dump(), **overrides})
        config = config.model_copy(update={"aws": aws})
    with StderrProgress() as progress:
        collected = pipeline.collect(config, chosen, progress, exports=list(exports))
    m = collected.manifest
    click.echo(
        f"run {m.run_id}: {len(m.requests)} requests, {len(m.evidence)} evidence objects, "
        f"{collected.errors} errors"
        + (f"; AWS accounts {', '.join(collected.aws.accounts) or 'none'}" if "aws" in chosen else "")
    )
    click.echo(f"head {collected.head} (run {m.sequence}; keep it outside the locker for `verify --head`)")
    for record in m.errors:
        c = record.call
        assert record.error is not None
        click.echo(
            f"  error {c.provider} {c.account} {c.region} {c.service}:{c.operation}: {record.error.message}",
            err=True,
        )
    if collected.errors:
        sys.exit(EXIT_EVIDENCE_ERRORS)


@main.command()
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)), default="table", show_default=True)
@click.option(
    "--fail-on",
    type=click.Choice([f.value for f in FailOn]),
    default="fail",
    show_default=True,
    help="fail: exit 4 on fail or error results; error: only on error results; none: never.",
)
@click.option(
    "--min-severity",
    type=click.Choice([s.value for s in Severity]),
    default="low",
    show_default=True,
    help="Report and gate only results of this severity or higher.",
)
@click.option("--baseline", help="A run id or a JSON report: show only results new or changed since then.")
@click.option("--run", "run_id", help="Evaluate this run instead of the latest complete one.")
@click.option(
    "--framework", help="Only results that evidence this framework's in-scope requirements (e.g. soc2)."
)
@click.option("--output", type=click.Path(path_type=Path), help="Write the report to this file.")
@config_option
def check(
    framework: str | None,
    fmt: str,
    fail_on: str,
    min_severity: str,
    baseline: str | None,
    run_id: str | None,
    output: Path | None,
    config_path: Path | None,
) -> None:
    """Evaluate the latest run and report failing resources; exit 4 at the --fail-on threshold.

    Example: trustctl check --format sarif --output trustctl.sarif --fail-on fail --min-severity high
    """
    config = pipeline.load(config_path)
    report = pipeline.check_report(
        config, run_id=run_id, min_severity=Severity(min_severity), baseline=baseline, framework=framework
    )
    if fmt == "table" and output is None:
        text = render_table(report, color=sys.stdout.isatty())
    else:
        text = FORMATS[fmt](report)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({', '.join(f'{n} {s}' for s, n in report.summary.items())})", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(exit_code(report, FailOn(fail_on)))


def _trusted_key(key: str | None, config_path: Path | None) -> tuple[bytes | str | None, str]:
    """The key a packet must be signed with: --key (a fingerprint or a PEM file), else the configured
    locker's, if any."""
    if key is not None:
        if FINGERPRINT.match(key):
            return key, "--key"
        try:
            return Path(key).read_bytes(), key
        except OSError as e:
            raise UsageError(f"--key {key}: cannot be read ({e.strerror or e}).") from None
    if config_path is None and not Path("trustctl.toml").is_file():
        return None, ""
    locker = pipeline.open_locker(pipeline.load(config_path))
    return locker.public_key_pem(), f"the locker {locker.root}"


def _verify_packet(path: Path, key: str | None, config_path: Path | None) -> None:
    from trustctl.packet.verify import verify_packet

    trusted, source = _trusted_key(key, config_path)
    report = verify_packet(path, trusted, source)
    _report_verification(path, "packet", report.notes, report.problems)
    click.echo(
        f"verified {path}: {report.files} files, {report.runs} signed runs, {report.evidence} evidence objects, "
        f"key {report.key}" + (f" (the trusted key from {source})" if report.trusted else "")
    )


def _report_verification(target: Path, what: str, notes: list[str], problems: list[str]) -> None:
    """Notes on stderr, each problem as `FAILED ...`, and exit 5 if there is any problem."""
    for note in notes:
        click.echo(f"note: {note}", err=True)
    for problem in problems:
        click.echo(f"FAILED {problem}")
    if problems:
        click.echo(f"trustctl: {target}: {len(problems)} problem(s); the {what} does not verify", err=True)
        sys.exit(EXIT_VERIFY_FAILED)


FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")


def _key_fingerprint(key: str) -> str:
    """`--key` as a fingerprint: given as one (sha256:HEX), or read from a public key file."""
    if FINGERPRINT.match(key):
        return key
    path = Path(key)
    try:
        return signing.fingerprint(signing.load_public_key(path.read_bytes()))
    except OSError as e:
        raise UsageError(f"--key {key}: cannot be read ({e.strerror or e}).") from None
    except ValueError as e:
        raise UsageError(f"--key {key}: {e}; give a public key file or a fingerprint (sha256:HEX).") from None


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--key",
    help="The key it must be signed with: a public key file (PEM) or a fingerprint (sha256:HEX, as `init` "
    "printed it). Default: [locker] trusted_keys for the configured locker, its key for a packet.",
)
@click.option(
    "--head",
    help="A chain head recorded earlier (as `collect` printed it): fails if it is no longer in the chain.",
)
@click.option("--min-runs", type=click.IntRange(min=0), help="Fails if the locker holds fewer complete runs.")
@config_option
def verify(
    path: Path | None, key: str | None, head: str | None, min_runs: int | None, config_path: Path | None
) -> None:
    """Recompute every hash, check every stored byte, signature and the hash chain; exit 5 on any problem.
    PATH is a locker directory or an audit packet (packet.zip), checked offline.

    Example: trustctl verify            (the configured locker)
             trustctl verify ./locker --key sha256:3f2a... --head sha256:9c1e...
             trustctl verify packets/soc2-2026-09-30/packet.zip --key acme-public-key.pem
    """
    if head is not None and not FINGERPRINT.match(head if head.startswith("sha256:") else f"sha256:{head}"):
        raise UsageError(f"--head {head}: give the head as `collect` printed it (sha256:HEX).")
    if path is not None and path.suffix == ".zip":
        _verify_packet(path, key, config_path)
        return
    trusted = [_key_fingerprint(key)] if key else None
    config = pipeline.load(config_path) if path is None or config_path is not None else None
    target = path or (config.locker_path if config else Path("."))
    report = pipeline.verify(target, trusted=trusted, config=config, head=head, min_runs=min_runs)
    _report_verification(target, "locker", report.notes, report.problems)
    click.echo(
        f"verified {target}: {report.objects} objects, {report.runs} runs, chain head {report.head}, "
        f"key {report.key}"
    )


@main.group()
def permissions() -> None:
    """Print the least-privilege policy trustctl itself needs."""


@permissions.command("aws")
@click.option(
    "--org-role",
    default="TrustctlAudit",
    show_default=True,
    help="Role name trustctl assumes in member accounts (for the sts:AssumeRole statement).",
)
def permissions_aws(org_role: str) -> None:
    """The read-only IAM policy for trustctl's principal (and, minus the organization statement, its
    role in every member account).

    Example: trustctl permissions aws > trustctl-policy.json
    """
    from trustctl.collectors.aws.runner import ORGANIZATION_PERMISSIONS, required_permissions

    read = [a for a in required_permissions() if a not in ORGANIZATION_PERMISSIONS]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TrustctlReadOnly", "Effect": "Allow", "Action": read, "Resource": "*"},
            {
                "Sid": "TrustctlOrganization",
                "Effect": "Allow",
                "Action": ["organizations:ListAccounts"],
                "Resource": "*",
            },
            {
                "Sid": "TrustctlMemberAccounts",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": f"arn:aws:iam::*:role/{org_role}",
            },
        ],
    }
    click.echo(json.dumps(policy, indent=2))


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


def _control_json(control_id: str) -> dict[str, Any]:
    control = load_catalog().get(control_id)
    checks = [
        {"id": c.id, "severity": c.severity.value, "title": c.title, "fix": c.fix}
        for c in all_checks().values()
        if c.control == control.id
    ]
    return {**control.model_dump(), "checks": checks}


@permissions.command("gcp")
def permissions_gcp() -> None:
    """The role and the permissions trustctl needs on the [gcp] scope (read-only Cloud Asset Inventory).

    Example: trustctl permissions gcp
    """
    from trustctl.collectors.gcp.assets import GCP_PERMISSIONS, ROLES

    click.echo(json.dumps({"roles": list(ROLES), "permissions": list(GCP_PERMISSIONS)}, indent=2))


@main.group()
def controls() -> None:
    """The common controls, with the checks and document kinds that evidence them."""


@controls.command("list")
@format_option
def controls_list(fmt: str) -> None:
    """List every control with its checks and document kinds.

    Example: trustctl controls list --format json
    """
    catalog = load_catalog()
    if fmt == "json":
        click.echo(json.dumps([_control_json(c.id) for c in catalog.controls], indent=2))
        return
    checks = all_checks()
    for control in catalog.controls:
        ids = [c.id for c in checks.values() if c.control == control.id]
        docs = f" documents: {', '.join(control.documents)}" if control.documents else ""
        click.echo(f"{control.id:7} {control.name}  [{', '.join(ids) or 'no automated check'}]{docs}")


@controls.command("show")
@click.argument("control_id")
@format_option
def controls_show(control_id: str, fmt: str) -> None:
    """Show one control: description, checks with severity and fix, document kinds.

    Example: trustctl controls show AC-02
    """
    try:
        data = _control_json(control_id.upper())
    except KeyError:
        raise UsageError(f"unknown control {control_id}; see `trustctl controls list`.") from None
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"{data['id']} {data['name']}\n\n{data['description']}\n")
    for spec in data["checks"]:
        click.echo(f"- {spec['id']} ({spec['severity']}): {spec['title']}\n  fix: {spec['fix']}")
    if data["documents"]:
        click.echo(f"documents: {', '.join(data['documents'])}")


@main.command()
@click.option(
    "--framework",
    "framework_ids",
    multiple=True,
    help="A framework id (repeatable); default: every framework.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "markdown"]), default="table", show_default=True
)
@config_option
def status(framework_ids: tuple[str, ...], fmt: str, config_path: Path | None) -> None:
    """Readiness per framework: each requirement met, partial, not_met, needs_document, no_evidence,
    error or not_applicable, with automated and document evidence counted apart.

    Example: trustctl status --framework soc2 --format markdown
    """
    from trustctl.frameworks.loader import load_frameworks
    from trustctl.reports import status_report

    config = pipeline.load(config_path)
    readiness = pipeline.status(config, list(framework_ids) or list(load_frameworks()))
    if fmt == "json":
        click.echo(status_report.as_json(readiness), nl=False)
    elif fmt == "markdown":
        click.echo(status_report.as_markdown(readiness), nl=False)
    else:
        click.echo(status_report.as_table(readiness, color=sys.stdout.isatty()), nl=False)


@main.command()
@click.option("--framework", "framework_id", required=True, help="The framework to report on, e.g. soc2.")
@click.option(
    "--period",
    "period_text",
    metavar="START..END",
    help="The observation period, ISO dates both included (default: the 90 days ending today, or since the "
    "first run when the locker is younger).",
)
@click.option(
    "--sample", type=click.IntRange(min=0), default=0, show_default=True, help="Dates to sample reproducibly."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: packets/ID-END/.")
@config_option
def packet(
    framework_id: str, period_text: str | None, sample: int, out: Path | None, config_path: Path | None
) -> None:
    """Write the audit packet for one framework and period: packet.pdf, packet.html, results.xlsx,
    packet.json and packet.zip (with the cited evidence, signed manifests, public key and signed SHA256SUMS).

    Example: trustctl packet --framework soc2 --period 2026-07-01..2026-09-30 --sample 25
    """
    from trustctl.packet.build import build_packet

    config = pipeline.load(config_path)
    # The leaver chain goes in when identity evidence exists (an empty chain adds no section).
    try:
        leavers = pipeline.leavers(config)
    except NoEvidenceError:
        leavers = []  # build_packet says what is missing
    built = build_packet(
        config, framework_id, period_text=period_text, sample=sample, out=out, leavers=leavers
    )
    p = built.packet
    click.echo(
        f"{p.framework.name}, period {p.period} ({p.period.days} day(s), {len(p.runs_in_period)} run(s)): "
        + ", ".join(f"{n} {s}" for s, n in p.readiness.counts.items() if n)
    )
    for name, path in built.files.items():
        click.echo(f"  {name:9} {path}")
    click.echo(
        f"  packet.zip holds {built.bundle.files} files ({built.bundle.evidence_objects} evidence objects, "
        f"{built.bundle.bytes // 1024} KiB); check it with: trustctl verify {built.files['zip']}"
    )


@main.command()
@click.option(
    "--pipeline",
    "pipeline_csv",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Deals CSV: deal,amount,probability,close_date,requires (requires: ';'-separated certifications).",
)
@click.option(
    "--preset",
    type=click.Choice(["default", "salesforce", "hubspot"]),
    default="default",
    show_default=True,
    help="Column names of a Salesforce or HubSpot opportunity export.",
)
@click.option("--column", "columns", multiple=True, help="FIELD=HEADER: map a column (repeatable).")
@click.option(
    "--costs", "costs_path", type=click.Path(dir_okay=False, path_type=Path), help="costs.toml overrides."
)
@click.option("--horizon-months", type=click.IntRange(1, 120), default=24, show_default=True)
@click.option("--currency", default="USD", show_default=True, help="Currency of amounts and costs.")
@click.option(
    "--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date the pipeline is as of (default: today)."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown", "html", "pdf"]),
    default="table",
    show_default=True,
)
@click.option("--output", type=click.Path(path_type=Path), help="Write to this file (required for pdf).")
@config_option
def roadmap(
    pipeline_csv: Path,
    preset: str,
    columns: tuple[str, ...],
    costs_path: Path | None,
    horizon_months: int,
    currency: str,
    as_of: Any,
    fmt: str,
    output: Path | None,
    config_path: Path | None,
) -> None:
    """Which certification to pursue next: ROI per certification from the pipeline's demand, the measured
    gap, the cost model and prerequisites, as a sequence with its sensitivity and its model shown.

    Example: trustctl roadmap --pipeline deals.csv --format pdf --output roadmap.pdf
    """
    from trustctl.roadmap import render as roadmap_render
    from trustctl.roadmap.build import build
    from trustctl.roadmap.pipeline_csv import parse_columns

    if fmt == "pdf" and output is None:
        raise UsageError("--format pdf writes a file: give --output roadmap.pdf.")
    config = pipeline.load(config_path)
    result = build(
        config,
        pipeline_csv,
        costs_path=costs_path,
        preset=preset,
        columns=parse_columns(list(columns)),
        horizon_months=horizon_months,
        currency=currency.upper(),
        as_of=as_of.date() if as_of else None,
    )
    if fmt == "pdf":
        assert output is not None
        roadmap_render.as_pdf(result, output, config.organization.name)
        click.echo(f"wrote {output}", err=True)
        return
    if fmt == "table" and output is None:
        text = roadmap_render.as_table(result, color=sys.stdout.isatty())
    elif fmt == "table":
        text = roadmap_render.as_table(result)
    elif fmt == "html":
        text = roadmap_render.as_html(result, config.organization.name)
    else:
        text = {"json": roadmap_render.as_json, "markdown": roadmap_render.as_markdown}[fmt](result)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@main.command("trust-report")
@click.option("--customer", help="A tenant from [[tenants]]: the report for that customer.")
@click.option(
    "--level",
    type=click.Choice(["public", "nda"]),
    default="public",
    show_default=True,
    help="public: areas and statements; nda: adds per-control results (never identifiers).",
)
@click.option(
    "--packet",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The audit packet (packet.zip) whose hash the report cites.",
)
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Directory (default: trust-report)."
)
@config_option
def trust_report(
    customer: str | None, level: str, packet: Path | None, out: Path | None, config_path: Path | None
) -> None:
    """Write trust.html (one self-contained page) and trust.pdf for sales and customers: frameworks,
    control areas in plain language with counts and the date checked, subprocessors and contact. Built
    from aggregates only: no account ids, ARNs, resource or user names, emails, IPs or key ids.

    Example: trustctl trust-report --level nda --packet packets/soc2-2026-11-24/packet.zip
             trustctl trust-report --customer globex
    """
    config = pipeline.load(config_path)
    target = out or Path("trust-report") / (customer or "")
    paths = pipeline.trust_report(
        config,
        target,
        level="nda" if level == "nda" else "public",
        customer=customer,
        packet=packet,
    )
    for name, path in paths.items():
        click.echo(f"{name:5} {path}")


@main.group()
def identity() -> None:
    """People across systems: the deprovisioning chain of every leaver."""


@identity.command("leavers")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
def identity_leavers(fmt: str, config_path: Path | None) -> None:
    """For each leaver: terminated at, and per system whether an account exists, is active, when it was
    deactivated and the delay against policy.deprovision_sla_hours. Exits 4 when any leaver still has
    access or lost it late.

    Example: trustctl identity leavers --format json
    """
    config = pipeline.load(config_path)
    chain = pipeline.leavers(config)
    click.echo(leaver_json(chain) if fmt == "json" else leaver_table(chain), nl=False)
    if any(e["sla_met"] is False for leaver in chain for e in leaver["systems"]):
        sys.exit(EXIT_FAILING)


@main.group()
def docs() -> None:
    """Document evidence: policies, training records, pen-test reports, board minutes..."""


@docs.command("add")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--kind", required=True, help="Document kind, e.g. policy, training-record, pen-test-report.")
@click.option("--control", required=True, help="The common control it evidences, e.g. GOV-01.")
@click.option(
    "--requirement",
    "requirements",
    multiple=True,
    help="A framework requirement it evidences directly, e.g. soc2:CC1.3 (repeatable).",
)
@click.option("--owner", required=True, help="Who owns and approved the document.")
@click.option("--approved", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Approval date.")
@click.option("--review-every", default="365d", show_default=True, help="Review interval: 365d, 12m, 1y...")
@config_option
def docs_add(
    file: Path,
    kind: str,
    control: str,
    requirements: tuple[str, ...],
    owner: str,
    approved: Any,
    review_every: str,
    config_path: Path | None,
) -> None:
    """Hash a document into the locker (a signed run of its own) with its metadata.

    Example: trustctl docs add policy.pdf --kind policy --control GOV-01 --owner ciso@acme.example
    --approved 2026-09-01 --review-every 365d
    """
    config = pipeline.load(config_path)
    document = pipeline.add_document(
        config,
        file,
        kind=kind,
        control=control.upper(),
        requirements=list(requirements),
        owner=owner,
        approved=approved.date(),
        review_every=review_every,
    )
    click.echo(
        f"added {document.name} ({document.sha256}) for {document.control} as {document.kind}; "
        f"review by {document.review_by}"
    )


@docs.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
def docs_list(fmt: str, config_path: Path | None) -> None:
    """List document evidence with its state: fresh, due (within 30 days of review) or expired; a document
    an earlier version stored out of bounds is listed as invalid (it counts as expired), with why.

    Example: trustctl docs list
    """
    from datetime import UTC, datetime

    today = datetime.now(UTC).date()
    locker = pipeline.open_locker(pipeline.load(config_path))
    found = read_documents(locker, locker.document_runs())
    for problem in found.problems:
        click.echo(f"note: {problem}", err=True)

    def state(d: Document) -> str:
        return "invalid" if d.problem else d.state(today)

    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        **d.model_dump(mode="json"),
                        "review_by": d.review_by.isoformat(),
                        "state": state(d),
                        **({"problem": d.problem} if d.problem else {}),
                    }
                    for d in found.documents
                ],
                indent=2,
            )
        )
        return
    if not found.documents:
        click.echo("no documents yet; add one with `trustctl docs add`")
    for d in found.documents:
        click.echo(
            f"{state(d):8} {d.control:7} {d.kind:22} {d.name}  owner {d.owner}, "
            f"approved {d.approved}, review by {d.review_by}" + (f" ({d.problem})" if d.problem else "")
        )


@main.group()
def export() -> None:
    """Export assessment results in standard formats (OSCAL)."""


@export.command("oscal")
@click.option("--framework", "framework_id", required=True, help="The framework to report on, e.g. soc2.")
@click.option("--output", type=click.Path(path_type=Path), help="Write to this file (default: stdout).")
@config_option
def export_oscal(framework_id: str, output: Path | None, config_path: Path | None) -> None:
    """An OSCAL assessment-results document: observations from the evidence, a finding per requirement.

    Example: trustctl export oscal --framework soc2 --output soc2-assessment-results.json
    """
    from trustctl.reports import oscal

    config = pipeline.load(config_path)
    [readiness] = pipeline.status(config, [framework_id])
    manifest = pipeline.latest_evidence(pipeline.open_locker(config))
    results = pipeline.assess(config, manifest).results
    text = oscal.render(
        readiness,
        results,
        run_id=manifest.run_id,
        completed_at=manifest.completed_at,
        tool_version=__version__,
        organization=config.organization.name,
    )
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


@main.group()
def frameworks() -> None:
    """The framework catalogs (SOC 2, SOC 3, ISO/IEC 27001:2022, HIPAA Security, FERPA)."""


@frameworks.command("list")
@format_option
def frameworks_list(fmt: str) -> None:
    """List the frameworks with their kind and number of requirements.

    Example: trustctl frameworks list
    """
    from trustctl.frameworks.loader import load_frameworks

    rows = [
        {
            "id": f.id,
            "name": f.name,
            "version": f.version,
            "kind": f.kind,
            "requirements": len(f.requirements),
        }
        for f in load_frameworks().values()
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['id']:16} {row['name']} ({row['version']}): {row['kind']}, "
            f"{row['requirements']} requirements"
        )


@frameworks.command("show")
@click.argument("framework_id")
@format_option
def frameworks_show(framework_id: str, fmt: str) -> None:
    """Show a framework's requirements with the controls (and coverage) and documents behind each.

    Example: trustctl frameworks show soc2 --format json
    """
    from trustctl.frameworks.loader import get_framework

    framework = get_framework(framework_id)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "id": framework.id,
                    "name": framework.name,
                    "version": framework.version,
                    "requirements": [
                        {
                            "id": r.id,
                            "name": r.name,
                            "controls": [link.model_dump() for link in r.controls],
                            "documents": r.documents,
                        }
                        for r in framework.requirements
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(f"{framework.name} ({framework.version}), {framework.kind}\n{framework.description}\n")
    for r in framework.requirements:
        links = ", ".join(f"{link.id} ({link.coverage})" for link in r.controls) or "-"
        docs = ", ".join(r.documents) or "-"
        click.echo(f"{r.id:22} {r.name}\n{'':22} controls: {links}; documents: {docs}")


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("trustctl-demo"),
    show_default=True,
    help="Directory for the demo's config, locker and reports (replaced if it holds a previous demo).",
)
def demo(out: Path) -> None:
    """Run the whole pipeline on the embedded sample company (a local moto server, two AWS accounts).

    Example: trustctl demo --out /tmp/trustctl-demo
    """
    from trustctl.demo.run import run_demo

    with StderrProgress() as progress:
        outcome = run_demo(out, progress)
    click.echo(outcome.table, nl=False)
    program = sys.argv[0] if sys.argv[0].endswith("trustctl") else "trustctl"
    click.echo(outcome.describe(program))


if __name__ == "__main__":
    main()
