"""`trustctl collect identity`: the roster and IdP exports (read and checked before the run starts,
so a bad file changes nothing), then every SCIM app concurrently, into one run.

Evidence layout (provider `identity`, region `global`): account `hr` holds the roster file and its
people; `idp:NAME` each IdP export and its users; `records:NAME` each people-records export (training,
acknowledgements, background checks) and its rows; `scim:NAME` each app's user pages; `settings` the
join rules used (domain aliases, the SSO each app declares, the kind of each records export).

Each source is a `Collector`: a `FileCollector` (made by `roster_file`, `idp_file` or `records_file`)
yields a file read beforehand (no client), `ScimCollector` (scim.py) one app's user pages.
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
from trustctl.collectors.identity.roster import configured_roster
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


@dataclass(frozen=True)
class FileCollector:
    """A local export read and parsed before the run began (the roster, an IdP export, a people-records
    export): its bytes as read, then what was parsed from them. No client, and nothing can fail."""

    account: str  # `hr`, `idp:NAME` or `records:NAME`
    service: str
    file_call: tuple[str, dict[str, Any]]  # operation and parameters recording the bytes
    import_call: tuple[str, dict[str, Any]]  # operation and parameters recording the parsed rows
    data: bytes
    parsed: dict[str, Any]
    permissions: tuple[str, ...] = ()  # a local file

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        for (operation, parameters), payload in (
            (self.file_call, self.data),
            (self.import_call, self.parsed),
        ):
            yield Response(_call(scope.account, self.service, operation, parameters), payload, now())


def roster_file(path: Path, data: bytes, people: list[dict[str, Any]]) -> FileCollector:
    parameters = {"file": path.name}
    return FileCollector(
        HR, "hr", ("RosterFile", parameters), ("ImportRoster", parameters), data, {"people": people}
    )


def idp_file(export: IdpExport, path: Path, data: bytes, users: list[dict[str, Any]]) -> FileCollector:
    return FileCollector(
        f"idp:{export.name}",
        "idp",
        ("ExportFile", {"file": path.name}),
        ("ImportUsers", {"file": path.name, "preset": export.preset}),
        data,
        {"users": users},
    )


def records_file(source: PeopleRecords, path: Path, data: bytes, rows: list[dict[str, Any]]) -> FileCollector:
    parameters = {"file": path.name, "kind": source.kind}
    return FileCollector(
        f"records:{source.name}",
        "hr",
        ("RecordsFile", parameters),
        ("ImportRecords", parameters),
        data,
        {"kind": source.kind, "records": rows},
    )


@dataclass
class Prepared:
    """Files already read and parsed: nothing here can fail once the run has begun."""

    roster: FileCollector | None = None
    files: list[FileCollector] = field(default_factory=list)  # IdP and people-records exports, in order
    records: dict[str, str] = field(default_factory=dict)  # records export name -> kind


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
    roster = configured_roster(config)
    if roster is not None:
        path, people = roster
        prepared.roster = roster_file(path, path.read_bytes(), people)
    for export in settings.idp:
        path = config.base_dir / export.path
        users = read_idp_export(path, export.preset, {str(k): v for k, v in export.columns.items()})
        prepared.files.append(idp_file(export, path, path.read_bytes(), users))
    for source in settings.records:
        path = config.base_dir / source.path
        rows = read_records(path, source.kind, {str(k): v for k, v in source.columns.items()})
        prepared.files.append(records_file(source, path, path.read_bytes(), rows))
        prepared.records[source.name] = source.kind
    return prepared


def collect_identity(
    config: Config, prepared: Prepared, sink: EvidenceSink, progress: Progress | None = None
) -> int:
    """Record every identity source; returns the number of failed requests."""
    progress = progress or NoProgress()
    settings = config.identity
    progress.add(1 + len(prepared.files) + len(settings.scim))
    sink.record_response(
        _call(SETTINGS, "identity", "JoinRules", {}),
        {
            "domain_aliases": {k.lower(): v.lower() for k, v in settings.domain_aliases.items()},
            "scim_apps": {app.name: {"sso_enforced": app.sso_enforced} for app in settings.scim},
            "idp": [export.name for export in settings.idp],
            "roster": prepared.roster is not None,
            "records": dict(prepared.records),
        },
        now(),
    )
    if prepared.roster is not None:
        for outcome in prepared.roster.collect(None, _scope(HR)):
            store(sink, outcome)
    progress.advance("identity roster")
    for collector in prepared.files:
        for outcome in collector.collect(None, _scope(collector.account)):
            store(sink, outcome)
        progress.advance(f"identity {collector.account}")
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
