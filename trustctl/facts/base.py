"""Fact tables and the evidence they are derived from.

A normalizer declares the calls its table needs. Where one of them failed for an account (or the
account could not be entered at all), every check over that table reports `error` for that account:
missing evidence is never read as "nothing there".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Manifest, RequestRecord

BASE_COLUMNS = ["provider", "account", "region", "resource", "evidence"]
# Failures of these calls mean nothing at all was collected for the account.
ACCOUNT_WIDE = {("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}

ScopeKey = tuple[str, str, str]  # provider, account, region


class Evidence:
    """Read access to the evidence of one complete, signed run."""

    def __init__(self, locker: Locker, manifest: Manifest) -> None:
        self.locker = locker
        self.manifest = manifest
        self.as_of = datetime.fromisoformat(manifest.completed_at.replace("Z", "+00:00"))
        # Several tables read the same large responses (authorization details, credential report):
        # each object is read, hash-checked and parsed once. Callers must not mutate what they get.
        self._objects: dict[str, Any] = {}

    def object(self, digest: str) -> Any:
        if digest not in self._objects:
            self._objects[digest] = self.locker.get_object(digest)
        return self._objects[digest]

    def responses(self, provider: str, service: str, operation: str) -> Iterator[tuple[RequestRecord, Any]]:
        for record in self.manifest.requests:
            c = record.call
            if record.object and (c.provider, c.service, c.operation) == (provider, service, operation):
                yield record, self.object(record.object)

    def failures(self, provider: str) -> list[RequestRecord]:
        return [r for r in self.manifest.requests if r.error is not None and r.call.provider == provider]

    def accounts(self, provider: str) -> list[str]:
        return sorted({r.call.account for r in self.manifest.requests if r.call.provider == provider})


@dataclass
class FactTable:
    resource_type: str
    frame: pd.DataFrame
    scopes: list[ScopeKey] = field(default_factory=list)
    errors: dict[ScopeKey, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Normalizer:
    resource_type: str
    provider: str
    needs: tuple[tuple[str, str], ...]  # (service, operation)
    build: Callable[[Evidence], pd.DataFrame]


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A fact frame with the base columns first, even when there are no rows."""
    return pd.DataFrame(rows, columns=BASE_COLUMNS + [c for c in columns if c not in BASE_COLUMNS])


def _error_text(record: RequestRecord) -> str:
    assert record.error is not None
    return f"{record.call.service}:{record.call.operation} could not be collected: {record.error.message}"


def normalize(evidence: Evidence, normalizer: Normalizer) -> FactTable:
    """Build one table, with the global scope of every account and the errors that hide evidence."""
    scopes = [(normalizer.provider, a, "global") for a in evidence.accounts(normalizer.provider)]
    errors: dict[ScopeKey, list[str]] = {}
    needs = set(normalizer.needs)
    for record in evidence.failures(normalizer.provider):
        key = (record.call.service, record.call.operation)
        if key in needs or key in ACCOUNT_WIDE:
            errors.setdefault((normalizer.provider, record.call.account, "global"), []).append(
                _error_text(record)
            )
    table = normalizer.build(evidence)
    return FactTable(normalizer.resource_type, table, scopes, errors)


@dataclass
class FactSet:
    as_of: datetime
    tables: dict[str, FactTable]

    def table(self, resource_type: str) -> FactTable:
        return self.tables.get(resource_type, FactTable(resource_type, frame([], [])))
