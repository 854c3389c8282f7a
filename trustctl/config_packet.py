"""`[packet]` in trustctl.toml: what the audit packet adds to its shipped request list. An audit firm's own
items (`[[packet.requests]]`) are validated like the shipped ones: known controls, document kinds and
population ids, checked against the catalogs when the config is loaded."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trustctl.ids import POPULATION_IDS
from trustctl.inputs import SingleLine

REQUEST_KINDS = ("population", "sample", "configuration", "policy", "report")


class RequestItem(BaseModel):
    """One item an auditor requests, and what in the evidence answers it: controls whose collected
    results show the configuration, document kinds, or a population (and, for a sample, its rows)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
    title: SingleLine
    kind: Literal["population", "sample", "configuration", "policy", "report"]
    controls: list[str] = []
    documents: list[str] = []
    population: Literal[POPULATION_IDS] | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _answerable(self) -> RequestItem:
        if self.kind in ("population", "sample") and self.population is None:
            raise ValueError(f"a {self.kind} item names its population (one of {', '.join(POPULATION_IDS)})")
        if self.population is None and not self.controls and not self.documents:
            raise ValueError("name what answers it: controls, documents or a population")
        return self


class PacketConfig(BaseModel):
    """`[packet]`: `[[packet.requests]]` items the audit firm adds to the framework's request list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: list[RequestItem] = []

    @model_validator(mode="after")
    def _unique(self) -> PacketConfig:
        ids = [r.id for r in self.requests]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"request ids must be unique; repeated: {', '.join(twice)}")
        return self
