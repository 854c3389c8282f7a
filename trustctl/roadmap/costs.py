"""The roadmap's inputs besides deals and the gap: costs, buyer behaviour, recurring demand and the
simulation's spreads. Shipped defaults (costs.toml, each figure with its source) are overridden item by
item from the user's file and validated with the file and the dotted key named."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trustctl.controls.catalog import FAMILIES
from trustctl.errors import InputError
from trustctl.ids import CERTIFICATION_IDS
from trustctl.inputs import BoundsError, toml_loads

SHIPPED = "trustctl/roadmap/costs.toml"
# Far beyond any real figure, and small enough that sums and products of them stay finite: the roadmap's
# JSON must never hold Infinity or NaN.
MAX_AMOUNT = 1e12
MAX_HOURS = 1e9
MAX_MONTHS = 1200


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class CertificationCost(_Model):
    audit_fee: float = Field(ge=0, le=MAX_AMOUNT)
    tooling: float = Field(ge=0, le=MAX_AMOUNT)
    fixed_hours: float = Field(ge=0, le=MAX_HOURS)
    annual_upkeep: float = Field(ge=0, le=MAX_AMOUNT)
    months_to_achieve: float = Field(ge=0, le=MAX_MONTHS)
    observation_months: float = Field(default=0, ge=0, le=MAX_MONTHS)
    internal_audit_fee: float = Field(default=0, ge=0, le=MAX_AMOUNT)
    internal_audit_months: float = Field(default=0, ge=0, le=MAX_MONTHS)
    needs_pen_test: bool = False
    assessment: Literal["self", "third_party"] | None = None  # HIPAA and FERPA: how a buyer is shown it
    assessment_fee: float = Field(default=0, ge=0, le=MAX_AMOUNT)
    assessment_months: float = Field(default=0, ge=0, le=MAX_MONTHS)
    validity_months: int = Field(ge=1, le=MAX_MONTHS)

    @property
    def third_party(self) -> bool:
        return self.assessment == "third_party"

    @property
    def audit_months(self) -> float:
        """From the external audit's start to the report (a third-party assessment adds its months)."""
        return self.months_to_achieve + self.assessment_months * self.third_party


Probability = Field(ge=0, le=1)


class PenTest(_Model):
    cost: float = Field(ge=0, le=MAX_AMOUNT)


class Operations(_Model):
    people: int = Field(ge=0, le=10_000_000)
    hires_per_year: float = Field(ge=0, le=10_000_000)
    training_per_person: float = Field(ge=0, le=MAX_AMOUNT)
    training_hours_per_person: float = Field(ge=0, le=MAX_HOURS)
    background_check_per_hire: float = Field(ge=0, le=MAX_AMOUNT)
    access_review_hours: float = Field(ge=0, le=MAX_HOURS)  # per quarter
    vendor_review_hours: float = Field(ge=0, le=MAX_HOURS)  # per year


class Buyers(_Model):
    type1_bridge_acceptance: float = Probability
    in_progress_acceptance: float = Probability
    in_progress_months: float = Field(ge=0, le=MAX_MONTHS)
    slip_probability: float = Probability
    slip_months: float = Field(gt=0, le=MAX_MONTHS)
    hipaa_self_attestation_acceptance: float = Probability
    contract_years: float = Field(gt=0, le=100)  # a won deal's worth, in multiples of its amount


class Demand(_Model):
    """Deals a quarter that ask for one certification, beyond the open pipeline."""

    deals_per_quarter: float = Field(ge=0, le=1e6)
    average_amount: float = Field(ge=0, le=MAX_AMOUNT)
    win_rate: float = Probability


class Uncertainty(_Model):
    draws: int = Field(ge=100, le=100_000)
    seed: int = Field(ge=0, le=2**63 - 1)
    probability_spread: float = Field(ge=0, le=1)
    acceptance_spread: float = Field(ge=0, le=1)
    cost_spread: float = Field(ge=0, le=1)
    duration_spread: float = Field(ge=0, le=3)  # x 1/(1 + s) to x (1 + s)
    demand_spread: float = Field(ge=0, le=1)


def _known_certifications(table: Mapping[str, object]) -> None:
    """A ValueError naming the keys of `table` that are not certification ids."""
    unknown = sorted(set(table) - set(CERTIFICATION_IDS))
    if unknown:
        raise ValueError(
            f"unknown certification {', '.join(unknown)} (known: {', '.join(CERTIFICATION_IDS)})"
        )


def _families(table: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(table) - {*FAMILIES, "default"})
    if unknown:
        raise ValueError(
            f"unknown control family {', '.join(unknown)} (known: default, {', '.join(FAMILIES)})"
        )
    if any(not (math.isfinite(hours) and 0 <= hours <= MAX_HOURS) for hours in table.values()):
        raise ValueError(f"hours must be finite numbers from 0 to {MAX_HOURS:g}")
    if "default" not in table:
        raise ValueError("needs a 'default' entry")
    return table


class Costs(_Model):
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    hourly_rate: float = Field(gt=0, le=MAX_AMOUNT)
    hourly_rate_low: float = Field(gt=0, le=MAX_AMOUNT)
    hourly_rate_high: float = Field(gt=0, le=MAX_AMOUNT)
    team_hours_per_month: float = Field(gt=0, le=MAX_HOURS)
    hours_per_control: dict[str, float]
    hours_per_document: dict[str, float]
    certifications: dict[str, CertificationCost]
    pen_test: PenTest
    operations: Operations
    buyers: Buyers
    demand: dict[str, Demand] = {}
    uncertainty: Uncertainty

    @model_validator(mode="after")
    def _rate_in_range(self) -> Costs:
        if not self.hourly_rate_low <= self.hourly_rate <= self.hourly_rate_high:
            raise ValueError(
                f"hourly_rate {self.hourly_rate:g} must lie between hourly_rate_low {self.hourly_rate_low:g} "
                f"and hourly_rate_high {self.hourly_rate_high:g}; give all three"
            )
        return self

    @field_validator("demand")
    @classmethod
    def _known_demand(cls, table: dict[str, Demand]) -> dict[str, Demand]:
        _known_certifications(table)
        return table

    @field_validator("hours_per_control", "hours_per_document")
    @classmethod
    def _check_families(cls, table: dict[str, float]) -> dict[str, float]:
        return _families(table)

    @field_validator("certifications")
    @classmethod
    def _known(cls, table: dict[str, CertificationCost]) -> dict[str, CertificationCost]:
        _known_certifications(table)
        missing = [c for c in CERTIFICATION_IDS if c not in table]
        if missing:
            raise ValueError(f"no costs for {', '.join(missing)}")
        return table

    def control_hours(self, family: str) -> float:
        return self.hours_per_control.get(family, self.hours_per_control["default"])

    def document_hours(self, family: str) -> float:
        return self.hours_per_document.get(family, self.hours_per_document["default"])


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`override` on top of `base`, table by table: only the keys given change."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = merge(base[key], value)
        else:
            merged[key] = value
    return merged


def _read(text: str, source: str) -> dict[str, Any]:
    try:
        return toml_loads(text)
    except BoundsError as e:
        raise InputError(f"{source}: arrays or tables {e}; flatten them.") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{source}: not valid TOML ({e}).") from None


def shipped_text() -> str:
    return resources.files("trustctl.roadmap").joinpath("costs.toml").read_text(encoding="utf-8")


def load_costs(path: Path | None = None) -> Costs:
    """The shipped costs, with the items in `path` (a costs.toml of the same shape) replacing theirs."""
    data = _read(shipped_text(), SHIPPED)
    source = SHIPPED
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: cannot be read ({e}).") from None
        data = merge(data, _read(text, str(path)))
        source = str(path)
    try:
        return Costs.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        if not where:  # a rule across keys (the hourly rate's range) names its keys itself
            raise InputError(f"{source}: {first['msg'].removeprefix('Value error, ')}.") from None
        if first["type"] == "extra_forbidden":
            problem = (
                f"unknown key '{where}'; remove it or check its spelling (see README, Certification roadmap)"
            )
        else:
            problem = f"invalid value for '{where}': {first['msg'].removeprefix('Value error, ')}"
        raise InputError(f"{source}: {problem}.") from None
