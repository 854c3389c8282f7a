"""What a run manifest says: every request made, its evidence object or its error.

On disk (format 2) a manifest is a small signed header naming two content-addressed objects: the run's
request list (each call with its evidence object or error) and the request times. Unchanged runs share
their request list, and both lists pack well, so the locker grows with change, not with runs. Format 1
manifests (the request list inline) are still read.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_FORMAT = 2


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Call(_Frozen):
    """One API request: where it went and what it asked."""

    provider: str
    account: str
    region: str
    service: str
    operation: str
    parameters: dict[str, Any] = {}
    page: int = 1


class CallError(_Frozen):
    """Why a request yielded no evidence, and which permission would let it."""

    code: str
    message: str
    permission: str | None = None


class RequestEntry(_Frozen):
    """A request as kept in a run's request list: the call and its evidence object or its error."""

    call: Call
    object: str | None = None
    error: CallError | None = None


class RequestRecord(RequestEntry):
    """A request with the time it was observed."""

    observed_at: str


class Tool(_Frozen):
    name: str = "trustctl"
    version: str


class RunInfo(_Frozen):
    """What every manifest says of its run, in either format: identity, chain link, signer and times."""

    run_id: str
    sequence: int = Field(ge=1)
    previous: str | None
    tool: Tool
    organization: str
    config: str
    key: str
    started_at: str
    completed_at: str
    providers: list[str]
    # Signed since runs accounted for the marker and for interrupted runs (None in older manifests):
    marker: str | None = None  # sha256 of the LOCKER marker file
    abandoned: list[str] | None = None  # run directories left without a manifest when this run committed


class ManifestHeader(RunInfo):
    """A format 2 manifest as signed on disk."""

    format: Literal[2] = 2
    request_count: int = Field(ge=0)
    requests: str  # sha256 of the request list object: a JSON list of RequestEntry
    times: str  # sha256 of the times object: {"offsets_us": [int, ...]} from started_at


class Manifest(RunInfo):
    """A run as the rest of trustctl sees it, whatever its format on disk."""

    format: int = MANIFEST_FORMAT
    requests: list[RequestRecord]
    request_list: str | None = None  # format 2: the objects holding the request list and times
    times: str | None = None

    @property
    def evidence(self) -> set[str]:
        """The evidence objects the requests yielded."""
        return {r.object for r in self.requests if r.object}

    @property
    def objects(self) -> set[str]:
        """Every object the run needs: its evidence and, in format 2, its request list and times."""
        return self.evidence | {d for d in (self.request_list, self.times) if d}

    @property
    def errors(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.error is not None]


def evidence_key(manifest: Manifest) -> str:
    """What the facts of a manifest are built from: its providers and, per request, the call and its
    evidence object or error (not when it was observed). Two manifests with one key give the same facts."""
    digest = hashlib.sha256(",".join(manifest.providers).encode())
    for record in manifest.requests:
        digest.update(record.model_dump_json(exclude={"observed_at"}).encode())
        digest.update(b"\n")
    return digest.hexdigest()
