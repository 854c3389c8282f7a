"""Document evidence: policies, training records, pen-test reports... hashed into the locker.

`docs add` writes one signed run of its own (provider "documents") holding the file's bytes and its
metadata; a document is fresh until its review date, due in the 30 days before it, expired after.
Expired documents count as missing.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustctl.errors import InputError
from trustctl.evidence.locker import DOCUMENTS, Locker
from trustctl.evidence.records import Call, Manifest

PROVIDER = DOCUMENTS
ADD = "AddDocument"
CONTENT = "DocumentContent"
DUE_WINDOW_DAYS = 30
MAX_BYTES = 200 * 2**20
DURATION = re.compile(r"^(?P<n>\d+)(?P<unit>[dwmy])$")
UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_duration(text: str) -> int:
    """'365d', '52w', '12m', '1y' -> days."""
    match = DURATION.match(text.strip())
    if not match or int(match["n"]) == 0:
        raise InputError(
            f"--review-every {text!r}: give a positive number of days, weeks, months or years "
            "(e.g. 365d, 12m, 1y)."
        )
    return int(match["n"]) * UNIT_DAYS[match["unit"]]


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
    def review_by(self) -> date:
        return self.approved + timedelta(days=self.review_every_days)

    def state(self, today: date) -> str:
        if today > self.review_by:
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
    try:
        return Document.model_validate(
            {
                "name": path.name,
                "sha256": content_digest,
                "size": size,
                "added_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                **fields,
            }
        )
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: document metadata field '{where}': {first['msg']}.") from None


def documents_in(locker: Locker, manifests: list[Manifest]) -> list[Document]:
    """Every document added in these runs, oldest first; a later copy of a file replaces the earlier one."""
    found: dict[tuple[str, str, str], Document] = {}
    for manifest in manifests:
        for record in manifest.requests:
            if record.call.provider == PROVIDER and record.call.operation == ADD and record.object:
                try:
                    document = Document.model_validate(locker.get_object(record.object))
                except ValidationError as e:
                    raise InputError(
                        f"{locker.root}/runs/{manifest.run_id}: document metadata is invalid "
                        f"({e.errors()[0]['msg']})."
                    ) from None
                found[(document.name, document.kind, document.control)] = document
    return list(found.values())


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
