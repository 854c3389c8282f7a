"""AWS logging, detection and backup checks: CloudTrail, AWS Config, GuardDuty and AWS Backup."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts


def _date(moment: Any) -> str:
    return str(pd.Timestamp(moment).strftime("%Y-%m-%d"))


@check(
    "aws.cloudtrail.multi_region",
    resource="aws.cloudtrail.account",
    control="LOG-01",
    severity="high",
    title="A multi-region trail records management events",
    fix="Create a multi-region trail (or an organization trail) that records management events, and "
    "start logging on it.",
    statement=Statement("logging", "cloud accounts", "record administrative activity in every region"),
)
def cloudtrail_multi_region(accounts: pd.DataFrame, ctx: Context) -> Verdicts:
    ok = pd.Series(
        [
            True if c else None if u else False
            for c, u in zip(accounts.covering, accounts.unknown, strict=True)
        ],
        index=accounts.index,
        dtype=object,
    )

    def failed(r: Any) -> str:
        where = ", ".join(r.regions_scanned)
        found = f": {'; '.join(r.shortfalls)}" if r.shortfalls else ": it has no trails there"
        return f"account {r.account} has no multi-region trail logging management events in {where}{found}"

    return verdicts(
        accounts,
        ok,
        passed=lambda r: f"account {r.account}: {r.covering[0]}",
        failed=failed,
        unknown=lambda r: f"account {r.account}: {'; '.join(r.unknown)}",
    )


@check(
    "aws.cloudtrail.log_validation",
    resource="aws.cloudtrail.trail",
    control="LOG-02",
    severity="medium",
    title="Trails validate their log files",
    fix="Enable log file validation on the trail (EnableLogFileValidation) so that CloudTrail writes "
    "signed digest files.",
    needs=(),
    statement=Statement("logging", "audit trails", "are tamper-evident"),
)
def cloudtrail_log_validation(trails: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        trails,
        trails.log_validation.astype(bool),
        passed="{resource} writes signed digest files (log file validation is enabled)",
        failed="{resource} has log file validation disabled: changes to its log files would go unnoticed",
    )


@check(
    "aws.cloudtrail.encrypted",
    resource="aws.cloudtrail.trail",
    control="LOG-02",
    severity="medium",
    title="Trails encrypt their log files with KMS",
    fix="Set a customer managed KMS key on the trail (KmsKeyId) and allow CloudTrail to use it.",
    needs=(),
)
def cloudtrail_encrypted(trails: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        trails,
        trails.kms_key_id.notna() & trails.kms_key_id.astype(str).ne(""),
        passed="{resource} encrypts its log files with KMS key {kms_key_id}",
        failed="{resource} has no KMS key: its log files are only encrypted with S3-managed keys",
    )


@check(
    "aws.config.recorder",
    resource="aws.config.recorder",
    control="LOG-03",
    severity="medium",
    title="AWS Config records every supported resource type",
    fix="Create a configuration recorder recording all supported resource types, give it a delivery "
    "channel, and start it.",
    statement=Statement("logging", "regions", "record configuration changes"),
)
def config_recorder(regions: pd.DataFrame, ctx: Context) -> Verdicts:
    def failed(r: Any) -> str:
        if not r.recorders:
            return f"{r.resource} has no AWS Config configuration recorder"
        problems = [] if r.recording else ["is not recording"]
        if r.excluded_types:
            problems.append(f"excludes {', '.join(r.excluded_types)}")
        elif not r.all_supported:
            kinds = ", ".join(r.included_types) or "nothing"
            problems.append(
                f"records only {len(r.included_types)} resource type(s) ({kinds}), not every supported type"
            )
        return f"{r.resource}: recorder {r.recorder} {' and '.join(problems)}"

    return verdicts(
        regions,
        regions.recording.astype(bool) & regions.all_supported.astype(bool),
        passed="{resource}: recorder {recorder} is recording every supported resource type",
        failed=failed,
    )


@check(
    "aws.guardduty.enabled",
    resource="aws.guardduty.detector",
    control="LOG-04",
    severity="high",
    title="GuardDuty is enabled in every region",
    fix="Enable GuardDuty in the region (best: for the whole organization from a delegated administrator).",
    statement=Statement("logging", "regions", "have threat detection on"),
)
def guardduty_enabled(regions: pd.DataFrame, ctx: Context) -> Verdicts:
    table = regions.assign(
        enabled=regions.statuses.map(lambda s: [d for d, status in s.items() if status == "ENABLED"])
    )

    def failed(r: Any) -> str:
        if not r.statuses:
            return f"{r.resource} has no GuardDuty detector"
        found = ", ".join(f"{d} is {status}" for d, status in r.statuses.items())
        return f"{r.resource}: no GuardDuty detector is enabled ({found})"

    return verdicts(
        table,
        table.enabled.map(len) > 0,
        passed=lambda r: f"{r.resource}: GuardDuty detector {', '.join(r.enabled)} is enabled",
        failed=failed,
    )


@check(
    "aws.backup.recent_recovery_point",
    resource="aws.backup.protected_resource",
    control="BCK-01",
    severity="high",
    title="Backed-up resources have a recent recovery point",
    fix="Find why the backup jobs of the resource fail or stopped (AWS Backup console, Jobs) and make "
    "sure a backup plan rule runs at least daily.",
    statement=Statement("backup", "backed-up resources", "have a recent recovery point"),
)
def recent_recovery_point(resources: pd.DataFrame, ctx: Context) -> Verdicts:
    limit = ctx.policy.max_recovery_point_age_hours
    hours = (
        pd.Timestamp(ctx.as_of) - pd.to_datetime(resources.newest_completed, utc=True)
    ).dt.total_seconds()
    table = resources.assign(age_hours=hours / 3600)

    def failed(r: Any) -> str:
        if pd.isna(r.newest_completed):
            return (
                f"{r.resource} has no completed recovery point among {r.recovery_points} "
                f"(latest is {r.latest_status}; policy: one at most {limit} hours old)"
            )
        return (
            f"{r.resource}: newest completed recovery point is {r.age_hours:.0f} hours old, from "
            f"{_date(r.newest_completed)} (policy: at most {limit} hours)"
        )

    return verdicts(
        table,
        table.age_hours.le(limit),
        passed=lambda r: (
            f"{r.resource}: newest completed recovery point is {r.age_hours:.0f} hours old "
            f"(policy: at most {limit} hours)"
        ),
        failed=failed,
    )


@check(
    "aws.backup.vault_lock",
    resource="aws.backup.vault",
    control="BCK-02",
    severity="high",
    title="Backup vaults are locked with a minimum retention",
    fix="Put a vault lock on the vault (PutBackupVaultLockConfiguration) with MinRetentionDays of at "
    "least policy.min_backup_retention_days, and a ChangeableForDays to make it immutable.",
    needs=("DescribeBackupVault",),
    statement=Statement("backup", "backup vaults", "are locked against deletion"),
)
def vault_lock(vaults: pd.DataFrame, ctx: Context) -> Verdicts:
    minimum = ctx.policy.min_backup_retention_days
    table = vaults.assign(min_days=pd.to_numeric(vaults.min_retention_days, errors="coerce"))

    def mode(r: Any) -> str:
        if pd.isna(r.lock_date):
            return "governance mode: privileged users can still remove the lock"
        if r.lock_date > pd.Timestamp(ctx.as_of):
            return f"compliance mode, changeable until {_date(r.lock_date)}"
        return f"compliance mode, immutable since {_date(r.lock_date)}"

    def failed(r: Any) -> str:
        if not r.locked:
            return f"{r.resource} has no vault lock: its recovery points can be deleted early"
        if pd.isna(r.min_days):
            return f"{r.resource} is locked without a minimum retention (policy: at least {minimum} days)"
        return (
            f"{r.resource} is locked with a minimum retention of {r.min_days:.0f} days "
            f"(policy: at least {minimum})"
        )

    return verdicts(
        table,
        table.locked.eq(True) & table.min_days.ge(minimum),
        passed=lambda r: (
            f"{r.resource} is locked with a minimum retention of {r.min_days:.0f} days "
            f"(policy: at least {minimum}; {mode(r)})"
        ),
        failed=failed,
    )


@check(
    "aws.backup.restore_tested",
    resource="aws.backup.restore_testing",
    control="BCK-03",
    severity="medium",
    title="Restores are tested",
    fix="Create an AWS Backup restore testing plan for the region's protected resources (or run and "
    "record a restore) at least every policy.max_days_since_restore_test days.",
    statement=Statement("backup", "regions with backups", "had a successful restore test"),
)
def restore_tested(regions: pd.DataFrame, ctx: Context) -> Verdicts:
    limit = ctx.policy.max_days_since_restore_test
    now = pd.Timestamp(ctx.as_of)
    test_days = (now - pd.to_datetime(regions.last_test_completed, utc=True)).dt.days
    any_days = (now - pd.to_datetime(regions.last_restore_completed, utc=True)).dt.days
    table = regions.assign(test_days=test_days, any_days=any_days)

    def passed(r: Any) -> str:
        if pd.notna(r.test_days) and r.test_days <= limit:
            return (
                f"{r.resource}: restore testing plan {r.last_test_plan} completed a restore on "
                f"{_date(r.last_test_completed)} ({r.test_days:.0f} days ago; policy: at most {limit})"
            )
        return (
            f"{r.resource}: restore job {r.last_restore_job} ({r.last_restore_type}, not from a restore "
            f"testing plan) completed on {_date(r.last_restore_completed)} ({r.any_days:.0f} days ago; "
            f"policy: at most {limit})"
        )

    def failed(r: Any) -> str:
        last = (
            f"the last completed on {_date(r.last_restore_completed)}, {r.any_days:.0f} days ago"
            if pd.notna(r.last_restore_completed)
            else "none ever completed"
        )
        plans = f"; restore testing plans: {', '.join(r.testing_plans)}" if r.testing_plans else ""
        return (
            f"{r.resource} holds {r.recovery_points} recovery point(s) but no restore completed in the "
            f"last {limit} days ({last}{plans})"
        )

    return verdicts(table, table.any_days.le(limit), passed=passed, failed=failed)
