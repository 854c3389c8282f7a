"""The trust center as a static site (`trustctl trust-report --site DIR`).

Pages, all at the public level (what is in place, no counts, no percentages, no identifiers) and linked
relatively, so the directory works from file:// and from any host:

    index.html          certifications with the honest word, areas in place, last verified, contact
    areas/KEY.html      one page per control area in place: its statements and the criteria it maps to
    documents.html      every document in force by title, kind and date (never its content), with a
                        request-access link
    documents/index.html the page a share link opens: checks the token in the browser and lists what
                        it grants, each linked as documents/NAME?token=...
    verify.html         the verifier page of `trustctl trust-share page`
    DEPLOY.md           plain static hosting, S3 + CloudFront, and what a static host cannot enforce
    edge/documents-gate.js  a Lambda@Edge viewer-request function that refuses documents/NAME without a
                        valid, unexpired token granting NAME (the one enforcement a CDN can do)

No document's content is ever written here: the files are uploaded behind the gate, or sent by hand to
a recipient whose link checks out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from trustctl.controls.results import Result, Status
from trustctl.errors import InputError
from trustctl.frameworks.readiness import Readiness
from trustctl.render.templates import render
from trustctl.trust.model import Area, LibraryDocument, TrustReport, area_of, statement_lines

MARKER = ".trustctl-site"  # a directory holding it was written by --site and may be rewritten
AREAS_DIR = "areas"
GATE = "edge/documents-gate.js"


@dataclass(frozen=True)
class AreaPage:
    area: Area
    path: str  # relative to the site's root: "areas/access.html"
    mapped: dict[
        str, list[str]
    ]  # framework name -> requirement ids the controls of its shown statements evidence


@dataclass(frozen=True)
class Site:
    report: TrustReport  # the public level
    areas: list[AreaPage]
    documents: list[LibraryDocument]
    key: dict[str, str]  # the verifier's context: organization, the public key in every form, key id


def build_site(
    report: TrustReport,
    documents: list[LibraryDocument],
    readiness: list[Readiness],
    results: list[Result],
    key: dict[str, str],
) -> Site:
    """The site from a public report: a page per area it shows, each with the criteria it maps to."""
    if report.level != "public" or report.customer is not None:
        raise ValueError("the trust center site is built from the public report only")
    # The controls behind the statements the site shows: those that hold for everything they cover.
    judged = [r for r in results if r.status is not Status.NOT_APPLICABLE]
    shown = {check for check, line in statement_lines(judged).items() if line.ok and line.total}
    controls: dict[str, set[str]] = {}
    for r in judged:
        where = area_of(r)
        if where is not None and r.check in shown:
            controls.setdefault(where, set()).add(r.control)
    pages = []
    for area in report.shown_areas:
        mine = controls.get(area.key, set())
        mapped = {
            r.framework.name: ids
            for r in readiness
            if (ids := [q.id for q in r.requirements if any(c.id in mine for c in q.controls)])
        }
        pages.append(AreaPage(area, f"{AREAS_DIR}/{area.key}.html", mapped))
    return Site(report, pages, documents, key)


def pages(site: Site) -> dict[str, str]:
    """Relative path -> the text of every file of the site."""
    common = {"r": site.report, "site": site, "areas": site.areas}
    files = {
        "index.html": render("trust_site_index.html.j2", root="", current="index", **common),
        "documents.html": render("trust_site_documents.html.j2", root="", current="documents", **common),
        "documents/index.html": render(
            "trust_site_access.html.j2", root="../", current="access", **common, **site.key
        ),
        "verify.html": render("trust_verify.html.j2", home="index.html", **site.key),
        "DEPLOY.md": render("trust_site_deploy.md.j2", **common, **site.key),
        GATE: render("trust_site_gate.js.j2", **site.key),
    }
    for page in site.areas:
        files[page.path] = render("trust_site_area.html.j2", root="../", current="area", page=page, **common)
    return files


def check_target(out: Path) -> Path:
    """Refuse a directory the site may not write into (before any work); its marker file's path."""
    marker = out / MARKER
    if out.exists():
        if not out.is_dir():
            raise InputError(f"--site {out}: exists and is not a directory; choose another --site.")
        if any(out.iterdir()) and not marker.is_file():
            raise InputError(
                f"--site {out}: exists, is not empty and was not written by `trust-report --site`; "
                "nothing was changed. Choose an empty or new directory."
            )
    return marker


def write(site: Site, out: Path) -> list[Path]:
    """Write the site into `out`: a new or empty directory, or one a previous --site wrote. The files
    that run wrote and this one does not (an area no longer in place) are removed; nothing else is."""
    marker = check_target(out)
    files = pages(site)
    previous = marker.read_text(encoding="utf-8").splitlines()[1:] if marker.is_file() else []
    for relative in previous:
        old = out / relative
        if relative not in files and _ours(relative) and old.is_file() and not old.is_symlink():
            old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for relative, text in files.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    marker.write_text(
        "written by `trustctl trust-report --site`; these files are rewritten on the next run:\n"
        + "".join(f"{relative}\n" for relative in files),
        encoding="utf-8",
    )
    return written


def _ours(relative: str) -> bool:
    """A path the site writes (a listed name never leads out of the directory)."""
    parts = Path(relative).parts
    return (
        bool(parts)
        and ".." not in parts
        and not Path(relative).is_absolute()
        and relative.endswith((".html", ".md", ".js"))
    )
