"""`trustctl trust-share [verify|list|page]`: signed per-recipient links to the trust center's documents."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from trustctl import pipeline
from trustctl.cli.base import _emit, config_option, format_option, lazy_module, main
from trustctl.errors import UsageError

if TYPE_CHECKING:
    from trustctl.trust import share as share_report
else:
    share_report = lazy_module("trustctl.trust.share")


@main.group("trust-share", invoke_without_command=True)
@click.option("--to", "to", help="The recipient's email address.")
@click.option("--expires", help="How long the link is valid: 12h, 30d, 2w (at most 90 days).")
@click.option("--nda-accepted", is_flag=True, help="The recipient accepted the NDA (required).")
@click.option(
    "--document",
    "documents",
    multiple=True,
    help="A document's name as `trustctl docs list` shows it (repeatable; default: all documents).",
)
@click.option(
    "--base-url", help="The address the trust center is served from, e.g. https://trust.example.com."
)
@config_option
@click.pass_context
def trust_share(
    ctx: click.Context,
    to: str | None,
    expires: str | None,
    nda_accepted: bool,
    documents: tuple[str, ...],
    base_url: str | None,
    config_path: Path | None,
) -> None:
    """Print a link to the trust center's documents for one recipient, carrying a token signed with the
    locker's Ed25519 key that expires, and record the share (never the token) as a signed run.

    Exits 2, writing nothing, without --nda-accepted, --to, --expires or --base-url, or for an expiry
    over 90 days; exits 1 for a --document not in the locker.

    Example: trustctl trust-share --to buyer@globex.example --expires 30d --nda-accepted
    --base-url https://trust.acme.example
    """
    if ctx.invoked_subcommand is not None:
        if to or expires or nda_accepted or documents or base_url:
            raise UsageError(
                f"trust-share {ctx.invoked_subcommand}: give the share options without a subcommand."
            )
        return
    if not to or not expires:
        raise UsageError("trust-share: give --to EMAIL and --expires (e.g. 30d).")
    config = pipeline.load(config_path)
    shared = pipeline.share_documents(
        config,
        to=to,
        expires=expires,
        nda_accepted=nda_accepted,
        documents=list(documents),
        base_url=base_url,
    )
    r = shared.record
    docs = r.documents if r.documents == share_report.ALL else ", ".join(r.documents)
    click.echo(
        f"shared {docs} with {r.recipient} until {r.expires_at}, id {r.id}; run {shared.run_id}", err=True
    )
    click.echo(shared.link)


@trust_share.command("verify")
@click.argument("link")
@click.option(
    "--key", type=click.Path(path_type=Path), help="The public-key.pem to check with (default: the locker's)."
)
@config_option
def trust_share_verify(link: str, key: Path | None, config_path: Path | None) -> None:
    """Check that LINK (or its token) was signed by the key and has not expired; print what it grants.

    Exits 5 when the signature does not verify (changed, or another key) or the link has expired.

    Example: trustctl trust-share verify 'https://trust.acme.example/documents/?token=...' --key public-key.pem
    """
    p = pipeline.verify_share(link, key, config_path)
    docs = p.docs if p.docs == share_report.ALL else ", ".join(p.docs)
    left = p.expires_at - datetime.now(UTC)
    click.echo(
        f"valid: {docs} for {p.to}, NDA accepted, issued {p.iat}, expires {p.exp} "
        f"(in {left.days} day(s)), id {p.id}, key {p.kid}"
    )


@trust_share.command("list")
@format_option
@config_option
def trust_share_list(fmt: str, config_path: Path | None) -> None:
    """List every share recorded in the locker, oldest first: recipient, documents, expiry, id.

    Example: trustctl trust-share list --format json
    """
    found = pipeline.read_shares(pipeline.load(config_path))
    for problem in found.problems:
        click.echo(f"note: {problem}", err=True)
    click.echo(share_report.shares_list(found.shares, datetime.now(UTC), fmt), nl=False)


@trust_share.command("page")
@click.option(
    "--output", "-o", type=click.Path(path_type=Path), help="Write verify.html here (default: stdout)."
)
@config_option
def trust_share_page(output: Path | None, config_path: Path | None) -> None:
    """Render verify.html: a static page that checks a link in the browser with the locker's public key
    (WebCrypto Ed25519), and says how to check it with openssl where the browser cannot.

    Example: trustctl trust-share page --output site/verify.html
    """
    _emit(pipeline.verifier_page(pipeline.load(config_path)), output)
