"""Checks over every AWS data store at once: data residency and backup-plan coverage."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts

# Snapshots are backups themselves; AWS Backup protects the stores they come from.
NOT_BACKUP_TARGETS = ("snapshot",)


@check(
    "aws.residency.allowed_regions",
    resource="aws.datastore",
    control="ISO-01",
    severity="high",
    title="Data stays in the allowed regions",
    fix="Move the data store to an allowed region (or delete it), or update policy.allowed_regions if "
    "the promise to customers changed.",
    needs=("GetBucketLocation",),
    statement=Statement("isolation", "data stores", "are in the regions we promise"),
)
def allowed_regions(stores: pd.DataFrame, ctx: Context) -> Verdicts:
    allowed = sorted(ctx.policy.allowed_regions)
    if not allowed:
        return Verdicts(
            ok=pd.Series([], dtype=object),
            reason=pd.Series([], dtype=object),
            not_applicable="policy.allowed_regions is empty: no residency promise to check",
        )
    where = ", ".join(allowed)
    return verdicts(
        stores,
        stores.region.isin(allowed),
        passed=f"{{resource}} is in {{region}}, an allowed region ({where})",
        failed=f"{{resource}} is in {{region}}, outside the allowed regions ({where})",
    )


def _is_production(tags: Any, production_tag: str) -> bool:
    if not production_tag:
        return True
    key, _, value = production_tag.partition("=")
    return isinstance(tags, dict) and tags.get(key) == value


@check(
    "aws.backup.plan_coverage",
    resource="aws.datastore",
    control="BCK-01",
    severity="high",
    title="Production data stores are in a backup plan",
    fix="Add the data store to an AWS Backup plan's resource assignment (by ARN or by a tag the plan "
    "selects).",
    # Selections are regional: a bucket whose region is unknown cannot be matched to its region's plans.
    needs=(
        "ListBackupSelections",
        "GetBackupSelection",
        "ListTagsOfResource",
        "GetBucketTagging",
        "GetBucketLocation",
    ),
    statement=Statement("backup", "production data stores", "are covered by a backup plan"),
)
def plan_coverage(stores: pd.DataFrame, ctx: Context) -> Verdicts:
    production_tag = ctx.policy.production_tag
    wanted = [
        not any(word in str(kind) for word in NOT_BACKUP_TARGETS) and _is_production(tags, production_tag)
        for kind, tags in zip(stores.store_type, stores.tags, strict=True)
    ]
    targets = stores[pd.Series(wanted, index=stores.index, dtype=bool)]
    scope = f"production data store (tag {production_tag})" if production_tag else "data store"
    return verdicts(
        targets,
        targets.backup_selections.map(len) > 0,
        passed=lambda r: (
            f"{r.resource} is assigned to backup plan selection(s) {', '.join(r.backup_selections)}"
        ),
        failed=f"{{resource}} is a {scope} that no AWS Backup plan selects",
    )
