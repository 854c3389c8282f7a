"""trustctl.toml -> validated, frozen settings.

Unknown keys are rejected with the file and the dotted key named, so a typo never silently
falls back to a default. Relative paths are resolved against the directory of the file.
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from trustctl.config_declared import (
    LOCATION_PATTERN,
    NAME_PATTERN,
    AddressableDecision,
    Boundaries,
    CertificationsConfig,
    ControlNarrative,
    DataCategory,
    Described,
    FrameworkScope,
    HeldCertification,
    Subprocessor,
    SubserviceOrganization,
    SystemDescription,
    TenantConfig,
    TrustConfig,
    UserEntityControl,
    Waiver,
)
from trustctl.config_packet import PacketConfig, RequestItem
from trustctl.errors import ConfigError
from trustctl.inputs import BoundsError, PlainPath, PlainText, SingleLine, toml_loads

__all__ = [
    "AddressableDecision",
    "Boundaries",
    "CertificationsConfig",
    "Config",
    "ControlNarrative",
    "DataCategory",
    "Described",
    "FrameworkScope",
    "HeldCertification",
    "PacketConfig",
    "RequestItem",
    "Subprocessor",
    "SubserviceOrganization",
    "SystemDescription",
    "TenantConfig",
    "TrustConfig",
    "UserEntityControl",
    "Waiver",
]

DEFAULT_CONFIG = "trustctl.toml"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"


# Every number must be finite (TOML has inf and nan): a report would print `Infinity`, which is not JSON.
class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class OrganizationConfig(_Model):
    name: SingleLine


FINGERPRINT = r"^sha256:[0-9a-f]{64}$"


class LockerConfig(_Model):
    path: PlainText = ".trustctl/locker"
    key: PlainText = ".trustctl/signing-key.pem"
    # Fingerprints of the keys this locker may be signed with, recorded when `init` printed them:
    # `trustctl verify` fails for a locker re-signed with any other key.
    trusted_keys: list[Annotated[str, Field(pattern=FINGERPRINT)]] = []


class AwsConfig(_Model):
    regions: list[Annotated[str, Field(pattern=REGION_PATTERN)]] | None = None
    org_role: str | None = None
    profile: str | None = None
    max_workers: int = Field(default=16, ge=1, le=256)
    # Worker processes for collection: 1 runs everything in this process (threads only).
    processes: int = Field(default=1, ge=1, le=64)
    max_attempts: int = Field(default=8, ge=1, le=20)
    connect_timeout: float = Field(default=10, gt=0, le=3600)
    read_timeout: float = Field(default=60, gt=0, le=3600)


class GcpConfig(_Model):
    # organizations/N, folders/N or projects/ID; absent: GCP is not collected (exports can still be imported).
    scope: str | None = Field(default=None, pattern=r"^(organizations/\d+|folders/\d+|projects/[a-z0-9-]+)$")
    page_size: int = Field(default=1000, ge=1, le=1000)
    timeout: float = Field(default=120, gt=0, le=3600)


class ScimApp(_Model):
    """A SaaS app trustctl reads users from over SCIM 2.0 (read-only: GET /Users)."""

    name: str = Field(pattern=NAME_PATTERN)
    url: str = Field(pattern=r"^https?://")
    token_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")  # the variable holding the bearer token
    # Whether people sign in to the app through the IdP only (declared: SCIM cannot show it).
    sso_enforced: bool | None = None
    page_size: int = Field(default=100, ge=1, le=1000)
    timeout: float = Field(default=30, gt=0, le=3600)


class IdpExport(_Model):
    """An identity provider's users export: who has MFA/2SV, who is suspended."""

    name: str = Field(pattern=NAME_PATTERN)
    path: PlainPath
    preset: Literal["okta", "google_workspace", "generic"] = "generic"
    # Our field -> the export's column (CSV header or JSON key path with dots); overrides the preset.
    columns: dict[Literal["email", "status", "mfa_enrolled", "deactivated_at", "last_login"], str] = {}


class PeopleRecords(_Model):
    """A per-person records export (an LMS, e-signature or screening vendor's CSV or JSON): one row per
    completion, joined to the HR roster by email."""

    name: str = Field(pattern=NAME_PATTERN)
    kind: Literal["training", "acknowledgement", "background_check"]
    path: PlainPath
    # Our field -> the export's column (CSV header or JSON key path with dots): email, completed_at,
    # item (the course, policy or check name; optional).
    columns: dict[Literal["email", "completed_at", "item"], str] = {}


class IdentityConfig(_Model):
    roster: PlainPath | None = None  # HR roster CSV: email,name,status,terminated_at[,started_at]
    # Our field -> the roster's column header, for exports with other names.
    roster_columns: dict[Literal["email", "name", "status", "terminated_at", "started_at"], str] = {}
    # Status values (case-insensitive) that mean the person has left; anything else listed in
    # active_statuses is a current person; other values are an error naming the row.
    terminated_statuses: list[str] = ["terminated", "inactive", "leaver"]
    active_statuses: list[str] = ["active", "on leave", "leave"]
    # Other domains of the same people: alias -> canonical ("acme.io" = "acme.example").
    domain_aliases: dict[str, str] = {}
    scim: list[ScimApp] = []
    idp: list[IdpExport] = []
    records: list[PeopleRecords] = []  # training, policy acknowledgement and background check exports

    @field_validator("scim", "idp", "records")
    @classmethod
    def _unique_names(cls, items: list[Any]) -> list[Any]:
        names = [i.name for i in items]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"duplicate name {', '.join(duplicates)}")
        return items


TAG_PATTERN = r"^[^=]+=.*$"
MAX_DAYS = 36500  # a century: longer periods are typos, and would overflow date arithmetic
MAX_WAIVER_DAYS = 1095  # three years: an exception that long is a decision, not a waiver
ADMIN_PORTS = [22, 3389, 1433, 1521, 3306, 5432, 5439, 6379, 9200, 11211, 27017]


class PolicyConfig(_Model):
    max_access_key_age_days: int = Field(default=90, ge=1, le=MAX_DAYS)
    max_unused_credential_days: int = Field(default=45, ge=1, le=MAX_DAYS)
    min_password_length: int = Field(default=14, ge=6, le=128)
    # AWS regions and GCP locations alike: eu-west-1, europe-west1, and multi-regions such as EU or US.
    allowed_regions: list[Annotated[str, Field(pattern=LOCATION_PATTERN)]] = []
    min_backup_retention_days: int = Field(default=7, ge=1, le=MAX_DAYS)
    max_recovery_point_age_hours: int = Field(default=26, ge=1, le=MAX_DAYS * 24)
    max_days_since_restore_test: int = Field(default=90, ge=1, le=MAX_DAYS)
    # S3 buckets carrying any of these tags ("key=value") must use SSE-KMS, not the SSE-S3 default.
    kms_required_tags: list[Annotated[str, Field(pattern=TAG_PATTERN)]] = []
    # Ports that must never be open to the whole internet (remote administration and databases).
    admin_ports: list[Annotated[int, Field(ge=0, le=65535)]] = ADMIN_PORTS
    min_tls_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    # The tag ("key=value") that marks production data stores; empty: every data store is production.
    production_tag: Annotated[str, Field(pattern=r"^$|" + TAG_PATTERN)] = ""
    # A leaver's access must be removed from every system within this many hours of termination.
    deprovision_sla_hours: int = Field(default=24, ge=1, le=MAX_DAYS * 24)
    # Security training and policy acknowledgement are repeated every N days; a new hire has a grace
    # window of N days from the roster's start date.
    training_period_days: int = Field(default=365, ge=1, le=MAX_DAYS)
    training_grace_days: int = Field(default=30, ge=0, le=MAX_DAYS)
    acknowledgement_period_days: int = Field(default=365, ge=1, le=MAX_DAYS)
    acknowledgement_grace_days: int = Field(default=30, ge=0, le=MAX_DAYS)
    # A background check must be completed at most this many days after the start date (0: by then).
    background_check_days_after_start: int = Field(default=0, ge=0, le=MAX_DAYS)
    # A waiver may last at most this many days from the day it was granted (or from today).
    max_waiver_days: int = Field(default=365, ge=1, le=MAX_WAIVER_DAYS)
    # Per document kind, a shorter maximum review period than the catalog's (only downward):
    # e.g. { policy = 180 }. Unknown kinds and longer periods are refused when the config is loaded.
    document_review_days: dict[str, Annotated[int, Field(ge=1, le=MAX_DAYS)]] = {}


SOC2_CATEGORIES = ("security", "availability", "confidentiality", "processing_integrity", "privacy")


class FrameworksConfig(_Model):
    # SOC 2's security category (the common criteria) is always in scope; the others are chosen.
    soc2_categories: list[Literal[SOC2_CATEGORIES]] = ["security"]  # type: ignore[valid-type]

    @field_validator("soc2_categories")
    @classmethod
    def _security_always(cls, categories: list[str]) -> list[str]:
        if "security" not in categories:
            raise ValueError("must include 'security' (the common criteria are always in scope)")
        return categories


class Config(_Model):
    organization: OrganizationConfig
    locker: LockerConfig = LockerConfig()
    aws: AwsConfig = AwsConfig()
    gcp: GcpConfig = GcpConfig()
    identity: IdentityConfig = IdentityConfig()
    policy: PolicyConfig = PolicyConfig()
    frameworks: FrameworksConfig = FrameworksConfig()
    certifications: CertificationsConfig = CertificationsConfig()
    tenants: list[TenantConfig] = []
    trust: TrustConfig = TrustConfig()
    waiver: list[Waiver] = []
    packet: PacketConfig = PacketConfig()  # [[packet.requests]]: items the audit firm adds
    # [scope.FRAMEWORK]: requirements not applicable (with a justification) and HIPAA addressable decisions;
    # the ids are checked against the catalogs when the config is loaded (trustctl.frameworks.applicability).
    scope: dict[str, FrameworkScope] = {}
    # [system]: the system description inputs (inline, or `file = "system.toml"`, read by parse_config);
    # [controls.ID]: management's narrative of how each control operates (ids checked against the catalog).
    system: SystemDescription = SystemDescription()
    controls: dict[str, ControlNarrative] = {}
    # Not read from the file: where it was, and a hash of its bytes for run manifests.
    source: Path = Field(default=Path(DEFAULT_CONFIG), exclude=True)
    digest: str = Field(default="", exclude=True)

    @field_validator("waiver")
    @classmethod
    def _unique_waivers(cls, waivers: list[Waiver]) -> list[Waiver]:
        seen = set()
        for w in waivers:
            if (w.check, w.resource) in seen:
                raise ValueError(f"duplicate waiver for {w.check} {w.resource}")
            seen.add((w.check, w.resource))
        return waivers

    @model_validator(mode="after")
    def _waivers_bounded(self) -> Config:
        """An exception has an end: no waiver may last longer than [policy] max_waiver_days."""
        today = datetime.now(UTC).date()
        limit = self.policy.max_waiver_days
        for number, w in enumerate(self.waiver, start=1):
            days = w.duration_days(today)
            if days > limit:
                since = f"granted {w.granted}" if w.granted else f"today ({today})"
                raise ValueError(
                    f"[[waiver]] #{number} ({w.check} {w.resource}) expires {w.expires}, {days} days after "
                    f"{since}; at most [policy] max_waiver_days ({limit}): set an earlier expires, and "
                    "renew the exception when it is reviewed"
                )
        return self

    @property
    def base_dir(self) -> Path:
        return self.source.resolve().parent

    @property
    def locker_path(self) -> Path:
        return self.base_dir / self.locker.path

    @property
    def key_path(self) -> Path:
        return self.base_dir / self.locker.key


_M = TypeVar("_M", bound=BaseModel)


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(p) for p in error["loc"])
    if not where:
        return error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"unknown key '{where}'; remove it or check its spelling (see README, Configuration)"
    if error["type"] == "missing":
        return f"missing required key '{where}'"
    return f"invalid value for '{where}': {error['msg'].removeprefix('Value error, ')}"


def _validated(model: type[_M], data: Any, source: Path) -> _M:
    """`data` as `model`; ConfigError naming the file and the first bad key."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        extra = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(source, _describe(errors[0]) + extra) from None


def _toml(text: str, source: Path) -> dict[str, Any]:
    try:
        return toml_loads(text)
    except BoundsError as e:
        raise ConfigError(source, f"arrays or tables {e}; flatten them") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, f"not valid TOML ({e})") from None


def _read(source: Path, missing: str) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "not found", missing) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(source, f"cannot be read ({e})") from None


def _system_file(data: dict[str, Any], source: Path) -> None:
    """[system] file = "system.toml": read the description from that file (relative to the config), its
    keys at its top level; errors in it name it. The inline form is validated with the rest."""
    system = data.get("system")
    if not isinstance(system, dict) or "file" not in system:
        return
    if set(system) != {"file"}:
        others = ", ".join(sorted(set(system) - {"file"}))
        raise ConfigError(
            source, f"[system] names a file and also has {others}: move them into the file, or drop file"
        )
    name = system["file"]
    if not isinstance(name, str) or not name.strip() or not name.isprintable():
        raise ConfigError(
            source, "invalid value for 'system.file': give the path of a TOML file, on one line"
        )
    path = source.resolve().parent / name
    loaded = _toml(_read(path, f"Create it, or fix [system] file in {source}."), path)
    if "file" in loaded:
        raise ConfigError(path, "a system description file cannot name another (remove 'file')")
    data["system"] = _validated(SystemDescription, loaded, path).model_copy(update={"file": Path(name)})


def parse_config(text: str, source: Path) -> Config:
    """Validate TOML text; raise ConfigError naming the file and the first bad key."""
    data = _toml(text, source)
    _system_file(data, source)
    config = _validated(Config, data, source)
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return config.model_copy(update={"source": source, "digest": digest})


def load_config(path: Path | None = None) -> Config:
    """Read trustctl.toml (or `path`); a missing file says how to create one."""
    source = path or Path(DEFAULT_CONFIG)
    return parse_config(_read(source, "Run `trustctl init --org NAME` to create it."), source)


def render_default_config(org: str, key: str = ".trustctl/signing-key.pem", trusted: str = "") -> str:
    """The trustctl.toml that `init` writes: every key, commented with its default."""
    name = org.replace("\\", "\\\\").replace('"', '\\"')
    key_path = key.replace("\\", "\\\\").replace('"', '\\"')
    trusted_keys = f'trusted_keys = ["{trusted}"]' if trusted else '# trusted_keys = ["sha256:..."]'
    return f"""# trustctl configuration. Every key is documented in the README (Configuration).

[organization]
name = "{name}"

[locker]
path = ".trustctl/locker"          # evidence locker (content-addressed objects + signed run manifests)
key = "{key_path}"  # Ed25519 signing key (mode 0600); TRUSTCTL_SIGNING_KEY (the PEM) overrides it
{trusted_keys}  # `trustctl verify` fails for runs signed by any other key

[aws]
# regions = ["eu-west-1", "us-east-1"]  # default: every region enabled in each account
# org_role = "TrustctlAudit"             # role assumed in every AWS Organizations member account
# profile = "audit"                      # default: the standard credential chain
max_workers = 16                         # concurrent (account, region, service) collections
processes = 1                            # worker processes; more for large organizations

[gcp]
# scope = "organizations/123456789012"   # or folders/N, projects/ID; Application Default Credentials

[identity]
# roster = "hr/roster.csv"               # email,name,status,terminated_at[,started_at] (roster_columns)
# domain_aliases = {{ "acme.io" = "acme.example" }}
# [[identity.scim]]
# name = "slack"
# url = "https://api.slack.com/scim/v2"
# token_env = "SLACK_SCIM_TOKEN"         # the bearer token is read from this variable, never stored
# sso_enforced = true
# [[identity.idp]]
# name = "google"
# preset = "google_workspace"            # or okta, generic (with columns = {{ email = "...", ... }})
# path = "idp/users.csv"
# [[identity.records]]
# name = "lms"
# kind = "training"                      # or acknowledgement, background_check
# path = "hr/training.csv"               # columns email, completed_at[, item] (see columns)

[policy]
max_access_key_age_days = 90
max_unused_credential_days = 45
min_password_length = 14
allowed_regions = []                     # regions customer data may live in; empty: any region
min_backup_retention_days = 7
max_recovery_point_age_hours = 26
max_days_since_restore_test = 90
kms_required_tags = []                   # e.g. ["data=customer"]: such S3 buckets must use SSE-KMS
admin_ports = [22, 3389, 1433, 1521, 3306, 5432, 5439, 6379, 9200, 11211, 27017]
min_tls_version = "TLSv1.2"
production_tag = ""                      # e.g. "environment=production"; empty: every data store
deprovision_sla_hours = 24               # leavers' access removed everywhere within this many hours
training_period_days = 365               # security training repeated at least this often
training_grace_days = 30                 # new hires complete it within this many days of starting
acknowledgement_period_days = 365        # policy acknowledgement repeated at least this often
acknowledgement_grace_days = 30          # new hires acknowledge within this many days of starting
background_check_days_after_start = 0    # background check done by the start date (+ this many days)
max_waiver_days = 365                    # no [[waiver]] may last longer (from granted, or from today)
# document_review_days = {{ policy = 180 }}  # review documents more often than the catalog's maximum

[frameworks]
soc2_categories = ["security"]           # add availability, confidentiality, processing_integrity, privacy

[certifications]
# Certifications held now, for `trustctl roadmap` (soc2_type1, soc2_type2, soc3, iso27001, hipaa, ferpa):
# soc2_type2 = {{ issued = 2026-01-15, expires = 2027-01-15 }}  # expires: default issued + validity

# [scope.iso27001_2022]                  # requirements that do not apply, each with its justification
# not_applicable = {{ "7.5" = "No offices: staff work remotely; AWS holds the data centres (see AC-06)" }}
# [scope.hipaa_security.addressable."164.312(a)(2)(iv)"]  # the 164.306(d)(3) decision, with its reason
# decision = "implemented"               # or "alternative" (with alternative = "..."), "not_reasonable"
# reason = "ePHI is stored only in encrypted data stores"

# [[waiver]]
# check = "aws.iam.admin_access"
# resource = "arn:aws:iam::*:role/BreakGlass"
# reason = "Break-glass role, used only under the incident procedure"
# owner = "security@example.com"
# granted = 2026-12-01                   # the duration (at most max_waiver_days) counts from here
# expires = 2027-06-30

# [system]                               # the system description inputs (README: Management's words)
# file = "system.toml"                   # or inline: name, services, boundaries, subservice_organizations...
# [controls.AC-01]                       # how the control operates, in management's words
# narrative = "..."
# owner = "security@example.com"
"""
