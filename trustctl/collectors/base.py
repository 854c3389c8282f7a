"""What every collector is and yields: the `Collector` protocol (aws, gcp and identity alike), a raw
response or a failure with its reason, and the sinks outcomes and progress go to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from trustctl.evidence.locker import utc_now
from trustctl.evidence.records import Call, CallError


def now() -> datetime:
    return utc_now()


@dataclass(frozen=True)
class Scope:
    """Where a collector runs: one account (or project) and one region ("global" for global services)."""

    provider: str
    account: str
    region: str


@dataclass(frozen=True)
class Response:
    call: Call
    data: Any
    observed_at: datetime


@dataclass(frozen=True)
class Failure:
    call: Call
    error: CallError
    observed_at: datetime


Outcome = Response | Failure


@runtime_checkable
class Collector(Protocol):
    """One source of evidence of one provider, thin: it makes the calls it declares and yields every
    outcome, a Failure for anything that went wrong (it never raises for an API error, never judges).

    - `service`: what it reads (`iam`, `s3`, `cloudasset`, `scim`, `hr`); recorded in every Call.
    - `permissions`: what it needs granted (IAM actions, GCP permissions, SCIM scopes); `trustctl
      permissions` and the packet list them, and an AWS collector's are its client guard's allow-list
      unless it also declares `operations` (see collectors.aws.runner.operations_of).
    - `collect(client, scope)`: the outcomes of one scope (account or project, region), in order.
      The runner makes the client (a boto3 client, a Cloud Asset client, None for local files).
    """

    @property
    def service(self) -> str: ...
    @property
    def permissions(self) -> tuple[str, ...]: ...

    def collect(self, client: Any, scope: Scope) -> Iterable[Outcome]: ...


class EvidenceSink(Protocol):
    """Where outcomes go (a locker run writer in production)."""

    def record_response(self, call: Call, data: Any, observed_at: datetime) -> str: ...

    def record_error(self, call: Call, error: CallError, observed_at: datetime) -> None: ...

    def record_bytes(self, call: Call, data: bytes, observed_at: datetime) -> str: ...


class Progress(Protocol):
    """Progress reporting, injected by the CLI (a rich bar on a terminal, plain lines otherwise)."""

    def add(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...


class NoProgress:
    def add(self, total: int) -> None:
        pass

    def advance(self, label: str) -> None:
        pass


def store(sink: EvidenceSink, outcome: Outcome) -> None:
    """Record one outcome; a response whose data is bytes (a file as read) is kept byte for byte."""
    if isinstance(outcome, Response) and isinstance(outcome.data, bytes):
        sink.record_bytes(outcome.call, outcome.data, outcome.observed_at)
    elif isinstance(outcome, Response):
        sink.record_response(outcome.call, outcome.data, outcome.observed_at)
    else:
        sink.record_error(outcome.call, outcome.error, outcome.observed_at)
