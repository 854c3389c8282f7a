"""`trustctl collect identity`: the roster and IdP exports (read and checked before the run starts,
so a bad file changes nothing), then every SCIM app concurrently, into one run.

Evidence layout (provider `identity`, region `global`): account `hr` holds the roster file and its
people; `idp:NAME` each IdP export and its users; `records:NAME` each people-records export (training,
acknowledgements, background checks) and its rows; `scim:NAME` each app's user pages; `settings` the
join rules used (domain aliases, the SSO each app declares, the kind of each records export).

Each source is a `Collector`: `RosterCollector`, `IdpExportCollector` and `RecordsCollector` yield the
files read beforehand (no client), `ScimCollector` (scim.py) one app's user pages.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trustctl.collectors.base import (
    EvidenceSink,
    Failure,
    NoProgress,
    Outcome,
    Progress,
    Response,
    Scope,
    now,
    store,
)
from trustctl.collectors.identity.idp import read_idp_export
from trustctl.collectors.identity.records import read_records
from trustctl.collectors.identity.roster import read_roster
from trustctl.collectors.identity.scim import ScimCollector, system
from trustctl.config import Config, IdpExport, PeopleRecords
from trustctl.errors import ConfigError
from trustctl.evidence.records import Call

PROVIDER = "identity"
HR = "hr"
SETTINGS = "settings"


def _call(account: str, service: str, operation: str, parameters: dict[str, Any]) -> Call:
    return Call(
        provider=PROVIDER,
        account=account,
        region="global",
        service=service,
        operation=operation,
        parameters=parameters,
    )


@dataclass
class Prepared:
    """Files already read and parsed: nothing here can fail once the run has begun."""

    roster: tuple[Path, bytes, list[dict[str, Any]]] | None = None
    idp: list[tuple[IdpExport, Path, bytes, list[dict[str, Any]]]] = field(default_factory=list)
    records: list[tuple[PeopleRecords, Path, bytes, list[dict[str, Any]]]] = field(default_factory=list)


class RosterCollector:
    """The HR roster: the file as read, and its people as parsed (read before the run began)."""

    service = "hr"
    permissions: tuple[str, ...] = ()  # a local file

    def __init__(self, path: Path, data: bytes, people: list[dict[str, Any]]) -> None:
        self.path, self.data, self.people = path, data, people

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        parameters = {"file": self.path.name}
        yield Response(_call(scope.account, "hr", "RosterFile", parameters), self.data, now())
        yield Response(_call(scope.account, "hr", "ImportRoster", parameters), {"people": self.people}, now())


class IdpExportCollector:
    """One IdP export: the file as read, and its users as parsed with the export's preset."""

    service = "idp"
    permissions: tuple[str, ...] = ()  # a local file

    def __init__(self, export: IdpExport, path: Path, data: bytes, users: list[dict[str, Any]]) -> None:
        self.export, self.path, self.data, self.users = export, path, data, users

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        name = self.path.name
        yield Response(_call(scope.account, "idp", "ExportFile", {"file": name}), self.data, now())
        yield Response(
            _call(scope.account, "idp", "ImportUsers", {"file": name, "preset": self.export.preset}),
            {"users": self.users},
            now(),
        )


class RecordsCollector:
    """One people-records export: the file as read, and its completions as parsed."""

    service = "hr"
    permissions: tuple[str, ...] = ()  # a local file

    def __init__(self, source: PeopleRecords, path: Path, data: bytes, records: list[dict[str, Any]]) -> None:
        self.source, self.path, self.data, self.records = source, path, data, records

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        parameters = {"file": self.path.name, "kind": self.source.kind}
        yield Response(_call(scope.account, "hr", "RecordsFile", parameters), self.data, now())
        yield Response(
            _call(scope.account, "hr", "ImportRecords", parameters),
            {"kind": self.source.kind, "records": self.records},
            now(),
        )


def _scope(account: str) -> Scope:
    return Scope(PROVIDER, account, "global")


def prepare(config: Config) -> Prepared:
    settings = config.identity
    if settings.roster is None and not settings.scim and not settings.idp and not settings.records:
        raise ConfigError(
            config.source,
            "[identity] has no sources",
            "Set roster = PATH, and add [[identity.scim]] apps, [[identity.idp]] exports or "
            "[[identity.records]] exports.",
        )
    prepared = Prepared()
    if settings.roster is not None:
        path = config.base_dir / settings.roster
        people = read_roster(
            path,
            {str(k): v for k, v in settings.roster_columns.items()},
            settings.active_statuses,
            settings.terminated_statuses,
        )
        prepared.roster = (path, path.read_bytes(), people)
    for export in settings.idp:
        path = config.base_dir / export.path
        users = read_idp_export(path, export.preset, {str(k): v for k, v in export.columns.items()})
        prepared.idp.append((export, path, path.read_bytes(), users))
    for source in settings.records:
        path = config.base_dir / source.path
        rows = read_records(path, source.kind, {str(k): v for k, v in source.columns.items()})
        prepared.records.append((source, path, path.read_bytes(), rows))
    return prepared


def collect_identity(
    config: Config, prepared: Prepared, sink: EvidenceSink, progress: Progress | None = None
) -> int:
    """Record every identity source; returns the number of failed requests."""
    progress = progress or NoProgress()
    settings = config.identity
    progress.add(1 + len(prepared.idp) + len(prepared.records) + len(settings.scim))
    sink.record_response(
        _call(SETTINGS, "identity", "JoinRules", {}),
        {
            "domain_aliases": {k.lower(): v.lower() for k, v in settings.domain_aliases.items()},
            "scim_apps": {app.name: {"sso_enforced": app.sso_enforced} for app in settings.scim},
            "idp": [export.name for export in settings.idp],
            "roster": prepared.roster is not None,
            "records": {source.name: source.kind for source, *_ in prepared.records},
        },
        now(),
    )
    if prepared.roster is not None:
        for outcome in RosterCollector(*prepared.roster).collect(None, _scope(HR)):
            store(sink, outcome)
    progress.advance("identity roster")
    for export, path, data, users in prepared.idp:
        account = f"idp:{export.name}"
        for outcome in IdpExportCollector(export, path, data, users).collect(None, _scope(account)):
            store(sink, outcome)
        progress.advance(f"identity {account}")
    for source, path, data, rows in prepared.records:
        account = f"records:{source.name}"
        for outcome in RecordsCollector(source, path, data, rows).collect(None, _scope(account)):
            store(sink, outcome)
        progress.advance(f"identity {account}")
    failures = 0
    collectors = [ScimCollector(app) for app in settings.scim]
    with ThreadPoolExecutor(
        max_workers=max(1, min(8, len(settings.scim))), thread_name_prefix="scim"
    ) as pool:
        for app, outcomes in zip(
            settings.scim,
            pool.map(lambda c: list(c.collect(None, _scope(system(c.app)))), collectors),
            strict=True,
        ):
            for outcome in outcomes:
                store(sink, outcome)
                failures += isinstance(outcome, Failure)
            progress.advance(f"identity scim:{app.name}")
    return failures
