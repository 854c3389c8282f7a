"""The shape of a framework catalog (catalogs/*.yaml), validated when it is loaded."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ControlLink(_Model):
    """A common control that evidences a requirement, wholly or in part."""

    id: str = Field(pattern=r"^[A-Z]{2,3}-\d{2}$")
    coverage: Literal["full", "partial"]
    # One sentence in our own words: why this control evidences the requirement and, for a partial
    # link, what it leaves to other evidence. tests/data/mapping_notes.json locks it with the coverage.
    note: str = Field(min_length=1)


class Requirement(_Model):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)  # an official short name or our own paraphrase, never licensed text
    description: str = Field(min_length=1)  # our own words
    citation: str = Field(min_length=1)  # e.g. "TSC CC6.1", "ISO/IEC 27001:2022 A.8.5", "45 CFR 164.312(d)"
    group: str = ""  # category, theme or section, e.g. "security", "Technological controls", "164.312"
    flag: Literal["required", "addressable", ""] = ""  # HIPAA implementation specifications
    controls: list[ControlLink] = []
    documents: list[str] = []  # document kinds only a person can provide (policy, board-minutes, ...)


class Framework(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    name: str
    version: str
    kind: Literal["attestation", "certification", "regulation", "obligations"]
    description: str
    derived_from: str | None = None  # e.g. soc3 takes soc2's requirements
    requirements: list[Requirement] = []
