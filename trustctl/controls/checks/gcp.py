"""GCP checks over Cloud Asset Inventory facts, each mapped to the common control of its AWS twin."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Verdicts, check, verdicts

PRIMITIVE = frozenset({"roles/owner", "roles/editor"})
HUMAN_PREFIXES = ("user:", "group:", "domain:")
PUBLIC = frozenset({"allUsers", "allAuthenticatedUsers"})
WORLD = frozenset({"0.0.0.0/0", "::/0"})
ALL_PROTOCOLS = frozenset({"all"})
PORTED = frozenset({"tcp", "udp", "sctp", "6", "17", "132"})
SSL_ONLY = frozenset({"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"})
REPLICA = "READ_REPLICA_INSTANCE"
MAX_ROTATION_DAYS = 90


def _grants(bindings: Any, roles: Any, prefixes: tuple[str, ...] = ()) -> list[str]:
    """`role to member` for each binding of a role in `roles` (a predicate) to a matching member."""
    return [
        f"{b['role']} to {m}"
        for b in bindings or []
        if roles(b["role"])
        for m in b["members"]
        if not prefixes or m.startswith(prefixes)
    ]


def _findings(facts: pd.DataFrame, values: list[Any]) -> pd.DataFrame:
    return facts.assign(findings=pd.Series(values, index=facts.index, dtype=object))


@check(
    "gcp.iam.primitive_roles",
    resource="gcp.iam.policy",
    control="IAM-01",
    severity="high",
    title="No person or group holds the basic Owner or Editor role",
    fix="Replace roles/owner and roles/editor bindings of users, groups and domains with predefined roles "
    "scoped to the job; keep Owner for a break-glass account.",
)
def primitive_roles(policies: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _findings(
        policies, [_grants(b, PRIMITIVE.__contains__, HUMAN_PREFIXES) for b in policies.bindings]
    )
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} grants no basic role (Owner, Editor) to users, groups or domains",
        failed=lambda r: f"{r.resource} grants basic roles: {', '.join(r.findings)}",
    )


@check(
    "gcp.iam.public_members",
    resource="gcp.iam.policy",
    control="NET-01",
    severity="critical",
    title="No IAM policy grants access to allUsers or allAuthenticatedUsers",
    fix="Remove allUsers and allAuthenticatedUsers from the policy; share through signed URLs or named "
    "principals instead.",
)
def public_members(policies: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _findings(
        policies,
        [
            [g for g in _grants(b, lambda _: True) if g.rsplit(" to ", 1)[1] in PUBLIC]
            for b in policies.bindings
        ],
    )
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} grants nothing to allUsers or allAuthenticatedUsers",
        failed=lambda r: f"{r.resource} is public: it grants {', '.join(r.findings)}",
    )


@check(
    "gcp.iam.sa_key_age",
    resource="gcp.iam.service_account_key",
    control="AC-03",
    severity="medium",
    title="User-managed service account keys are rotated within the policy age",
    fix="Create a new key, move its users to it and delete the old one; better, replace keys with "
    "workload identity federation or attached service accounts.",
)
def sa_key_age(keys: pd.DataFrame, ctx: Context) -> Verdicts:
    limit = ctx.policy.max_access_key_age_days
    user = keys[keys.key_type.eq("USER_MANAGED") & ~keys.disabled.astype(bool)]
    age = (pd.Timestamp(ctx.as_of) - pd.to_datetime(user.valid_after, utc=True)).dt.days
    rows = user.assign(age=age)
    ok = (rows.age <= limit).astype(object).where(rows.age.notna(), None)
    return verdicts(
        rows,
        ok,
        passed=lambda r: (
            f"{r.resource} (of {r.service_account}) was created {int(r.age)} days ago "
            f"(policy: at most {limit})"
        ),
        failed=lambda r: (
            f"{r.resource} (of {r.service_account}) was created {int(r.age)} days ago "
            f"(policy: at most {limit})"
        ),
        unknown="{resource}: the key has no validAfterTime, so its age is unknown",
    )


def _admin_role(role: str) -> bool:
    return role in PRIMITIVE or (role.startswith("roles/") and role.lower().endswith("admin"))


@check(
    "gcp.iam.sa_admin_roles",
    resource="gcp.iam.service_account",
    control="IAM-01",
    severity="high",
    title="Service accounts hold no Owner, Editor or admin roles",
    fix="Grant the service account the predefined roles its workload needs instead of Owner, Editor or "
    "*Admin roles (the IAM recommender lists the permissions it used).",
)
def sa_admin_roles(accounts: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _findings(
        accounts,
        [
            [f"{h['role']} on {h['resource']}" for h in held or [] if _admin_role(h["role"])]
            for held in accounts.roles
        ],
    )
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} ({email}) holds no Owner, Editor or admin role",
        failed=lambda r: f"{r.resource} ({r.email}) holds administrative roles: {'; '.join(r.findings)}",
    )


@check(
    # IAM-02, not NET-01: uniform access removes per-object ACLs so that every grant is an IAM role on
    # the bucket, reviewed in one place; public exposure itself is what the two NET-01 checks test.
    "gcp.storage.uniform_access",
    resource="gcp.storage.bucket",
    control="IAM-02",
    severity="medium",
    title="Buckets grant access through IAM only (uniform bucket-level access)",
    fix="Turn on uniform bucket-level access (`gcloud storage buckets update gs://BUCKET "
    "--uniform-bucket-level-access`) after moving any ACL grants to IAM roles.",
)
def storage_uniform_access(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        buckets,
        buckets.uniform_access.astype(bool),
        passed="{resource} uses uniform bucket-level access: access is granted by IAM only",
        failed="{resource} allows object ACLs (uniform bucket-level access is off), so access can be "
        "granted object by object outside IAM",
    )


@check(
    "gcp.storage.public_access_prevention",
    resource="gcp.storage.bucket",
    control="NET-01",
    severity="high",
    title="Buckets enforce public access prevention",
    fix="Set public access prevention to enforced on the bucket (`gcloud storage buckets update "
    "gs://BUCKET --public-access-prevention`), or enforce storage.publicAccessPrevention for the organization.",
)
def storage_public_access_prevention(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        buckets,
        buckets.public_access_prevention.eq("enforced"),
        passed="{resource} enforces public access prevention",
        failed="{resource} has public access prevention '{public_access_prevention}', not enforced "
        "(an inherited organization policy is not part of the collected evidence)",
    )


@check(
    "gcp.storage.versioning",
    resource="gcp.storage.bucket",
    control="BCK-01",
    severity="medium",
    title="Buckets keep previous versions of objects",
    fix="Enable object versioning on the bucket (and a lifecycle rule to delete old noncurrent versions).",
)
def storage_versioning(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        buckets,
        buckets.versioning.astype(bool),
        passed="{resource} has object versioning enabled",
        failed="{resource} has object versioning off: overwritten or deleted objects cannot be recovered",
    )


def _primaries(instances: pd.DataFrame) -> pd.DataFrame:
    """Read replicas take no backups of their own: their primary's are what count."""
    return instances[instances.instance_type.ne(REPLICA)]


@check(
    "gcp.sql.backups",
    resource="gcp.sql.instance",
    control="BCK-01",
    severity="high",
    title="Cloud SQL instances take automated backups",
    fix="Enable automated backups on the instance (`gcloud sql instances patch INSTANCE --backup-start-time HH:MM`).",
)
def sql_backups(instances: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _primaries(instances)
    return verdicts(
        rows,
        rows.backups_enabled.astype(bool),
        passed="{resource} ({database_version}) takes automated backups",
        failed="{resource} ({database_version}) has automated backups off",
    )


def _pitr(instances: pd.DataFrame) -> pd.Series:
    # MySQL's point-in-time recovery is its binary log; the other engines have their own setting.
    mysql = instances.database_version.astype(str).str.startswith("MYSQL").fillna(False).astype(bool)
    return instances.binary_log_enabled.astype(bool).where(mysql, instances.pitr_enabled.astype(bool))


@check(
    "gcp.sql.pitr",
    resource="gcp.sql.instance",
    control="BCK-01",
    severity="medium",
    title="Cloud SQL instances can be restored to a point in time",
    fix="Enable point-in-time recovery (`gcloud sql instances patch INSTANCE "
    "--enable-point-in-time-recovery`; --enable-bin-log for MySQL).",
)
def sql_pitr(instances: pd.DataFrame, ctx: Context) -> Verdicts:
    rows = _primaries(instances)
    ok = _pitr(rows).astype(bool)
    return verdicts(
        rows,
        ok,
        passed="{resource} ({database_version}) has point-in-time recovery enabled",
        failed="{resource} ({database_version}) has point-in-time recovery off: it can only be restored "
        "to its last backup",
    )


def _ssl_mode(row: Any) -> str:
    return (
        str(row.ssl_mode)
        if isinstance(row.ssl_mode, str) and row.ssl_mode
        else f"requireSsl={row.require_ssl}"
    )


def _ssl(instances: pd.DataFrame) -> pd.Series:
    """The SSL mode where one is set, else requireSsl."""
    mode = instances.ssl_mode
    given = mode.map(lambda m: isinstance(m, str) and bool(m)).astype(bool)
    return mode.isin(list(SSL_ONLY)).astype(bool).where(given, instances.require_ssl.astype(bool))


@check(
    "gcp.sql.ssl_required",
    resource="gcp.sql.instance",
    control="CRY-02",
    severity="high",
    title="Cloud SQL instances accept only encrypted connections",
    fix="Set the instance's SSL mode to ENCRYPTED_ONLY (`gcloud sql instances patch INSTANCE "
    "--ssl-mode=ENCRYPTED_ONLY`).",
)
def sql_ssl_required(instances: pd.DataFrame, ctx: Context) -> Verdicts:
    ok = _ssl(instances).astype(bool)
    return verdicts(
        instances,
        ok,
        passed=lambda r: f"{r.resource} accepts only encrypted connections ({_ssl_mode(r)})",
        failed=lambda r: f"{r.resource} accepts unencrypted connections ({_ssl_mode(r)})",
    )


@check(
    "gcp.sql.public_ip",
    resource="gcp.sql.instance",
    control="NET-03",
    severity="high",
    title="No Cloud SQL instance is reachable on a public IP from any address",
    fix="Remove the 0.0.0.0/0 authorized network; connect through private IP, the Cloud SQL Auth Proxy or "
    "narrow authorized networks.",
)
def sql_public_ip(instances: pd.DataFrame, ctx: Context) -> Verdicts:
    world = instances.authorized_networks.map(lambda nets: sorted(set(nets or []) & WORLD))
    rows = instances.assign(world=world)
    exposed = rows.ipv4_enabled.astype(bool) & rows.world.map(len).gt(0)

    def passed(r: Any) -> str:
        if not r.ipv4_enabled:
            return f"{r.resource} has no public IPv4 address"
        return f"{r.resource} has a public IPv4 address, reachable only from its authorized networks"

    return verdicts(
        rows,
        ~exposed,
        passed=passed,
        failed=lambda r: (
            f"{r.resource} has a public IPv4 address open to any address (authorized network "
            f"{', '.join(r.world)})"
        ),
    )


@check(
    "gcp.kms.rotation",
    resource="gcp.kms.crypto_key",
    control="CRY-03",
    severity="medium",
    title="Symmetric Cloud KMS keys rotate at least every 90 days",
    fix="Set a rotation period of at most 90 days (`gcloud kms keys update KEY --rotation-period=90d "
    "--next-rotation-time=...`).",
)
def kms_rotation(keys: pd.DataFrame, ctx: Context) -> Verdicts:
    # Only symmetric encryption keys rotate automatically; asymmetric and MAC keys are not applicable.
    rows = keys[keys.purpose.eq("ENCRYPT_DECRYPT") & keys.primary_state.ne("DESTROYED")]
    days = pd.to_numeric(rows.rotation_period_days, errors="coerce")
    return verdicts(
        rows,
        days.le(MAX_ROTATION_DAYS),
        passed=lambda r: (
            f"{r.resource} rotates every {r.rotation_period_days:g} days (at most {MAX_ROTATION_DAYS})"
        ),
        failed=lambda r: (
            f"{r.resource} has no automatic rotation"
            if pd.isna(r.rotation_period_days)
            else f"{r.resource} rotates every {r.rotation_period_days:g} days (at most {MAX_ROTATION_DAYS})"
        ),
    )


def _port_range(spec: str) -> tuple[int, int]:
    low, _, high = spec.partition("-")
    return int(low), int(high or low)


def open_ports(allowed: list[dict[str, Any]], ports: list[int]) -> list[str]:
    """The admin ports an allow rule's entries reach, as `protocol:port`."""
    hits = []
    for entry in allowed or []:
        protocol = entry["protocol"]
        if protocol not in ALL_PROTOCOLS and protocol not in PORTED:
            continue  # icmp, esp, ah...: no ports
        ranges = [_port_range(p) for p in entry["ports"]] or [(0, 65535)]
        covered = {p for low, high in ranges for p in ports if low <= p <= high}
        hits += [f"{protocol}:{p}" for p in ports if p in covered]
    return hits


@check(
    "gcp.compute.open_admin_ports",
    resource="gcp.compute.firewall",
    control="NET-02",
    severity="critical",
    title="No firewall rule opens an admin or database port to the internet",
    fix="Remove 0.0.0.0/0 from the rule's source ranges (or delete the rule); reach hosts through IAP "
    "TCP forwarding, a VPN or narrow ranges.",
)
def open_admin_ports(firewalls: pd.DataFrame, ctx: Context) -> Verdicts:
    ports = sorted(set(ctx.policy.admin_ports))
    findings = [
        open_ports(r.allowed, ports)
        if r.direction == "INGRESS" and not r.disabled and set(r.source_ranges) & WORLD
        else []
        for r in firewalls.itertuples(index=False)
    ]
    rows = _findings(firewalls, findings)
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} ({name}) opens no admin or database port (policy.admin_ports) to the internet",
        failed=lambda r: (
            f"{r.resource} ({r.name}, network {r.network}) allows {', '.join(r.findings)} from "
            f"{', '.join(sorted(set(r.source_ranges) & WORLD))}"
        ),
    )


@check(
    "gcp.logging.audit_logs",
    resource="gcp.project",
    control="LOG-01",
    severity="high",
    title="Projects record data-access audit logs for all services",
    fix="Enable DATA_READ and DATA_WRITE audit logs for allServices in the organization's (or the "
    "project's) IAM policy auditConfigs.",
)
def logging_audit_logs(projects: pd.DataFrame, ctx: Context) -> Verdicts:
    def verdict(r: Any) -> bool | None:
        if all(t in r.audit_log_types for t in ("DATA_READ", "DATA_WRITE")):
            return True
        return None if r.missing_policies else False

    ok = pd.Series([verdict(r) for r in projects.itertuples(index=False)], index=projects.index, dtype=object)

    def where(r: Any) -> str:
        return "; ".join(f"{t} on {', '.join(r.audit_sources[t])}" for t in ("DATA_READ", "DATA_WRITE"))

    def missing(r: Any) -> str:
        return ", ".join(t for t in ("DATA_READ", "DATA_WRITE") if t not in r.audit_log_types)

    return verdicts(
        projects,
        ok,
        passed=lambda r: f"{r.resource} records data-access audit logs for allServices ({where(r)})",
        failed=lambda r: (
            f"{r.resource} does not record {missing(r)} audit logs for allServices, on the "
            "project or any ancestor"
        ),
        unknown=lambda r: (
            f"{r.resource} does not record {missing(r)} audit logs itself, and the IAM policy "
            f"of {', '.join(r.missing_policies)} is not in the evidence"
        ),
    )


@check(
    "gcp.residency.allowed_regions",
    resource="gcp.datastore",
    control="ISO-01",
    severity="high",
    title="GCP data stays in the allowed locations",
    fix="Move the data store to an allowed location (or delete it), or add the location (a region such "
    "as europe-west1, or a multi-region such as EU) to policy.allowed_regions.",
)
def allowed_regions(stores: pd.DataFrame, ctx: Context) -> Verdicts:
    allowed = sorted(ctx.policy.allowed_regions)
    if not allowed:
        return Verdicts(
            ok=pd.Series([], dtype=object),
            reason=pd.Series([], dtype=object),
            not_applicable="policy.allowed_regions is empty: no residency promise to check",
        )
    lowered = {a.lower() for a in allowed}
    where = ", ".join(allowed)
    known = stores.region.ne("unknown")
    ok = stores.region.str.lower().isin(lowered).astype(object).where(known, None)
    return verdicts(
        stores,
        ok,
        passed=f"{{resource}} is in {{region}}, an allowed location ({where})",
        failed=f"{{resource}} is in {{region}}, outside the allowed locations ({where})",
        unknown="{resource}: its location is not in the evidence",
    )
