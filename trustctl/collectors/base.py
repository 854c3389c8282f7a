"""What every collector yields: a raw response or a failure with its reason, and progress sinks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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
    if isinstance(outcome, Response):
        sink.record_response(outcome.call, outcome.data, outcome.observed_at)
    else:
        sink.record_error(outcome.call, outcome.error, outcome.observed_at)
