"""What the organization declares in trustctl.toml beside how to collect: certifications held, its
tenants, what the trust report says, waivers, per framework what does not apply and its HIPAA
addressable decisions, and management's words for an auditor: the system description inputs ([system])
and how each control operates ([controls.ID] narrative). Validated like the rest of the file
(trustctl.config re-exports every model); control ids are checked against the catalog when the config is
loaded (trustctl.frameworks.rules)."""

from __future__ import annotations

import fnmatch
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from trustctl.ids import CERTIFICATION_IDS, FRAMEWORK_IDS
from trustctl.inputs import BoundedDate, PlainPath, Prose, SingleLine

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
LOCATION_PATTERN = r"^([a-z]{2}(-[a-z]+)+-\d|[a-z]+-[a-z]+\d+|[A-Za-z]+\d*)$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class HeldCertification(_Model):
    """A certification (or, for HIPAA and FERPA, an attestation) the organization holds.

    SOC 2, SOC 3 and ISO 27001 are audited: `auditor` is the firm and `issued` the report (or certificate)
    date. HIPAA and FERPA have no certificate and no audit report: without `assessed_by` the company
    attested it itself on `issued`; with it, a third party assessed it on that date."""

    issued: BoundedDate
    expires: BoundedDate | None = None  # default: issued + the validity in the roadmap's costs
    auditor: SingleLine | None = None  # SOC 2, SOC 3, ISO 27001: the audit firm or certification body
    assessed_by: SingleLine | None = None  # HIPAA, FERPA: the third-party assessor, if any

    @model_validator(mode="after")
    def _expires_after_issued(self) -> HeldCertification:
        if self.expires is not None and self.expires <= self.issued:
            raise ValueError("expires must be after issued")
        return self


class InObservation(_Model):
    """A SOC 2 Type II (or SOC 3) audit under way: the observation window runs until `observation_until`,
    and the report follows it. Declared in place of `issued`; the roadmap treats it as not held."""

    observation_until: BoundedDate
    observation_from: BoundedDate | None = None
    auditor: SingleLine | None = None  # the audit firm engaged

    @model_validator(mode="after")
    def _window(self) -> InObservation:
        if self.observation_from is not None and self.observation_from >= self.observation_until:
            raise ValueError("observation_from must be before observation_until")
        return self


AUDITED = ("soc2_type1", "soc2_type2", "soc3", "iso27001")  # an independent auditor issues a report
OBSERVED = ("soc2_type2", "soc3")  # their audit covers a period: it can be declared in observation

Declared = HeldCertification | InObservation


class CertificationsConfig(_Model):
    """[certifications]: a key per certification held (`issued`) or, for SOC 2 Type II and SOC 3, in
    observation (`observation_until`); absent if neither."""

    soc2_type1: Declared | None = None
    soc2_type2: Declared | None = None
    soc3: Declared | None = None
    iso27001: Declared | None = None
    hipaa: Declared | None = None
    ferpa: Declared | None = None

    @field_validator("*", mode="wrap")
    @classmethod
    def _held_or_observed(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: Any) -> Any:
        """One model by what the table says (a union would name both models in every error), checked
        against what the certification can be: an audit report, an attestation, an observation window."""
        if value is None or isinstance(value, (HeldCertification, InObservation)):
            return handler(value)
        if not isinstance(value, dict):
            raise ValueError(
                "give a table: { issued = DATE } when held, { observation_until = DATE } in observation"
            )
        name = info.field_name
        if "observation_until" in value and "issued" in value:
            raise ValueError(
                "give issued (held) or observation_until (audit under way), not both; "
                "a Type I held while the Type II window runs is its own key, soc2_type1"
            )
        if "observation_until" in value:
            if name not in OBSERVED:
                raise ValueError(
                    "observation_until applies to soc2_type2 and soc3, whose audit covers a period; "
                    "for the others declare issued once held"
                )
            return InObservation.model_validate(value)
        if value.get("auditor") is not None and name not in AUDITED:
            raise ValueError(
                f"{name} has no audit report: leave auditor out (self-attested) or give assessed_by "
                "for a third-party assessment"
            )
        if value.get("assessed_by") is not None and name in AUDITED:
            raise ValueError(f"{name} is audited: give auditor, not assessed_by")
        return HeldCertification.model_validate(value)

    def held(self) -> dict[str, HeldCertification]:
        return {c: h for c in CERTIFICATION_IDS if isinstance(h := getattr(self, c), HeldCertification)}

    def in_observation(self) -> dict[str, InObservation]:
        return {c: h for c in CERTIFICATION_IDS if isinstance(h := getattr(self, c), InObservation)}


assert tuple(CertificationsConfig.model_fields) == CERTIFICATION_IDS  # a key per certification, in order


TENANT_TAG_PATTERN = r"^[^=:]+[=:].*$"


class TenantConfig(_Model):
    """A customer with its own compartment: how its data stores are recognised, and what it was promised."""

    name: str = Field(pattern=NAME_PATTERN)
    display_name: SingleLine = ""  # how its own trust report names it (default: the name)
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
    # Frameworks the organization is working toward, shown as "in progress" (controls mapped and
    # monitored, no report yet). Default: every framework trustctl maps. Held certifications and audits
    # in observation ([certifications]) are always shown; any other framework is left out.
    in_progress: list[Literal[FRAMEWORK_IDS]] | None = None  # type: ignore[valid-type]


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


def _unique(values: list[str], what: str) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} {', '.join(duplicates)}")


class Described(_Model):
    """A named part of the system with management's description of it: a service, an infrastructure
    component, a role or team."""

    name: SingleLine
    description: Prose | None = None


class Boundaries(_Model):
    """What the system description covers, and what it leaves out, in management's words."""

    in_scope: Prose | None = None
    out_of_scope: Prose | None = None


class DataCategory(_Model):
    """A category of data the system holds, and where it is stored."""

    name: SingleLine
    description: Prose | None = None
    stored_in: list[SingleLine] = []


class SubserviceOrganization(Subprocessor):
    """A subservice organization (a vendor the system relies on, e.g. AWS or GCP): `purpose` is the
    services it provides. carve-out: its controls are left out of the description and covered by its own
    report; inclusive: they are described and tested with the system's. `controls`: what the system
    expects it to operate (complementary subservice organization controls), in management's words."""

    method: Literal["carve-out", "inclusive"]
    controls: list[Prose] = []


class UserEntityControl(_Model):
    """A complementary user entity control: what customers must do for the controls to work."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    text: Prose
    controls: list[str] = []  # related catalog controls (AC-01...), checked against the catalog


class SystemDescription(_Model):
    """[system]: the inputs to the system description, inline or in the TOML file `file` names
    (relative to trustctl.toml). The packet shows them as management's draft; nothing is filled in."""

    file: PlainPath | None = None  # where they were read from, when not inline
    name: SingleLine | None = None
    services: list[Described] = []
    boundaries: Boundaries = Boundaries()
    infrastructure: list[Described] = []
    people: list[Described] = []  # roles and teams
    data: list[DataCategory] = []
    subservice_organizations: list[SubserviceOrganization] = []
    cuecs: list[UserEntityControl] = []

    @model_validator(mode="after")
    def _unique_names(self) -> SystemDescription:
        _unique([o.name for o in self.subservice_organizations], "subservice organization")
        _unique([c.id for c in self.cuecs], "cuecs id")
        return self

    @property
    def given(self) -> bool:
        """Whether management described anything."""
        return any(v for k, v in self.model_dump(exclude={"file", "boundaries"}).items()) or any(
            self.boundaries.model_dump().values()
        )


class ControlNarrative(_Model):
    """[controls.ID]: management's description of how the control operates, and who owns it."""

    narrative: Prose
    owner: SingleLine | None = None
