"""Document evidence: policies, training records, pen-test reports... hashed into the locker.

`docs add` writes one signed run of its own (provider "documents") holding the file's bytes and its
metadata; a document is fresh until its review date, due in the 30 days before it, expired after.
Expired documents count as missing.

Every value is checked before the run begins: approved between 1970-01-01 and today, reviewed at least
every 10 years, a single-line owner and file name. A run is signed and can never be taken back, so a
document an earlier version let in out of bounds is read as expired (in force on no day), with its
`problem` said by `docs list`, and a document whose metadata cannot be read at all is skipped and
reported: neither stops a report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustctl.errors import InputError
from trustctl.evidence.locker import DOCUMENTS, Locker
from trustctl.evidence.records import Call, Manifest
from trustctl.evidence.stored import stored_records
from trustctl.inputs import EARLIEST, BoundsError, single_line
from trustctl.timeutil import parse_iso, utc_iso

PROVIDER = DOCUMENTS
ADD = "AddDocument"
CONTENT = "DocumentContent"
DUE_WINDOW_DAYS = 30
MAX_BYTES = 200 * 2**20
DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[dwmy])$")
UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
MAX_REVIEW_DAYS = 3650  # 10 years: ISO 27001 recertifies every 3, policies are reviewed yearly


def parse_duration(text: str) -> int:
    """'365d', '52w', '12m', '1y' -> days, at most MAX_REVIEW_DAYS."""
    match = DURATION.match(text.strip())
    if not match or int(match["n"]) == 0:
        raise InputError(
            f"--review-every {text!r}: give a positive number of days, weeks, months or years "
            "(e.g. 365d, 12m, 1y)."
        )
    # More than 6 digits is over the bound in any unit (and int() refuses 4,300 digits).
    days = int(match["n"]) * UNIT_DAYS[match["unit"]] if len(match["n"]) <= 6 else MAX_REVIEW_DAYS + 1
    if days > MAX_REVIEW_DAYS:
        raise InputError(
            f"--review-every {text}: at most 10 years ({MAX_REVIEW_DAYS}d, 120m or 10y); "
            "give the interval at which the document is really reviewed."
        )
    return days


def check_review_limit(kind: str, days: int, limit: int | None, text: str) -> int:
    """--review-every within the longest period an auditor accepts for the kind (the catalog's maximum,
    or the shorter [policy] document_review_days)."""
    if limit is not None and days > limit:
        raise InputError(
            f"--review-every {text}: {kind} documents must be reviewed at least every {limit} days; "
            f"give --review-every {limit}d or less (the catalog's maximum, or [policy] document_review_days)."
        )
    return days


def judged_by(document: Document, limits: Mapping[str, int]) -> Document:
    """The document as readiness judges it: its review period capped at its kind's maximum, so that a file
    stored with a longer one (or under a looser policy) is due when the current rules say so."""
    limit = limits.get(document.kind)
    if limit is None or document.review_every_days <= limit or document.problem is not None:
        return document  # out of bounds (stored by an earlier version) stays expired, with its problem
    return document.model_copy(update={"review_every_days": limit})


def check_approved(approved: date, today: date) -> date:
    """The --approved date, if it lies between 1970-01-01 and `today` (a day later is let through for
    time zones ahead of UTC)."""
    latest = today + timedelta(days=1)
    if not EARLIEST <= approved <= latest:
        raise InputError(
            f"--approved {approved.isoformat()}: give the day the document was approved, between "
            f"{EARLIEST.isoformat()} and today ({today.isoformat()})."
        )
    return approved


def check_text(option: str, value: str) -> str:
    """An option such as --owner, or a file name, held to a single line."""
    try:
        return single_line(value)
    except BoundsError as e:
        raise InputError(f"{option} {value!r}: {e}.") from None


class Document(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    size: int = Field(ge=0)
    kind: str = Field(min_length=1)
    control: str = Field(pattern=r"^[A-Z]{2,3}-\d{2}$")
    requirements: list[str] = []  # "framework:requirement", e.g. "soc2:CC1.3"
    owner: str = Field(min_length=1)
    approved: date
    review_every_days: int = Field(ge=1)
    added_at: str

    @property
    def problem(self) -> str | None:
        """Why this document is out of bounds (stored by an earlier version), or None."""
        if self.review_every_days > MAX_REVIEW_DAYS:
            return f"its review period of {self.review_every_days} days is longer than 10 years"
        try:
            added = parse_iso(self.added_at).date()
        except ValueError:
            return f"its added_at {self.added_at!r} is not a time"
        if not EARLIEST <= self.approved <= added + timedelta(days=1):
            return f"its approval date {self.approved} is not between {EARLIEST} and the day it was added"
        return None

    @property
    def review_by(self) -> date:
        """Approval plus the review period; for a document out of bounds, the day before its approval,
        so that it is expired and in force on no day."""
        if self.problem is not None:
            return max(self.approved, date.min + timedelta(days=1)) - timedelta(days=1)
        return self.approved + timedelta(days=self.review_every_days)

    def state(self, today: date) -> str:
        if self.problem is not None or today > self.review_by:
            return "expired"
        if today > self.review_by - timedelta(days=DUE_WINDOW_DAYS):
            return "due"
        return "fresh"


def read_file(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e}).") from None
    if len(data) > MAX_BYTES:
        raise InputError(
            f"{path}: {len(data) // 2**20} MiB is larger than the {MAX_BYTES // 2**20} MiB limit."
        )
    if not data:
        raise InputError(f"{path}: the file is empty; nothing to evidence.")
    return data


def new_document(path: Path, content_digest: str, size: int, **fields: object) -> Document:
    """The metadata of a document about to be added; InputError naming the option for a value out of
    bounds, so nothing is written."""
    check_text("the file name", path.name)
    check_text("--owner", str(fields.get("owner", "")))
    try:
        document = Document.model_validate(
            {
                "name": path.name,
                "sha256": content_digest,
                "size": size,
                "added_at": utc_iso(datetime.now(UTC)),
                **fields,
            }
        )
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: document metadata field '{where}': {first['msg']}.") from None
    if document.problem is not None:
        raise InputError(f"{path}: {document.problem}; nothing was changed.")
    return document


@dataclass(frozen=True)
class Found:
    """The documents of some runs, and what could not be read (each naming its run and what to do)."""

    documents: list[Document]
    problems: list[str] = field(default_factory=list)


def read_documents(
    locker: Locker, manifests: list[Manifest], limits: Mapping[str, int] | None = None
) -> Found:
    """Every document added in these runs, oldest first; a later copy of a file replaces the earlier one;
    with `limits` (kind -> max review days), each is judged by at most its kind's maximum (`judged_by`).

    Metadata that cannot be read (damaged, missing, or not a document) is left out and described in
    `problems`: a signed run cannot be changed, so it must not stop every report that reads documents.
    """
    found: dict[tuple[str, str, str], Document] = {}
    stored, problems = stored_records(
        locker,
        manifests,
        PROVIDER,
        ADD,
        Document,
        lambda call: f"document {call.parameters.get('name')!r}",
        "has invalid metadata",
        ": add it again",
    )
    for item in stored:
        document = item.value
        if document.problem is not None:
            problems.append(
                f"{locker.root}/runs/{item.run_id}: document {document.name!r} is out of bounds "
                f"({document.problem}); it counts as expired: add it again with `trustctl docs add`"
            )
        found[(document.name, document.kind, document.control)] = judged_by(document, limits or {})
    return Found(list(found.values()), problems)


def documents_in(
    locker: Locker, manifests: list[Manifest], limits: Mapping[str, int] | None = None
) -> list[Document]:
    """The documents of `read_documents`, without its problems (those out of bounds count as expired)."""
    return read_documents(locker, manifests, limits).documents


def document_calls(document_name: str) -> tuple[Call, Call]:
    """The two requests a document adds to its run: its content, then its metadata."""
    return tuple(  # type: ignore[return-value]
        Call(
            provider=PROVIDER,
            account="documents",
            region="global",
            service="documents",
            operation=operation,
            parameters={"name": document_name},
        )
        for operation in (CONTENT, ADD)
    )
