"""Shared rendering: HTML to PDF with weasyprint, matplotlib figures to inline SVG, jinja2 environment."""
