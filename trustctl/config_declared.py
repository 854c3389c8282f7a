"""What the organization declares in trustctl.toml beside how to collect: certifications held, its
tenants, what the trust report says, waivers and, per framework, what does not apply and its HIPAA
addressable decisions. Validated like the rest of the file (trustctl.config re-exports every model)."""

from __future__ import annotations

import fnmatch
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trustctl.ids import CERTIFICATION_IDS
from trustctl.inputs import BoundedDate, SingleLine

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
LOCATION_PATTERN = r"^([a-z]{2}(-[a-z]+)+-\d|[a-z]+-[a-z]+\d+|[A-Za-z]+\d*)$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class HeldCertification(_Model):
    """A certification (or, for HIPAA and FERPA, an attestation) the organization holds."""

    issued: BoundedDate
    expires: BoundedDate | None = None  # default: issued + the validity in the roadmap's costs
    auditor: SingleLine | None = None  # shown in the trust report, with the issue (report) date

    @model_validator(mode="after")
    def _expires_after_issued(self) -> HeldCertification:
        if self.expires is not None and self.expires <= self.issued:
            raise ValueError("expires must be after issued")
        return self


class CertificationsConfig(_Model):
    """Held certifications, for `trustctl roadmap`: a key per certification held, absent if not."""

    soc2_type1: HeldCertification | None = None
    soc2_type2: HeldCertification | None = None
    soc3: HeldCertification | None = None
    iso27001: HeldCertification | None = None
    hipaa: HeldCertification | None = None
    ferpa: HeldCertification | None = None

    def held(self) -> dict[str, HeldCertification]:
        return {c: h for c in CERTIFICATION_IDS if (h := getattr(self, c)) is not None}


assert tuple(CertificationsConfig.model_fields) == CERTIFICATION_IDS  # a key per certification, in order


TENANT_TAG_PATTERN = r"^[^=:]+[=:].*$"


class TenantConfig(_Model):
    """A customer with its own compartment: how its data stores are recognised, and what it was promised."""

    name: str = Field(pattern=NAME_PATTERN)
    # shared: the tenant's data sits in shared stores (logical isolation); database: stores of its own;
    # account: AWS accounts / GCP projects of its own.
    isolation: Literal["shared", "database", "account"] = "shared"
    aws_accounts: list[Annotated[str, Field(pattern=r"^\d{12}$")]] = []
    tag: Annotated[str, Field(pattern=r"^$|" + TENANT_TAG_PATTERN)] = ""  # "tenant=acme" or "tenant:acme"
    gcp_projects: list[str] = []
    gcp_labels: list[Annotated[str, Field(pattern=TENANT_TAG_PATTERN)]] = []
    regions: list[Annotated[str, Field(pattern=LOCATION_PATTERN)]] = []  # empty: policy.allowed_regions
    require_cmk: bool = False

    @model_validator(mode="after")
    def _recognisable(self) -> TenantConfig:
        if not (self.aws_accounts or self.tag or self.gcp_projects or self.gcp_labels):
            raise ValueError(
                "give aws_accounts, tag, gcp_projects or gcp_labels to recognise its data stores"
            )
        return self


class Subprocessor(_Model):
    name: SingleLine
    purpose: str = ""
    location: str = ""


class TrustConfig(_Model):
    """What the trust report says beyond the evidence: who to contact, subprocessors, what to omit."""

    contact: str = ""
    subprocessors: list[Subprocessor] = []
    # Control areas with failing results are stated honestly ("12 of 14 ..."); list areas to leave out
    # instead (access, encryption, backup, logging, network, isolation, people). Never shown as passing.
    omit_areas: list[
        Literal["access", "encryption", "backup", "logging", "network", "isolation", "people"]
    ] = []


class Waiver(_Model):
    check: str = Field(min_length=1)
    resource: str = "*"
    reason: str = Field(min_length=1)
    owner: SingleLine
    expires: BoundedDate
    granted: BoundedDate | None = None  # the day the exception was approved; its duration counts from it

    @model_validator(mode="after")
    def _granted_before_expiry(self) -> Waiver:
        if self.granted is not None and self.granted >= self.expires:
            raise ValueError("granted must be before expires")
        return self

    def duration_days(self, today: date) -> int:
        """Days from the grant (or, without one, from today) to the expiry."""
        return (self.expires - (self.granted or today)).days

    def matches(self, check: str, resource: str) -> bool:
        return fnmatch.fnmatchcase(check, self.check) and fnmatch.fnmatchcase(resource, self.resource)


class AddressableDecision(_Model):
    """The 45 CFR 164.306(d)(3) decision on a HIPAA addressable implementation specification."""

    # implemented: judged on its evidence as usual; alternative: an equivalent measure is in place
    # instead (say which); not_reasonable: neither is reasonable and appropriate, with the reason.
    decision: Literal["implemented", "alternative", "not_reasonable"]
    reason: SingleLine = Field(min_length=1)
    alternative: SingleLine = ""

    @model_validator(mode="after")
    def _alternative_named(self) -> AddressableDecision:
        if self.decision == "alternative" and not self.alternative.strip():
            raise ValueError("decision 'alternative' needs alternative = the equivalent measure in place")
        return self


class FrameworkScope(_Model):
    """What the organization declares about a framework's requirements: which do not apply, and why;
    for HIPAA, its decision on each addressable specification."""

    not_applicable: dict[str, Annotated[str, Field(min_length=1)]] = {}  # requirement id -> justification
    addressable: dict[str, AddressableDecision] = {}
