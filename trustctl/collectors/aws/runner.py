"""Run every AWS collector over account x region x service on a bounded thread pool.

The runner decides scope (accounts, regions); collectors only fetch. Each (account, region,
service) gets its own client; every outcome goes to the evidence sink as it arrives.

Collectors are found, not listed: every module of this package that defines `COLLECTORS` (a list of
`AwsCollector` instances) contributes them, modules in name order, so a new service is a new module.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Protocol

from trustctl.collectors.aws.accounts import (
    Account,
    caller_identity,
    enabled_regions,
    member_accounts,
    regions_for,
)
from trustctl.collectors.aws.clients import ClientFactory, default_region
from trustctl.collectors.aws.identity_center import ClientPair
from trustctl.collectors.base import (
    Collector,
    EvidenceSink,
    Failure,
    NoProgress,
    Outcome,
    Progress,
    Scope,
    now,
    store,
)
from trustctl.config import AwsConfig
from trustctl.evidence.gcpause import gc_paused
from trustctl.evidence.records import Call, CallError


class AwsCollector(Collector, Protocol):
    """A `Collector` of one AWS service; `is_global` ones run once per account, the others per region.

    Optional: `operations` (when the API operations are not named like the IAM actions, as in S3),
    `companion` (a second service whose client is passed with the first's as a ClientPair),
    `long_running` (true for a collector whose requests grow with the resources, such as S3's reads per
    bucket: its tasks are started first, so they do not run alone at the end of a collection)."""

    @property
    def is_global(self) -> bool: ...


def collector_modules() -> list[str]:
    """The name of every module of this package, sorted: where `default_collectors` looks."""
    import trustctl.collectors.aws as package

    return sorted(f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__))


def default_collectors() -> list[AwsCollector]:
    """Every collector of every AWS collector module (its `COLLECTORS`), modules in name order. The order
    is stable, so worker processes index into it (processes.RemoteTask); manifests sort their requests."""
    collectors: list[AwsCollector] = []
    for name in collector_modules():
        collectors += getattr(importlib.import_module(name), "COLLECTORS", [])
    return collectors


# Calls the runner itself makes to find accounts and regions.
SCOPE_PERMISSIONS = ("sts:GetCallerIdentity", "ec2:DescribeRegions")
ORGANIZATION_PERMISSIONS = ("organizations:ListAccounts", "sts:AssumeRole")


@dataclass
class AwsSummary:
    accounts: list[str] = field(default_factory=list)
    regions: dict[str, list[str]] = field(default_factory=dict)
    requests: int = 0
    errors: int = 0


class _CountingSink:
    def __init__(self, sink: EvidenceSink, summary: AwsSummary) -> None:
        self._sink = sink
        self._summary = summary
        self._lock = threading.Lock()

    def __call__(self, outcome: Outcome) -> None:
        store(self._sink, outcome)
        with self._lock:
            self._summary.requests += 1
            self._summary.errors += isinstance(outcome, Failure)


def run_task(
    factory: ClientFactory,
    collector: AwsCollector,
    account: Account,
    region: str,
    record: Callable[[Outcome], None],
) -> None:
    """Run one collector for one account and region; a crash is recorded as a CollectorError."""
    assert account.session is not None
    scope = Scope("aws", account.account_id, "global" if collector.is_global else region)
    try:
        client = factory.client(account.session, collector.service, region)
        companion = getattr(collector, "companion", None)
        if companion:  # a collector reading two services (IAM Identity Center: sso-admin + identitystore)
            client = ClientPair(client, factory.client(account.session, companion, region))
        for outcome in collector.collect(client, scope):
            record(outcome)
    except Exception as e:  # a collector bug must still leave an error in the evidence, never silence
        call = Call(
            provider="aws",
            account=account.account_id,
            region=scope.region,
            service=collector.service,
            operation=type(collector).__name__,
        )
        record(
            Failure(call, CallError(code="CollectorError", message=f"{type(collector).__name__}: {e}"), now())
        )


def collect_aws(
    settings: AwsConfig,
    sink: EvidenceSink,
    progress: Progress | None = None,
    *,
    factory: ClientFactory | None = None,
    collectors: Sequence[AwsCollector] | None = None,
) -> AwsSummary:
    """One collection of every account and region in scope into `sink`."""
    with gc_paused():  # clients' models and responses: many allocations, next to no cyclic garbage
        return _collect_aws(settings, sink, progress, factory=factory, collectors=collectors)


def _collect_aws(
    settings: AwsConfig,
    sink: EvidenceSink,
    progress: Progress | None,
    *,
    factory: ClientFactory | None,
    collectors: Sequence[AwsCollector] | None,
) -> AwsSummary:
    factory = factory or ClientFactory(settings, allowed=declared_operations(collectors))
    progress = progress or NoProgress()
    defaults = collectors is None  # worker processes can only rebuild the default collectors
    collectors = list(collectors if collectors is not None else default_collectors())
    summary = AwsSummary()
    record = _CountingSink(sink, summary)
    base = factory.base_session()
    identity = caller_identity(factory, base, record)
    if identity is None:
        return summary
    home, partition = identity
    accounts = [Account(home, partition, base)]
    if settings.org_role:
        accounts += member_accounts(factory, base, home, settings.org_role, partition, record)
    summary.accounts = sorted(a.account_id for a in accounts)

    tasks: list[tuple[AwsCollector, Account, str]] = []
    for account in accounts:
        if account.session is None:
            continue
        discovered = [] if settings.regions else enabled_regions(factory, account, record)
        regions = regions_for(settings.regions, discovered)
        summary.regions[account.account_id] = regions
        for collector in collectors:
            if collector.is_global:
                tasks.append((collector, account, default_region(account.session)))
            else:
                tasks += [(collector, account, region) for region in regions]

    # The long tasks first: a collection takes as long as its last task, and the pool is then idle.
    tasks.sort(key=lambda task: not getattr(task[0], "long_running", False))
    progress.add(len(tasks))
    labels = [f"aws {a.account_id} {'global' if c.is_global else r} {c.service}" for c, a, r in tasks]
    if settings.processes > 1 and not factory.hooks and defaults:
        from trustctl.collectors.aws.processes import remote_task, run_in_processes  # multiprocessing

        remote = [
            remote_task(collectors.index(c), a, r, label)
            for (c, a, r), label in zip(tasks, labels, strict=True)
        ]
        run_in_processes(settings, remote, record, progress.advance)
        return summary
    with ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix="collect") as pool:
        futures = {
            pool.submit(run_task, factory, c, a, r, record): label
            for (c, a, r), label in zip(tasks, labels, strict=True)
        }
        for future in as_completed(futures):
            future.result()
            progress.advance(futures[future])
    return summary


def operations_of(collector: AwsCollector) -> tuple[str, ...]:
    """The API operations a collector calls, as `signing-name:Operation`. Most IAM actions are named
    after their operation; a collector whose are not (S3) declares `operations` beside `permissions`."""
    return tuple(getattr(collector, "operations", None) or collector.permissions)


def client_services(collectors: Sequence[AwsCollector] | None = None) -> list[str]:
    """The boto3 client names a collection creates: each collector's service and companion, and the
    services of the runner's own calls (sts, ec2, organizations)."""
    chosen = collectors if collectors is not None else default_collectors()
    services = {c.service for c in chosen} | {str(getattr(c, "companion", "")) for c in chosen} - {""}
    services |= {p.partition(":")[0] for p in (*SCOPE_PERMISSIONS, *ORGANIZATION_PERMISSIONS)}
    return sorted(services)


def declared_operations(
    collectors: Sequence[AwsCollector] | None = None, organization: bool = True
) -> frozenset[str]:
    """Every operation trustctl may send: the client guard's allow-list."""
    operations = set(SCOPE_PERMISSIONS) | (set(ORGANIZATION_PERMISSIONS) if organization else set())
    for collector in collectors if collectors is not None else default_collectors():
        operations.update(operations_of(collector))
    return frozenset(operations)


def declared_actions(collectors: Sequence[AwsCollector] | None = None) -> dict[str, str]:
    """`client-service:Operation` (as runs record calls) -> the IAM action that authorizes it, where the
    two differ (S3 and S3 Control, which both sign as s3)."""
    actions: dict[str, str] = {}
    for collector in collectors if collectors is not None else default_collectors():
        operations = getattr(collector, "operations", None)  # declared in step with its permissions
        if operations:
            for operation, action in zip(operations, collector.permissions, strict=True):
                actions[f"{collector.service}:{operation.split(':', 1)[1]}"] = action
    return actions


def required_permissions(
    collectors: Sequence[AwsCollector] | None = None, organization: bool = True
) -> list[str]:
    """Every IAM action trustctl needs, sorted: the least-privilege policy's actions."""
    actions = set(SCOPE_PERMISSIONS) | (set(ORGANIZATION_PERMISSIONS) if organization else set())
    for collector in collectors if collectors is not None else default_collectors():
        actions.update(collector.permissions)
    return sorted(actions)
