"""What a run manifest says: every request made, its evidence object or its error."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MANIFEST_FORMAT = 1


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


class RequestRecord(_Frozen):
    call: Call
    observed_at: str
    object: str | None = None
    error: CallError | None = None


class Tool(_Frozen):
    name: str = "trustctl"
    version: str


class Manifest(_Frozen):
    format: int = MANIFEST_FORMAT
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
    requests: list[RequestRecord]

    @property
    def objects(self) -> set[str]:
        return {r.object for r in self.requests if r.object}

    @property
    def errors(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.error is not None]
