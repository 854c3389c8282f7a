"""Commands that render the assessment: check, status, packet, roadmap, trust-report, identity, export."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from trustctl import pipeline
from trustctl.cli.base import _emit, config_option, main
from trustctl.console import stage_printer
from trustctl.controls.results import Severity
from trustctl.errors import EXIT_FAILING, UsageError
from trustctl.reports.check_report import FailOn, exit_code
from trustctl.reports.formats import FORMATS, LOCATED, inventory
from trustctl.reports.formats import render as render_format
from trustctl.reports.formats.table import render as render_table
from trustctl.reports.leavers import as_json as leaver_json
from trustctl.reports.leavers import as_table as leaver_table


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
@click.option(
    "--baseline",
    help="A run id (the state as of that run, every provider) or a previous JSON report: report and gate only "
    "results new or changed since then; resolved findings are listed.",
)
@click.option(
    "--run",
    "run_id",
    help="Evaluate the state as of this run (every provider's latest evidence then) instead of the latest.",
)
@click.option(
    "--framework", help="Only results that evidence this framework's in-scope requirements (e.g. soc2)."
)
@click.option("--output", type=click.Path(path_type=Path), help="Write the report to this file.")
@click.option(
    "--inventory",
    "inventory_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(inventory.DEFAULT_PATH),
    show_default=True,
    help="With sarif or gitlab-sast: also write the resource inventory the findings point at (one line per "
    "resource), here, relative to the repository root CI uploads from.",
)
@click.option(
    "--also",
    multiple=True,
    metavar="FORMAT=FILE",
    help="Also write the same report in FORMAT to FILE (repeatable): every format from one evaluation.",
)
@config_option
def check(
    framework: str | None,
    fmt: str,
    fail_on: str,
    min_severity: str,
    baseline: str | None,
    run_id: str | None,
    output: Path | None,
    inventory_path: Path,
    also: tuple[str, ...],
    config_path: Path | None,
) -> None:
    """Evaluate the latest run and report failing resources; exit 4 at the --fail-on threshold.

    Example: trustctl check --format sarif --output trustctl.sarif --fail-on fail --min-severity high
             trustctl check --format markdown --baseline check-main.json
             trustctl check --format markdown --output check.md --also json=check.json --also sarif=check.sarif
    """
    extra = [_format_and_file(value) for value in also]
    config = pipeline.load(config_path)
    report = pipeline.check_report(
        config, run_id=run_id, min_severity=Severity(min_severity), baseline=baseline, framework=framework
    )
    uri = Path(os.path.relpath(inventory_path.absolute())).as_posix()
    if {fmt, *(f for f, _ in extra)} & set(LOCATED):
        _emit(inventory.render(report), inventory_path)
    for extra_fmt, path in extra:
        _emit(render_format(extra_fmt, report, uri), path)
    if fmt == "table" and output is None:
        text = render_table(report, color=sys.stdout.isatty())
    else:
        text = render_format(fmt, report, uri)
    _emit(text, output, f" ({', '.join(f'{n} {s}' for s, n in report.summary.items())})")
    sys.exit(exit_code(report, FailOn(fail_on)))


def _format_and_file(value: str) -> tuple[str, Path]:
    fmt, sep, path = value.partition("=")
    if not sep or fmt not in FORMATS or not path:
        raise UsageError(
            f"--also {value}: expected FORMAT=FILE with FORMAT one of {', '.join(FORMATS)} "
            "(e.g. --also sarif=trustctl.sarif)."
        )
    return fmt, Path(path)


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
    "--sample",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Rows to sample from each population, and dates from the period (more than there are is an error).",
)
@click.option(
    "--sample-seed",
    metavar="SEED",
    help="Draw the samples reproducibly from a seed the auditor supplies (default: derived from the framework "
    "and period by trustctl, not independent of the company).",
)
@click.option(
    "--samples",
    "samples_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The auditor's selection: a CSV with columns population,row (row ids of populations/ID.csv) or "
    "population,date (population 'dates').",
)
@click.option(
    "--sampled-by", metavar="TEXT", help="Who supplied --sample-seed or --samples (recorded in the packet)."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Default: packets/ID-END/.")
@config_option
def packet(
    framework_id: str,
    period_text: str | None,
    sample: int,
    sample_seed: str | None,
    samples_file: Path | None,
    sampled_by: str | None,
    out: Path | None,
    config_path: Path | None,
) -> None:
    """Write the audit packet for one framework and period: packet.pdf, packet.html, results.xlsx,
    packet.json, populations/ID.csv and packet.zip (with the cited evidence, signed manifests, public key
    and signed SHA256SUMS).

    Example: trustctl packet --framework soc2 --period 2026-07-01..2026-09-30 --sample 25
    --sample-seed 8271 --sampled-by "Jane Roe, Example Audit LLP"
    """
    config = pipeline.load(config_path)
    built = pipeline.packet(
        config,
        framework_id,
        period_text=period_text,
        sample=sample,
        sample_seed=sample_seed,
        samples_file=samples_file,
        sampled_by=sampled_by,
        out=out,
        stage=stage_printer(),
    )
    p = built.packet
    click.echo(
        f"{p.framework.name}, period {p.period} ({p.period.days} day(s), {len(p.runs_in_period)} run(s)): "
        + ", ".join(f"{n} {s}" for s, n in p.readiness.counts.items() if n)
    )
    for name, path in built.files.items():
        click.echo(f"  {name:9} {path}")
    listed = ", ".join(
        f"{q.id} {len(q.rows)}" if q.collected else f"{q.id} not collected" for q in p.populations
    )
    click.echo(f"  populations ({built.out / 'populations'}): {listed}")
    if p.sampling is not None and (p.sampling.rows or p.sampling.dates):
        click.echo(f"  samples: {p.sampling.statement}")
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
@click.option(
    "--closed-deals",
    "closed_deals_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Won and lost deals CSV: deal,amount,outcome,close_date,requires,loss_reason (recurring demand).",
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
    closed_deals_path: Path | None,
    horizon_months: int,
    currency: str,
    as_of: Any,
    fmt: str,
    output: Path | None,
    config_path: Path | None,
) -> None:
    """Which certification to pursue next: candidate roadmaps valued on the pipeline's demand (with slips,
    Type I bridges and recurring demand), the measured gap, the cost model and prerequisites; the
    recommended one explained step by step, with a seeded Monte Carlo's confidence and its model shown.

    Example: trustctl roadmap --pipeline deals.csv --closed-deals closed_deals.csv --format pdf --output roadmap.pdf
    """
    from trustctl.roadmap import render as roadmap_render
    from trustctl.roadmap.pipeline_csv import parse_columns

    if fmt == "pdf" and output is None:
        raise UsageError("--format pdf writes a file: give --output roadmap.pdf.")
    config = pipeline.load(config_path)
    result = pipeline.roadmap(
        config,
        pipeline_csv,
        costs_path=costs_path,
        preset=preset,
        columns=parse_columns(list(columns)),
        horizon_months=horizon_months,
        currency=currency.upper(),
        as_of=as_of.date() if as_of else None,
        closed_deals_path=closed_deals_path,
    )
    if fmt == "pdf":
        assert output is not None
        roadmap_render.as_pdf(result, output, config.organization.name)
        click.echo(f"wrote {output}", err=True)
        return
    color = fmt == "table" and output is None and sys.stdout.isatty()
    _emit(roadmap_render.as_text(result, fmt, config.organization.name, color), output)


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
@click.option(
    "--site",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the static trust center (public level) into this directory instead.",
)
@config_option
def trust_report(
    customer: str | None,
    level: str,
    packet: Path | None,
    out: Path | None,
    site: Path | None,
    config_path: Path | None,
) -> None:
    """Write trust.html (one self-contained page) and trust.pdf for sales and customers: frameworks,
    control areas in plain language with counts and the date checked, subprocessors and contact. Built
    from aggregates only: no account ids, ARNs, resource or user names, emails, IPs or key ids.

    With --site DIR, write the static trust center instead (public level only): index.html, a page per
    control area, documents.html (titles and dates, never content), documents/index.html (the page a
    `trust-share` link opens), verify.html, DEPLOY.md and edge/documents-gate.js. Exits 2 with --customer,
    --level nda or --out; 1 when DIR holds other files.

    Example: trustctl trust-report --level nda --packet packets/soc2-2026-11-24/packet.zip
             trustctl trust-report --customer globex
             trustctl trust-report --site site
    """
    if site is not None:
        if customer or level == "nda" or out:
            raise UsageError(
                "trust-report --site: the site is public; leave out --customer, --level nda and --out."
            )
        written = pipeline.trust_site(pipeline.load(config_path), site, packet=packet)
        click.echo(f"site  {written[0]} ({len(written)} files; see {site / 'DEPLOY.md'})")
        return
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
    config = pipeline.load(config_path)
    _emit(pipeline.export_oscal(config, framework_id), output)
