"""Commands that write or check the locker: init, collect, verify, docs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from trustctl import pipeline
from trustctl.cli.base import config_option, lazy_module, main
from trustctl.console import StderrProgress
from trustctl.errors import EXIT_EVIDENCE_ERRORS, EXIT_VERIFY_FAILED, UsageError

if TYPE_CHECKING:
    from trustctl.reports import catalog as catalog_report
else:
    catalog_report = lazy_module("trustctl.reports.catalog")


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


PROVIDERS = ("aws", "gcp", "identity")


def _providers_and_exports(
    words: tuple[str, ...], exports: tuple[Path, ...]
) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """Click options take one value each, so in `--export A B` the B arrives as an argument: with
    --export given, arguments that are not provider names are further export files (the CLI contract's
    `--export FILE [FILE...]`); without it they are refused like any unknown provider."""
    extra = tuple(Path(w) for w in words if w not in PROVIDERS)
    if extra and not exports:
        raise click.BadParameter(
            f"{str(extra[0])!r} is not one of {', '.join(map(repr, PROVIDERS))}.",
            param_hint="'[PROVIDERS]...'",
        )
    for path in extra:
        if path.is_dir():
            raise click.BadParameter(
                f"{str(path)!r} is a directory, not an export file.", param_hint="'--export'"
            )
    return tuple(w for w in words if w in PROVIDERS), exports + extra


@main.command()
@click.argument("providers", nargs=-1, metavar="[aws|gcp|identity]...")
@click.option("--regions", help="Comma-separated regions, overriding [aws] regions.")
@click.option(
    "--export",
    "exports",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="With gcp: import Cloud Asset Inventory export files instead of calling the API "
    "(`--export A.json B.json`, or the flag repeated).",
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
             trustctl collect gcp --export resources.json iam-policies.json
             trustctl collect identity
    """
    providers, exports = _providers_and_exports(providers, exports)
    if exports and "gcp" not in providers:
        raise UsageError(
            "--export imports GCP Cloud Asset Inventory exports: use `trustctl collect gcp --export FILE`."
        )
    config = pipeline.load(config_path)
    chosen = pipeline.providers_to_collect(config, list(providers))
    config = pipeline.with_aws_overrides(config, regions, org_role)
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


def _report_verification(target: Path, what: str, notes: list[str], problems: list[str]) -> None:
    """Notes on stderr, each problem as `FAILED ...`, and exit 5 if there is any problem."""
    for note in notes:
        click.echo(f"note: {note}", err=True)
    for problem in problems:
        click.echo(f"FAILED {problem}")
    if problems:
        click.echo(f"trustctl: {target}: {len(problems)} problem(s); the {what} does not verify", err=True)
        sys.exit(EXIT_VERIFY_FAILED)


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
    pipeline.check_head(head)
    if path is not None and path.suffix == ".zip":
        configured = config_path is not None or Path("trustctl.toml").is_file()
        packet, source = pipeline.verify_packet(path, key, pipeline.load(config_path) if configured else None)
        _report_verification(path, "packet", packet.notes, packet.problems)
        click.echo(
            f"verified {path}: {packet.files} files, {packet.runs} signed runs, {packet.evidence} evidence "
            f"objects, key {packet.key}" + (f" (the trusted key from {source})" if packet.trusted else "")
        )
        return
    trusted = [pipeline.key_fingerprint(key)] if key else None
    config = pipeline.load(config_path) if path is None or config_path is not None else None
    target = path or (config.locker_path if config else Path("."))
    report = pipeline.verify(target, trusted=trusted, config=config, head=head, min_runs=min_runs)
    _report_verification(target, "locker", report.notes, report.problems)
    click.echo(
        f"verified {target}: {report.objects} objects, {report.runs} runs, chain head {report.head}, "
        f"key {report.key}"
    )


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

    found = pipeline.read_documents(pipeline.load(config_path))
    for problem in found.problems:
        click.echo(f"note: {problem}", err=True)
    click.echo(catalog_report.documents_list(found.documents, datetime.now(UTC).date(), fmt), nl=False)
