"""Write a trust report: one self-contained HTML page (inline CSS and SVG, no external requests) and
the same page as a PDF."""

from __future__ import annotations

from pathlib import Path

from trustctl.render.pdf import write_pdf
from trustctl.render.templates import render
from trustctl.trust.model import TrustReport


def as_html(report: TrustReport) -> str:
    return render("trust.html.j2", r=report)


def write(report: TrustReport, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    html = as_html(report)
    paths = {"html": out / "trust.html", "pdf": out / "trust.pdf"}
    paths["html"].write_text(html, encoding="utf-8")
    write_pdf(html, paths["pdf"])
    return paths
