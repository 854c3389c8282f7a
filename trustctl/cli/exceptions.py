"""`trustctl exception respond|list`: management's responses to exceptions, signed into the locker."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from trustctl import pipeline
from trustctl.cli.base import config_option, format_option, lazy_module, main

if TYPE_CHECKING:
    from trustctl.reports import catalog as catalog_report
else:
    catalog_report = lazy_module("trustctl.reports.catalog")


@main.group()
def exception() -> None:
    """Management's responses to exceptions (failing or waived findings), for the audit packet."""


@exception.command("respond")
@click.argument("check")
@click.argument("resource")
@click.option(
    "--text", required=True, help="Management's response: cause, remediation, or why it is accepted."
)
@click.option("--owner", required=True, help="The email address of who owns the response.")
@config_option
def exception_respond(check: str, resource: str, text: str, owner: str, config_path: Path | None) -> None:
    """Store management's response to the failing or waived results of CHECK on RESOURCE (a resource as
    `trustctl check` lists it, or a pattern with * and ?) as a signed run of its own. A later response to
    the same CHECK and RESOURCE supersedes the earlier one; both stay in the locker.

    Exits 1, writing nothing, for an unknown CHECK or a RESOURCE matching no failing or waived result of
    it in the latest evidence.

    Example: trustctl exception respond aws.iam.admin_access 'arn:aws:iam::*:role/BreakGlass'
    --text "Break-glass role; use is alerted and reviewed weekly" --owner ciso@acme.example
    """
    config = pipeline.load(config_path)
    stored, replaced = pipeline.respond_to_exception(config, check, resource, text=text, owner=owner)
    r = stored.response
    click.echo(
        f"responded to {len(r.findings)} finding(s) of {r.check} on {r.resource} ({stored.digest}), "
        f"owner {r.owner}; run {stored.run_id}"
    )
    for old in replaced:
        click.echo(f"supersedes {old.digest} of {old.response.responded_at}")


@exception.command("list")
@format_option
@config_option
def exception_list(fmt: str, config_path: Path | None) -> None:
    """List management's responses to exceptions, oldest first, each standing or superseded.

    Example: trustctl exception list --format json
    """
    found = pipeline.read_responses(pipeline.load(config_path))
    for problem in found.problems:
        click.echo(f"note: {problem}", err=True)
    click.echo(catalog_report.responses_list(found.responses, fmt), nl=False)
