"""The common-control catalog, loaded from catalog.yaml and validated."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustctl import yamlfile
from trustctl.errors import TrustctlError

FAMILIES = ("AC", "IAM", "CRY", "BCK", "LOG", "NET", "ISO", "GOV", "HR", "VND", "INC", "CHG", "AVL")


class Control(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Z]{2,3}-\d{2}$")
    family: str
    name: str
    description: str
    documents: list[str] = []  # document kinds that evidence the control (policy, training-record, ...)


class DocumentKind(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_review_days: int = Field(ge=1, le=3650)  # the longest review period an auditor accepts
    description: str


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    controls: list[Control]
    redirects: dict[str, str] = {}
    document_kinds: dict[str, DocumentKind] = {}

    def get(self, control_id: str) -> Control:
        control_id = self.redirects.get(control_id, control_id)
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    @property
    def ids(self) -> set[str]:
        return {c.id for c in self.controls}


@cache
def load_catalog() -> Catalog:
    text = resources.files("trustctl.controls").joinpath("catalog.yaml").read_text(encoding="utf-8")
    try:
        catalog = Catalog.model_validate(yamlfile.safe_load(text))
    except ValidationError as e:
        raise TrustctlError(
            f"trustctl/controls/catalog.yaml: invalid control catalog ({e.errors()[0]['msg']})."
        ) from None
    for control in catalog.controls:
        if control.family not in FAMILIES or not control.id.startswith(control.family + "-"):
            raise TrustctlError(f"trustctl/controls/catalog.yaml: {control.id} is not in a known family.")
        unknown = sorted(set(control.documents) - set(catalog.document_kinds))
        if unknown:
            raise TrustctlError(
                f"trustctl/controls/catalog.yaml: {control.id} names document kinds {', '.join(unknown)} "
                "that document_kinds does not define."
            )
    return catalog
