"""The jinja2 environment for HTML reports: templates shipped in trustctl/templates, autoescaped."""

from __future__ import annotations

import jinja2

ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("trustctl", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(template: str, **context: object) -> str:
    """Render a shipped template with `context`."""
    return ENVIRONMENT.get_template(template).render(**context)
