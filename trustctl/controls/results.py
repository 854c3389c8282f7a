"""Result values: one per check and resource, in the JSON shape of DESIGN.md section 7."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str
    control: str
    status: Status
    severity: Severity
    provider: str
    account: str
    region: str
    resource: str
    reason: str
    requirements: dict[str, list[str]] = {}
    evidence: list[str] = []

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a finding across runs."""
        return self.check, self.resource
