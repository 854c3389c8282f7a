"""AWS storage facts (filled in by the issue 3 work)."""

from __future__ import annotations

from trustctl.facts.base import Normalizer

NORMALIZERS: tuple[Normalizer, ...] = ()
