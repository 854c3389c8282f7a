"""The packet as one self-contained HTML page (inline CSS and SVG) and, through weasyprint, a PDF."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from markupsafe import Markup, escape

from trustctl.controls.catalog import load_catalog
from trustctl.controls.results import Result
from trustctl.packet import charts
from trustctl.packet.model import FAILING_CAP, Packet
from trustctl.render.pdf import write_pdf
from trustctl.render.templates import render
from trustctl.timeutil import parse_utc

TEMPLATE = "packet.html.j2"


def when(moment: datetime | None) -> str:
    """The packet's one time format: `YYYY-MM-DD HH:MM UTC`."""
    return "-" if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def when_text(text: str | None) -> str:
    return "-" if not text else when(parse_utc(text))


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def css_string(text: str) -> str:
    """A CSS string literal (for @page margin boxes), safe inside <style>."""
    return json.dumps(text, ensure_ascii=False).replace("<", "\\3C ")


def reason(result: Result) -> str:
    """A result's reason without the resource it starts with (the row shows the resource beside it)."""
    text, resource = result.reason, result.resource
    if not resource or not text.startswith(resource):
        return text
    rest = text[len(resource) :].lstrip(": ").lstrip()
    if text[len(resource) :].startswith(":"):
        return rest[:1].upper() + rest[1:]
    return f"This resource {rest}" if rest else text


def code(text: str) -> Markup:
    """Plain text with its `backtick` spans set as code, everything else escaped."""
    parts = escape(text).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def render_html(packet: Packet) -> str:
    counts = Counter(r.status.value for r in packet.results)
    catalog = load_catalog()
    return render(
        TEMPLATE,
        p=packet,
        cap=FAILING_CAP,
        charts={
            "readiness": charts.readiness_chart(packet.readiness),
            "timeline": charts.coverage_timeline(packet.period, packet.coverage),
        },
        control_names={c.id: c.name for c in catalog.controls},
        result_counts={s: counts[s] for s in ("pass", "fail", "error", "not_applicable", "waived")},
        strip=charts.strip,
        when=when,
        when_text=when_text,
        percent=percent,
        reason=reason,
        code=code,
        css_string=css_string,
    )


def write(packet: Packet, out: Path) -> tuple[Path, Path]:
    """Write packet.html and packet.pdf into `out`."""
    html = render_html(packet)
    html_path = out / "packet.html"
    html_path.write_text(html, encoding="utf-8")
    return html_path, write_pdf(html, out / "packet.pdf")
