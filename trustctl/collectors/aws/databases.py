"""AWS databases collectors (filled in by the issue 3 work)."""

from __future__ import annotations

from typing import Any

COLLECTORS: list[Any] = []
