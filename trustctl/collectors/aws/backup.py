"""AWS Backup evidence, per region: plans and what they select, vaults and their locks, recovery
points, restore jobs and restore testing plans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trustctl.collectors.aws.calls import call, paginate
from trustctl.collectors.base import Outcome, Response, Scope


def _listing(outcomes: Iterator[Outcome], key: str, found: list[dict[str, Any]]) -> Iterator[Outcome]:
    """Pass every page through and keep its items, so the detail calls can follow."""
    for outcome in outcomes:
        if isinstance(outcome, Response):
            found.extend(outcome.data.get(key) or [])
        yield outcome


class BackupCollector:
    """Backup plans with their selections, vaults with their lock and recovery points, restore jobs."""

    service = "backup"
    is_global = False
    permissions = (
        "backup:ListBackupPlans",
        "backup:GetBackupPlan",
        "backup:ListBackupSelections",
        "backup:GetBackupSelection",
        "backup:ListBackupVaults",
        "backup:DescribeBackupVault",
        "backup:ListRecoveryPointsByBackupVault",
        "backup:ListRestoreJobs",
        "backup:ListRestoreTestingPlans",
    )

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        yield from self._plans(client, scope)
        yield from self._vaults(client, scope)
        yield from paginate(client, "list_restore_jobs", scope)
        yield from paginate(client, "list_restore_testing_plans", scope)

    @staticmethod
    def _plans(client: Any, scope: Scope) -> Iterator[Outcome]:
        plans: list[dict[str, Any]] = []
        yield from _listing(paginate(client, "list_backup_plans", scope), "BackupPlansList", plans)
        for plan in plans:
            plan_id = plan["BackupPlanId"]
            yield call(client, "get_backup_plan", scope, BackupPlanId=plan_id)
            selections: list[dict[str, Any]] = []
            yield from _listing(
                paginate(client, "list_backup_selections", scope, BackupPlanId=plan_id),
                "BackupSelectionsList",
                selections,
            )
            for selection in selections:
                yield call(
                    client,
                    "get_backup_selection",
                    scope,
                    BackupPlanId=plan_id,
                    SelectionId=selection["SelectionId"],
                )

    @staticmethod
    def _vaults(client: Any, scope: Scope) -> Iterator[Outcome]:
        vaults: list[dict[str, Any]] = []
        yield from _listing(paginate(client, "list_backup_vaults", scope), "BackupVaultList", vaults)
        for vault in vaults:
            name = vault["BackupVaultName"]
            yield call(client, "describe_backup_vault", scope, BackupVaultName=name)
            yield from paginate(client, "list_recovery_points_by_backup_vault", scope, BackupVaultName=name)


COLLECTORS: list[Any] = [BackupCollector()]
