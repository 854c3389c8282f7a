"""Fact tables and the evidence they are derived from.

A normalizer declares the listing calls its table needs. Where one of them failed for an account
or region (or the account could not be entered at all), every check over that table reports `error`
for that scope: missing evidence is never read as "nothing there".

Per-resource detail calls (one bucket's encryption, say) that failed are recorded on the row, in the
`detail_errors` column (operation -> message); the engine turns such rows into `error` results for
the checks that need those operations, before the check sees them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trustctl.evidence.records import Manifest, RequestRecord
from trustctl.timeutil import parse_iso

if TYPE_CHECKING:  # pandas (and the locker) load when facts are built, not when commands register
    import pandas as pd

    from trustctl.evidence.locker import Locker

BASE_COLUMNS = ["provider", "account", "region", "resource", "evidence"]
DETAIL_ERRORS = "detail_errors"
# Failures of these calls mean nothing at all was collected for the account.
ACCOUNT_WIDE = {("sts", "AssumeRole"), ("sts", "GetCallerIdentity")}
# Without the list of enabled regions, no regional service was collected for the account.
REGIONAL_ACCOUNT_WIDE = ACCOUNT_WIDE | {("ec2", "DescribeRegions")}
# Failures of these calls leave the population itself unknown: the organization's member accounts
# were never listed, so none of them was collected. Every table reports `error` for the scope
# (provider, managing account, MEMBERS), instead of a smaller population that looks complete.
POPULATION_WIDE = {("organizations", "ListAccounts")}
GLOBAL = "global"
MEMBERS = "members"

ScopeKey = tuple[str, str, str]  # provider, account, region


class Evidence:
    """Read access to the evidence of one complete, signed run."""

    def __init__(self, locker: Locker, manifest: Manifest, cache: dict[str, Any] | None = None) -> None:
        self.locker = locker
        self.manifest = manifest
        self.as_of = parse_iso(manifest.completed_at)
        # Several tables read the same large responses (authorization details, credential report):
        # each object is read, hash-checked and parsed once. Callers must not mutate what they get.
        # `cache` shares parsed objects across runs that repeat them (a period's evaluations).
        self._objects: dict[str, Any] = {} if cache is None else cache
        # (provider, service, operation) -> its requests with a response / with an error, in run order:
        # the normalizers ask for hundreds of operations, each of which a scan of the run would repeat.
        self._answered: dict[tuple[str, str, str], list[RequestRecord]] = {}
        self._failed: dict[tuple[str, str, str], list[RequestRecord]] = {}
        for record in manifest.requests:
            c = record.call
            if record.object:
                self._answered.setdefault((c.provider, c.service, c.operation), []).append(record)
            if record.error is not None:
                self._failed.setdefault((c.provider, c.service, c.operation), []).append(record)

    def object(self, digest: str) -> Any:
        if digest not in self._objects:
            self._objects[digest] = self.locker.get_object(digest)
        return self._objects[digest]

    def responses(self, provider: str, service: str, operation: str) -> Iterator[tuple[RequestRecord, Any]]:
        for record in self._answered.get((provider, service, operation), []):
            if record.object:  # always, by construction
                yield record, self.object(record.object)

    def failures(self, provider: str) -> list[RequestRecord]:
        return [r for r in self.manifest.requests if r.error is not None and r.call.provider == provider]

    def failures_of(self, provider: str, service: str, operation: str) -> list[RequestRecord]:
        """Failed requests of one operation, e.g. to mark the rows whose detail call failed."""
        return list(self._failed.get((provider, service, operation), []))

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
    """How to build one fact table. `regional`: the listing calls in `needs` run per region, and the
    table's scopes are the (account, region) pairs where they were made."""

    resource_type: str
    provider: str
    needs: tuple[tuple[str, str], ...]  # (service, operation) of the listing calls
    build: Callable[[Evidence], pd.DataFrame]
    regional: bool = False


def present(value: Any) -> Any:
    """A fact value, or None where pandas filled a gap (NaN)."""
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """A fact frame with the base columns first, even when there are no rows."""
    import pandas as pd

    return pd.DataFrame(rows, columns=BASE_COLUMNS + [c for c in columns if c not in BASE_COLUMNS])


def error_text(record: RequestRecord) -> str:
    """How a failed request reads in a result: the call and the reason (which names the permission)."""
    assert record.error is not None
    text = f"{record.call.service}:{record.call.operation} could not be collected: {record.error.message}"
    if (record.call.service, record.call.operation) in POPULATION_WIDE:
        text += "; the organization's member accounts are unknown, so none of them was checked"
    return text


def detail_errors(
    ev: Evidence, provider: str, service: str, operations: tuple[str, ...], key: str
) -> dict[tuple[str, Any], dict[str, str]]:
    """Failed per-resource calls, by (account, the value of parameter `key`): operation -> message.

    A normalizer puts `detail_errors.get((account, name), {})` on each row of its table.
    """
    found: dict[tuple[str, Any], dict[str, str]] = {}
    for operation in operations:
        for record in ev.failures_of(provider, service, operation):
            target = (record.call.account, record.call.parameters.get(key))
            found.setdefault(target, {})[operation] = error_text(record)
    return found


def normalize(evidence: Evidence, normalizer: Normalizer) -> FactTable:
    """Build one table, with its scopes and the errors that hide evidence in them."""
    provider, needs = normalizer.provider, set(normalizer.needs)
    if normalizer.regional:
        scopes = sorted(
            {
                (provider, r.call.account, r.call.region)
                for r in evidence.manifest.requests
                if r.call.provider == provider and (r.call.service, r.call.operation) in needs
            }
        )
        account_wide = REGIONAL_ACCOUNT_WIDE
    else:
        scopes = [(provider, a, GLOBAL) for a in evidence.accounts(provider)]
        account_wide = ACCOUNT_WIDE
    errors: dict[ScopeKey, list[str]] = {}
    services = {service for service, _ in needs}
    for record in evidence.failures(provider):
        key = (record.call.service, record.call.operation)
        crashed = record.error is not None and record.error.code == "CollectorError" and key[0] in services
        if key in needs or crashed:
            scope = (provider, record.call.account, record.call.region if normalizer.regional else GLOBAL)
        elif key in POPULATION_WIDE:
            scope = (provider, record.call.account, MEMBERS)
        elif key in account_wide:
            scope = (provider, record.call.account, GLOBAL)
        else:
            continue
        errors.setdefault(scope, []).append(error_text(record))
    table = normalizer.build(evidence)
    return FactTable(normalizer.resource_type, table, scopes, errors)


@dataclass
class FactSet:
    as_of: datetime
    tables: dict[str, FactTable]

    def table(self, resource_type: str) -> FactTable:
        return self.tables.get(resource_type, FactTable(resource_type, frame([], [])))
