"""Management responses to exceptions: what management says about a failing or waived finding.

`trustctl exception respond CHECK RESOURCE` writes one signed run of its own, like `docs add` (provider
"documents": a run of management's material, never read as collected evidence), holding one response
object: the check, the resource as given (a resource or a pattern), the text, its owner, when, and the
findings it answered then. The response is hash-addressed and chained like any evidence; a later response
to the same check and resource supersedes the earlier one, and both stay in the locker.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from trustctl.errors import InputError
from trustctl.evidence.locker import DOCUMENTS, Locker
from trustctl.evidence.records import Call, Manifest
from trustctl.evidence.redact import Redactor
from trustctl.evidence.stored import stored_records
from trustctl.inputs import BoundsError, Prose, SingleLine, email_address, prose, single_line
from trustctl.timeutil import utc_iso

PROVIDER = DOCUMENTS  # a run of management's material: not collected evidence (locker.latest_run skips it)
SERVICE = "responses"
RESPOND = "AddExceptionResponse"
EXCEPTION_STATUSES = ("fail", "error", "waived")  # what a response can answer


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    resource: str
    status: str


class ExceptionResponse(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str = Field(min_length=1)
    resource: str = Field(min_length=1)  # as given: a resource, or a pattern (*, ?) over resources
    text: Prose
    owner: SingleLine  # an email address
    responded_at: str
    findings: list[Finding] = []  # the failing or waived results it answered when it was given

    def matches(self, check: str, resource: str) -> bool:
        return check == self.check and fnmatch.fnmatchcase(resource, self.resource)


@dataclass(frozen=True)
class StoredResponse:
    """A response as the locker holds it: its object's hash, its run, and the later response to the same
    check and resource that replaced it (None: it stands)."""

    response: ExceptionResponse
    digest: str
    run_id: str
    superseded_by: str | None = None


@dataclass(frozen=True)
class Responses:
    """Every response, oldest first, and what could not be read (each naming its run)."""

    responses: list[StoredResponse]
    problems: list[str] = field(default_factory=list)

    @property
    def current(self) -> list[StoredResponse]:
        return [r for r in self.responses if r.superseded_by is None]

    def for_finding(self, check: str, resource: str) -> StoredResponse | None:
        """The latest standing response whose check and resource pattern match the finding."""
        found = [r for r in self.current if r.response.matches(check, resource)]
        return found[-1] if found else None


def new_response(
    check: str, resource: str, text: str, owner: str, findings: list[Finding], redactor: Redactor
) -> ExceptionResponse:
    """A response about to be stored; InputError naming the option for a value that cannot be, so nothing
    is written. A credential in the text is refused, never stored."""
    try:
        single_line(resource)
    except BoundsError as e:
        raise InputError(f"RESOURCE {resource!r}: {e}.") from None
    try:
        prose(text)
    except BoundsError as e:
        raise InputError(f"--text: {e}; give management's response as plain text.") from None
    if redactor.text(text) != text:
        raise InputError(
            "--text holds what looks like a credential (a token, key or password); remove it: "
            "a response is signed into the locker and can never be taken back."
        )
    address = email_address(owner)
    if address is None or len(owner) > 200:
        raise InputError(f"--owner {owner!r}: give the email address of who owns the response.")
    return ExceptionResponse(
        check=check,
        resource=resource,
        text=text.replace("\r\n", "\n"),
        owner=address,
        responded_at=utc_iso(datetime.now(UTC)),
        findings=findings,
    )


def response_call(check: str) -> Call:
    """The request a response adds to its run."""
    return Call(
        provider=PROVIDER,
        account="management",
        region="global",
        service=SERVICE,
        operation=RESPOND,
        parameters={"check": check},
    )


def read_responses(locker: Locker, manifests: list[Manifest]) -> Responses:
    """Every response stored in these runs (oldest first), each marked with the later response to the
    same check and resource that supersedes it. A response that cannot be read is left out and
    described in `problems` (a signed run cannot be changed; it must not stop every report)."""
    records, problems = stored_records(
        locker,
        manifests,
        PROVIDER,
        RESPOND,
        ExceptionResponse,
        lambda call: f"response to {call.parameters.get('check')!r}",
        remedy=": respond again",
    )
    stored = [StoredResponse(r.value, r.digest, r.run_id) for r in records]
    last: dict[tuple[str, str], int] = {}
    for i, s in enumerate(stored):
        last[(s.response.check, s.response.resource)] = i
    marked = []
    for i, s in enumerate(stored):
        newest = last[(s.response.check, s.response.resource)]
        marked.append(s if newest == i else replace(s, superseded_by=stored[newest].digest))
    return Responses(marked, problems)
