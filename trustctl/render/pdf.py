"""HTML to PDF with weasyprint: no network fetches, fonts from the system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import TrustctlError


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    """Refuse every external resource: reports must be self-contained and render offline."""
    if url.startswith("data:"):
        import weasyprint

        return weasyprint.default_url_fetcher(url, *args, **kwargs)
    raise ValueError(f"external resource refused: {url}")


def write_pdf(html: str, path: Path) -> Path:
    """Render self-contained HTML (inline CSS and SVG) to a PDF at `path`."""
    try:
        import weasyprint
    except OSError as exc:  # pango missing: weasyprint raises OSError on import
        raise TrustctlError(
            f"PDF rendering needs pango ({exc}); run scripts/system-deps.sh or install libpango-1.0-0"
        ) from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    weasyprint.HTML(string=html, url_fetcher=_no_fetch).write_pdf(str(path))
    return path
