"""The knowledge base: answers the company writes itself, for questions no evidence answers.

A TOML file of `[[answer]]` tables: `id` (a question id), `answer` (Yes, No, Partial or N/A), `text`
(one line), `owner` (an email address), `reviewed` (a date) and `review_every` ("365d", "12m", "1y",
as `trustctl docs add --review-every`). An answer past its review is not used and is listed, like an
expired document. The text goes into a customer's spreadsheet, so one that names a cloud account or
resource (an ARN, a 12-digit account id) is refused, as the trust report never names one either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from trustctl.errors import InputError
from trustctl.evidence.documents import parse_duration
from trustctl.inputs import BoundedDate, BoundsError, SingleLine, email_address, toml_loads

MAX_BYTES = 2 * 2**20
# What the trust report never names: ARNs, 12-digit AWS account ids, GCP service-account emails.
IDENTIFIER = re.compile(r"arn:aws|(?<!\d)\d{12}(?!\d)|\.iam\.gserviceaccount\.com", re.IGNORECASE)


FORMULA = ("=", "+", "-", "@")  # a cell starting with one of these is a formula to Excel


class Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: SingleLine
    answer: Literal["Yes", "No", "Partial", "N/A"]
    text: SingleLine
    owner: str
    reviewed: BoundedDate
    review_every: str

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if email_address(value) is None:
            raise ValueError("must be an email address")
        return value

    @field_validator("text")
    @classmethod
    def _no_identifier(cls, value: str) -> str:
        if IDENTIFIER.search(value):
            raise ValueError("names a cloud account or resource; answers never carry identifiers")
        if value.lstrip().startswith(FORMULA):
            raise ValueError(f"starts with {value.lstrip()[0]!r}, which a spreadsheet runs as a formula")
        return value

    @property
    def review_by(self) -> date:
        return self.reviewed + timedelta(days=parse_duration(self.review_every))


@dataclass(frozen=True)
class Knowledge:
    source: str
    answers: dict[str, Answer]  # id -> answer, in force on the day judged
    expired: dict[str, Answer]  # id -> answer past its review: not used


def load_knowledge(path: Path, today: date) -> Knowledge:
    """The answers of `path` in force on `today`; any problem is one InputError naming the file."""
    if not path.is_file():
        raise InputError(f"--knowledge {path}: no such file.")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; not a knowledge base.")
    try:
        data = toml_loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, BoundsError) as e:
        raise InputError(f"{path}: not a TOML knowledge base ({e}).") from None
    unknown = set(data) - {"answer"}
    if unknown or not isinstance(data.get("answer", []), list):
        raise InputError(
            f"{path}: expected only [[answer]] tables, found {', '.join(sorted(unknown)) or 'answer'}."
        )
    answers: dict[str, Answer] = {}
    expired: dict[str, Answer] = {}
    for n, raw in enumerate(data.get("answer", []), start=1):
        try:
            entry = Answer.model_validate(raw)
            review_by = entry.review_by
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(table)"
            raise InputError(f"{path}: answer {n}: field '{where}': {first['msg']}.") from None
        except InputError as e:
            raise InputError(f"{path}: answer {n} ({raw.get('id')}): {e}") from None
        if entry.id in answers or entry.id in expired:
            raise InputError(f"{path}: answer {n}: id {entry.id} is answered twice; keep one.")
        if entry.reviewed > today:
            raise InputError(f"{path}: answer {n} ({entry.id}): reviewed {entry.reviewed} is in the future.")
        (expired if today > review_by else answers)[entry.id] = entry
    return Knowledge(str(path), answers, expired)
