"""AWS compute checks (filled in by the issue 3 work)."""

from __future__ import annotations
