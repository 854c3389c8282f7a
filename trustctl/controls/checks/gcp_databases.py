"""GCP Cloud SQL and Cloud KMS checks: backups, point-in-time recovery, TLS, public IPs, key rotation."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts

WORLD = frozenset({"0.0.0.0/0", "::/0"})
SSL_ONLY = frozenset({"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"})
REPLICA = "READ_REPLICA_INSTANCE"
MAX_ROTATION_DAYS = 90


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
    statement=Statement("backup", "GCP databases", "have automated backups"),
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
    statement=Statement("encryption", "GCP databases", "require encrypted connections"),
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
    statement=Statement("encryption", "GCP encryption keys", "rotate at least every 90 days"),
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
