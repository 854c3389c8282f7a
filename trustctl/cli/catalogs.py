"""Commands that describe trustctl itself: permissions, controls, frameworks, and the demo."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from trustctl.cli.base import format_option, lazy_module, main
from trustctl.console import StderrProgress

if TYPE_CHECKING:
    from trustctl.reports import catalog as catalog_report
else:
    catalog_report = lazy_module("trustctl.reports.catalog")


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
    from trustctl.collectors.permissions import aws_policy

    click.echo(json.dumps(aws_policy(org_role), indent=2))


@permissions.command("gcp")
def permissions_gcp() -> None:
    """The role and the permissions trustctl needs on the [gcp] scope (read-only Cloud Asset Inventory).

    Example: trustctl permissions gcp
    """
    from trustctl.collectors.permissions import gcp_grants

    click.echo(json.dumps(gcp_grants(), indent=2))


@main.group()
def controls() -> None:
    """The common controls, with the checks and document kinds that evidence them."""


@controls.command("list")
@format_option
def controls_list(fmt: str) -> None:
    """List every control with its checks and document kinds.

    Example: trustctl controls list --format json
    """
    click.echo(catalog_report.controls_list(fmt), nl=False)


@controls.command("show")
@click.argument("control_id")
@format_option
def controls_show(control_id: str, fmt: str) -> None:
    """Show one control: description, checks with severity and fix, document kinds.

    Example: trustctl controls show AC-02
    """
    click.echo(catalog_report.control_show(control_id, fmt), nl=False)


@main.group()
def frameworks() -> None:
    """The framework catalogs (SOC 2, SOC 3, ISO/IEC 27001:2022, HIPAA Security, FERPA)."""


@frameworks.command("list")
@format_option
def frameworks_list(fmt: str) -> None:
    """List the frameworks with their kind and number of requirements.

    Example: trustctl frameworks list
    """
    click.echo(catalog_report.frameworks_list(fmt), nl=False)


@frameworks.command("show")
@click.argument("framework_id")
@format_option
def frameworks_show(framework_id: str, fmt: str) -> None:
    """Show a framework's requirements with the controls (and coverage) and documents behind each.

    Example: trustctl frameworks show soc2 --format json
    """
    click.echo(catalog_report.framework_show(framework_id, fmt), nl=False)


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("trustctl-demo"),
    show_default=True,
    help="Directory for the demo's config, locker and reports (replaced if it holds a previous demo).",
)
@click.option(
    "--days",
    type=click.IntRange(min=2, max=90),
    default=90,
    show_default=True,
    help="Days of history ending today (people and GCP daily, AWS weekly and today); fewer run faster.",
)
def demo(out: Path, days: int) -> None:
    """Run the whole pipeline on the embedded sample company (a local moto server, three AWS accounts)
    over a history of runs ending today, and write its reports, audit packet and roadmap.

    Example: trustctl demo --out /tmp/trustctl-demo
    """
    from trustctl.demo.run import run_demo

    with StderrProgress() as progress:
        outcome = run_demo(out, progress, days=days)
    click.echo(outcome.table, nl=False)
    program = sys.argv[0] if sys.argv[0].endswith("trustctl") else "trustctl"
    click.echo(outcome.describe(program))
