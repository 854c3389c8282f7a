"""AWS Backup facts: vaults and their locks, protected resources and their newest recovery point,
restore testing per region, and the backup selections the backup-coverage check reads.

Tables: aws.backup.vault (one row per vault), aws.backup.protected_resource (one row per resource
that has recovery points, by its ARN), aws.backup.restore_testing (one row per ACCOUNT/REGION that
has recovery points) and aws.backup.selection (one row per backup selection).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from trustctl.facts.base import DETAIL_ERRORS, Evidence, Normalizer, detail_errors, error_text, frame

PLANS = ("backup", "ListBackupPlans")
PLAN = ("backup", "GetBackupPlan")
SELECTIONS = ("backup", "ListBackupSelections")
SELECTION = ("backup", "GetBackupSelection")
VAULTS = ("backup", "ListBackupVaults")
VAULT = ("backup", "DescribeBackupVault")
POINTS = ("backup", "ListRecoveryPointsByBackupVault")
RESTORES = ("backup", "ListRestoreJobs")
TESTING_PLANS = ("backup", "ListRestoreTestingPlans")
# AWS reports a finished recovery point as COMPLETED, or AVAILABLE in its newer status vocabulary.
USABLE = frozenset({"COMPLETED", "AVAILABLE"})

Regional = tuple[str, str, str]  # account, region, name or id


def _time(value: Any) -> pd.Timestamp:
    return pd.to_datetime(value, utc=True, errors="coerce", format="ISO8601")


def _items(ev: Evidence, op: tuple[str, str], key: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Every item of every page of a listing: (account, region, evidence hash, item)."""
    return [
        (r.call.account, r.call.region, str(r.object), item)
        for r, data in ev.responses("aws", *op)
        for item in data.get(key) or []
    ]


def build_vaults(ev: Evidence) -> pd.DataFrame:
    described = {
        (r.call.account, r.call.region, r.call.parameters.get("BackupVaultName")): (r.object, data)
        for r, data in ev.responses("aws", *VAULT)
    }
    # Vault names repeat across regions ("Default"): failures are matched by region too.
    failed: dict[Regional, dict[str, str]] = {
        (r.call.account, r.call.region, str(r.call.parameters.get("BackupVaultName"))): {
            VAULT[1]: error_text(r)
        }
        for r in ev.failures_of("aws", *VAULT)
    }
    rows = []
    for account, region, digest, vault in _items(ev, VAULTS, "BackupVaultList"):
        name = vault["BackupVaultName"]
        detail_hash, detail = described.get((account, region, name), (None, None))
        rows.append(
            {
                "provider": "aws",
                "account": account,
                "region": region,
                "resource": vault.get("BackupVaultArn") or f"{account}/{region}/{name}",
                "evidence": [h for h in (digest, detail_hash) if h],
                "name": name,
                "vault_type": (detail or vault).get("VaultType", "BACKUP_VAULT"),
                "locked": None if detail is None else bool(detail.get("Locked")),
                "min_retention_days": (detail or {}).get("MinRetentionDays"),
                "max_retention_days": (detail or {}).get("MaxRetentionDays"),
                "lock_date": _time((detail or {}).get("LockDate")),
                "recovery_points": (detail or vault).get("NumberOfRecoveryPoints", 0),
                DETAIL_ERRORS: failed.get((account, region, name), {}),
            }
        )
    columns = ["name", "vault_type", "locked", "min_retention_days", "max_retention_days", "lock_date"]
    return frame(rows, [*columns, "recovery_points", DETAIL_ERRORS])


def _arn_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 else ""


def build_protected_resources(ev: Evidence) -> pd.DataFrame:
    """One row per backed-up resource (by account and ARN): its newest usable recovery point."""
    grouped: dict[tuple[str, str], list[tuple[str, str, dict[str, Any]]]] = defaultdict(list)
    for account, region, digest, point in _items(ev, POINTS, "RecoveryPoints"):
        if point.get("ResourceArn"):
            grouped[(account, point["ResourceArn"])].append((region, digest, point))
    rows = []
    for (account, arn), points in grouped.items():
        finished = [
            (_time(p.get("CompletionDate") or p.get("CreationDate")), region, p)
            for region, _, p in points
            if p.get("Status") in USABLE
        ]
        newest = max(finished, key=lambda f: f[0], default=None)
        latest = max(points, key=lambda p: str(p[2].get("CreationDate", "")))
        backed_up_in = newest[1] if newest else latest[0]
        rows.append(
            {
                "provider": "aws",
                "account": account,
                # Where the resource lives; an S3 ARN names no region, so where its backups are.
                "region": _arn_region(arn) or backed_up_in,
                "resource": arn,
                "evidence": sorted({digest for _, digest, _ in points}),
                "resource_type": latest[2].get("ResourceType"),
                "vaults": sorted({f"{region}/{p.get('BackupVaultName')}" for region, _, p in points}),
                "recovery_points": len(points),
                "newest_completed": newest[0] if newest else pd.NaT,
                "newest_completed_arn": newest[2].get("RecoveryPointArn") if newest else None,
                "latest_status": latest[2].get("Status"),
            }
        )
    columns = ["resource_type", "vaults", "recovery_points", "newest_completed", "newest_completed_arn"]
    table = frame(rows, [*columns, "latest_status"])
    table["newest_completed"] = pd.to_datetime(table["newest_completed"], utc=True)
    return table


def _plan_name(arn: str, names: dict[str, str]) -> str:
    return names.get(arn) or arn.rsplit(":", 1)[-1]


def build_restore_testing(ev: Evidence) -> pd.DataFrame:
    """Per region with recovery points: the newest completed restore, and the newest from a test plan."""
    points: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for account, region, digest, _ in _items(ev, POINTS, "RecoveryPoints"):
        points[(account, region)].add(digest)
        counts[(account, region)] += 1
    plans: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for account, region, _, plan in _items(ev, TESTING_PLANS, "RestoreTestingPlans"):
        plans[(account, region)][plan.get("RestoreTestingPlanArn", "")] = plan.get(
            "RestoreTestingPlanName", ""
        )
    jobs: dict[tuple[str, str], list[tuple[pd.Timestamp, str | None, dict[str, Any], str]]] = defaultdict(
        list
    )
    for account, region, digest, job in _items(ev, RESTORES, "RestoreJobs"):
        if job.get("Status") == "COMPLETED":
            plan_arn = (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn")
            done = _time(job.get("CompletionDate") or job.get("CreationDate"))
            jobs[(account, region)].append((done, plan_arn, job, digest))
    rows = []
    for (account, region), digests in sorted(points.items()):
        names = plans[(account, region)]
        done = sorted((j for j in jobs[(account, region)] if pd.notna(j[0])), key=lambda j: j[0])
        tests = [j for j in done if j[1]]
        last, test = (done[-1] if done else None), (tests[-1] if tests else None)
        rows.append(
            {
                "provider": "aws",
                "account": account,
                "region": region,
                "resource": f"{account}/{region}",
                "evidence": sorted(digests | {j[3] for j in (last, test) if j}),
                "recovery_points": counts[(account, region)],
                "testing_plans": sorted(names.values()),
                "last_restore_completed": last[0] if last else pd.NaT,
                "last_restore_job": last[2].get("RestoreJobId") if last else None,
                "last_restore_type": last[2].get("ResourceType") if last else None,
                "last_test_completed": test[0] if test else pd.NaT,
                "last_test_plan": _plan_name(str(test[1]), names) if test else None,
            }
        )
    columns = ["recovery_points", "testing_plans", "last_restore_completed", "last_restore_job"]
    table = frame(rows, [*columns, "last_restore_type", "last_test_completed", "last_test_plan"])
    for column in ("last_restore_completed", "last_test_completed"):
        table[column] = pd.to_datetime(table[column], utc=True)
    return table


def build_selections(ev: Evidence) -> pd.DataFrame:
    """One row per backup selection: what it assigns to which plan (read by aws.backup.plan_coverage)."""
    plans = {
        (account, region, plan["BackupPlanId"]): plan
        for account, region, _, plan in _items(ev, PLANS, "BackupPlansList")
    }
    plan_details = {
        (r.call.account, r.call.region, r.call.parameters.get("BackupPlanId")): (r.object, data)
        for r, data in ev.responses("aws", *PLAN)
    }
    failed = detail_errors(ev, "aws", "backup", (PLAN[1],), key="BackupPlanId")
    rows = []
    for record, data in ev.responses("aws", *SELECTION):
        account, region = record.call.account, record.call.region
        plan_id = str(data.get("BackupPlanId") or record.call.parameters.get("BackupPlanId"))
        plan = plans.get((account, region, plan_id), {})
        plan_hash, detail = plan_details.get((account, region, plan_id), (None, None))
        selection = data.get("BackupSelection") or {}
        selection_id = data.get("SelectionId") or record.call.parameters.get("SelectionId")
        plan_name = plan.get("BackupPlanName") or plan_id
        plan_arn = plan.get("BackupPlanArn") or f"arn:aws:backup:{region}:{account}:backup-plan:{plan_id}"
        errors = dict(failed.get((account, plan_id), {}))
        if not selection:  # an answer without the document: what it assigns is unknown, not "everything"
            errors[SELECTION[1]] = (
                f"backup:GetBackupSelection answered without a selection document for {plan_name} "
                f"selection {selection_id}; collect again"
            )
        rows.append(
            {
                "provider": "aws",
                "account": account,
                "region": region,
                "resource": f"{plan_arn}#selection/{selection_id}",
                "evidence": [h for h in (record.object, plan_hash) if h],
                "plan_id": plan_id,
                "plan_name": plan_name,
                "plan_arn": plan_arn,
                "selection_id": selection_id,
                "selection_name": selection.get("SelectionName"),
                "selection": f"{plan_name}/{selection.get('SelectionName')}",
                "iam_role_arn": selection.get("IamRoleArn"),
                "resources": list(selection.get("Resources") or []),
                "not_resources": list(selection.get("NotResources") or []),
                "list_of_tags": list(selection.get("ListOfTags") or []),
                "conditions": dict(selection.get("Conditions") or {}),
                "plan_rules": None
                if detail is None
                else list((detail.get("BackupPlan") or {}).get("Rules", [])),
                DETAIL_ERRORS: errors,
            }
        )
    columns = ["plan_id", "plan_name", "plan_arn", "selection_id", "selection_name", "selection"]
    columns += ["iam_role_arn", "resources", "not_resources", "list_of_tags", "conditions", "plan_rules"]
    return frame(rows, [*columns, DETAIL_ERRORS])


NORMALIZERS: tuple[Normalizer, ...] = (
    Normalizer("aws.backup.vault", "aws", (VAULTS,), build_vaults, regional=True),
    # A vault whose recovery points could not be listed hides resources: the whole region is an error.
    Normalizer("aws.backup.protected_resource", "aws", (VAULTS, POINTS), build_protected_resources, True),
    # Restore testing plans only name the plan in reasons; restore jobs carry the verdict.
    Normalizer("aws.backup.restore_testing", "aws", (VAULTS, POINTS, RESTORES), build_restore_testing, True),
    # A selection that could not be read might cover anything: coverage in that region is an error.
    Normalizer("aws.backup.selection", "aws", (PLANS, SELECTIONS, SELECTION), build_selections, True),
)
