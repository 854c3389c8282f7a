"""trustctl.toml -> validated, frozen settings.

Unknown keys are rejected with the file and the dotted key named, so a typo never silently
falls back to a default. Relative paths are resolved against the directory of the file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from trustctl.errors import ConfigError

DEFAULT_CONFIG = "trustctl.toml"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"
LOCATION_PATTERN = r"^([a-z]{2}(-[a-z]+)+-\d|[a-z]+-[a-z]+\d+|[A-Za-z]+\d*)$"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OrganizationConfig(_Model):
    name: str = Field(min_length=1)


class LockerConfig(_Model):
    path: str = ".trustctl/locker"
    key: str = ".trustctl/signing-key.pem"


class AwsConfig(_Model):
    regions: list[Annotated[str, Field(pattern=REGION_PATTERN)]] | None = None
    org_role: str | None = None
    profile: str | None = None
    max_workers: int = Field(default=16, ge=1, le=256)
    # Worker processes for collection: 1 runs everything in this process (threads only).
    processes: int = Field(default=1, ge=1, le=64)
    max_attempts: int = Field(default=8, ge=1, le=20)
    connect_timeout: float = Field(default=10, gt=0)
    read_timeout: float = Field(default=60, gt=0)


class GcpConfig(_Model):
    # organizations/N, folders/N or projects/ID; absent: GCP is not collected (exports can still be imported).
    scope: str | None = Field(default=None, pattern=r"^(organizations/\d+|folders/\d+|projects/[a-z0-9-]+)$")
    page_size: int = Field(default=1000, ge=1, le=1000)
    timeout: float = Field(default=120, gt=0)


TAG_PATTERN = r"^[^=]+=.*$"
ADMIN_PORTS = [22, 3389, 1433, 1521, 3306, 5432, 5439, 6379, 9200, 11211, 27017]


class PolicyConfig(_Model):
    max_access_key_age_days: int = Field(default=90, ge=1)
    max_unused_credential_days: int = Field(default=45, ge=1)
    min_password_length: int = Field(default=14, ge=6, le=128)
    # AWS regions and GCP locations alike: eu-west-1, europe-west1, and multi-regions such as EU or US.
    allowed_regions: list[Annotated[str, Field(pattern=LOCATION_PATTERN)]] = []
    min_backup_retention_days: int = Field(default=7, ge=1)
    max_recovery_point_age_hours: int = Field(default=26, ge=1)
    max_days_since_restore_test: int = Field(default=90, ge=1)
    # S3 buckets carrying any of these tags ("key=value") must use SSE-KMS, not the SSE-S3 default.
    kms_required_tags: list[Annotated[str, Field(pattern=TAG_PATTERN)]] = []
    # Ports that must never be open to the whole internet (remote administration and databases).
    admin_ports: list[Annotated[int, Field(ge=0, le=65535)]] = ADMIN_PORTS
    min_tls_version: Literal["TLSv1.2", "TLSv1.3"] = "TLSv1.2"
    # The tag ("key=value") that marks production data stores; empty: every data store is production.
    production_tag: Annotated[str, Field(pattern=r"^$|" + TAG_PATTERN)] = ""


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


class Waiver(_Model):
    check: str = Field(min_length=1)
    resource: str = "*"
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date

    def matches(self, check: str, resource: str) -> bool:
        return fnmatch.fnmatchcase(check, self.check) and fnmatch.fnmatchcase(resource, self.resource)


class Config(_Model):
    organization: OrganizationConfig
    locker: LockerConfig = LockerConfig()
    aws: AwsConfig = AwsConfig()
    gcp: GcpConfig = GcpConfig()
    policy: PolicyConfig = PolicyConfig()
    frameworks: FrameworksConfig = FrameworksConfig()
    waiver: list[Waiver] = []
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

    @property
    def base_dir(self) -> Path:
        return self.source.resolve().parent

    @property
    def locker_path(self) -> Path:
        return self.base_dir / self.locker.path

    @property
    def key_path(self) -> Path:
        return self.base_dir / self.locker.key


def _describe(error: ErrorDetails) -> str:
    where = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return f"unknown key '{where}'; remove it or check its spelling (see README, Configuration)"
    if error["type"] == "missing":
        return f"missing required key '{where}'"
    return f"invalid value for '{where}': {error['msg']}"


def parse_config(text: str, source: Path) -> Config:
    """Validate TOML text; raise ConfigError naming the file and the first bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, f"not valid TOML ({e})") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as e:
        errors = e.errors()
        extra = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ConfigError(source, _describe(errors[0]) + extra) from None
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return config.model_copy(update={"source": source, "digest": digest})


def load_config(path: Path | None = None) -> Config:
    """Read trustctl.toml (or `path`); a missing file says how to create one."""
    source = path or Path(DEFAULT_CONFIG)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, "not found", "Run `trustctl init --org NAME` to create it.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(source, f"cannot be read ({e})") from None
    return parse_config(text, source)


def render_default_config(org: str) -> str:
    """The trustctl.toml that `init` writes: every key, commented with its default."""
    name = org.replace("\\", "\\\\").replace('"', '\\"')
    return f"""# trustctl configuration. Every key is documented in the README (Configuration).

[organization]
name = "{name}"

[locker]
path = ".trustctl/locker"          # evidence locker (content-addressed objects + signed run manifests)
key = ".trustctl/signing-key.pem"  # Ed25519 signing key, created by `trustctl init` with mode 0600

[aws]
# regions = ["eu-west-1", "us-east-1"]  # default: every region enabled in each account
# org_role = "TrustctlAudit"             # role assumed in every AWS Organizations member account
# profile = "audit"                      # default: the standard credential chain
max_workers = 16                         # concurrent (account, region, service) collections
processes = 1                            # worker processes; more for large organizations

[gcp]
# scope = "organizations/123456789012"   # or folders/N, projects/ID; Application Default Credentials

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

[frameworks]
soc2_categories = ["security"]           # add availability, confidentiality, processing_integrity, privacy

# [[waiver]]
# check = "aws.iam.admin_access"
# resource = "arn:aws:iam::*:role/BreakGlass"
# reason = "Break-glass role, used only under the incident procedure"
# owner = "security@example.com"
# expires = 2027-06-30
"""
