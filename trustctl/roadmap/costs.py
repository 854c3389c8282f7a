"""The roadmap's cost model: shipped defaults (costs.toml, each figure with its source) overridden item by
item from the user's file, validated with the file and the dotted key named."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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
    validity_months: int = Field(ge=1, le=MAX_MONTHS)


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
    team_hours_per_month: float = Field(gt=0, le=MAX_HOURS)
    hours_per_control: dict[str, float]
    hours_per_document: dict[str, float]
    certifications: dict[str, CertificationCost]

    @field_validator("hours_per_control", "hours_per_document")
    @classmethod
    def _check_families(cls, table: dict[str, float]) -> dict[str, float]:
        return _families(table)

    @field_validator("certifications")
    @classmethod
    def _known(cls, table: dict[str, CertificationCost]) -> dict[str, CertificationCost]:
        unknown = sorted(set(table) - set(CERTIFICATION_IDS))
        if unknown:
            raise ValueError(
                f"unknown certification {', '.join(unknown)} (known: {', '.join(CERTIFICATION_IDS)})"
            )
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
        if first["type"] == "extra_forbidden":
            problem = (
                f"unknown key '{where}'; remove it or check its spelling (see README, Certification roadmap)"
            )
        else:
            problem = f"invalid value for '{where}': {first['msg'].removeprefix('Value error, ')}"
        raise InputError(f"{source}: {problem}.") from None
