"""matplotlib figures as inline SVG strings, reproducible (fixed hash salt, no timestamps)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt

plt.rcParams.update(
    {
        "svg.hashsalt": "trustctl",
        "svg.fonttype": "none",  # text stays text: selectable, small, styled by the page's font
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def new_figure(width_in: float, height_in: float) -> tuple[Any, Any]:
    """A figure and one axes at the given size in inches."""
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    return fig, ax


def figure_to_svg(fig: Any) -> str:
    """Serialise and close `fig`; returns the `<svg>` element without the XML prolog, for inlining."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
