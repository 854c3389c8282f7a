"""Every AWS data store in one derived table, with the backup selections that cover it.

Built from the data-store tables of each service family (their DATA_STORES), after they are
normalized: the residency and backup-coverage checks read one table, whatever holds the data.
"""

from __future__ import annotations

import fnmatch
from typing import Any

import pandas as pd

from trustctl.facts.base import DETAIL_ERRORS, GLOBAL, FactTable, ScopeKey, frame

DATASTORE = "aws.datastore"
SELECTION = "aws.backup.selection"
# Operations whose failure hides which backup plans select a store.
SELECTION_OPERATIONS = ("ListBackupPlans", "ListBackupSelections", "GetBackupSelection")
UNREAD = "GetBackupSelection"  # a selection listed whose content is unknown


def _tag_condition(tags: dict[str, str], condition: dict[str, Any], like: bool) -> bool:
    key = str(condition.get("ConditionKey", "")).removeprefix("aws:ResourceTag/")
    value = tags.get(key)
    wanted = str(condition.get("ConditionValue", ""))
    if value is None:
        return False
    return fnmatch.fnmatchcase(value, wanted) if like else value == wanted


def _conditions_match(tags: dict[str, str], conditions: dict[str, Any]) -> bool:
    """Conditions: every one must hold (AND); operators are case sensitive."""
    checks = [
        *(_tag_condition(tags, c, like=False) for c in conditions.get("StringEquals", []) or []),
        *(_tag_condition(tags, c, like=True) for c in conditions.get("StringLike", []) or []),
        *(not _tag_condition(tags, c, like=False) for c in conditions.get("StringNotEquals", []) or []),
        *(not _tag_condition(tags, c, like=True) for c in conditions.get("StringNotLike", []) or []),
    ]
    return all(checks)


def selects(selection: Any, arn: str, tags: dict[str, str]) -> bool:
    """Whether an AWS Backup selection assigns this resource (AWS's documented semantics).

    Resources (ARN patterns, `*` wildcards) AND Conditions; OR any ListOfTags entry (StringEquals);
    NotResources always excludes. A selection with none of these selects every supported resource.
    """
    resources = list(selection.resources or [])
    conditions = dict(selection.conditions or {})
    list_of_tags = list(selection.list_of_tags or [])
    if any(fnmatch.fnmatchcase(arn, p) for p in selection.not_resources or []):
        return False
    has_conditions = any(
        conditions.get(op) for op in ("StringEquals", "StringLike", "StringNotEquals", "StringNotLike")
    )
    if not resources and not has_conditions and not list_of_tags:
        return True
    by_resources = (
        (not resources or any(fnmatch.fnmatchcase(arn, p) for p in resources))
        and (_conditions_match(tags, conditions))
        and bool(resources or has_conditions)
    )
    by_tags = any(_tag_condition(tags, c, like=False) for c in list_of_tags)
    return by_resources or by_tags


def _selections(tables: dict[str, FactTable]) -> tuple[pd.DataFrame, dict[ScopeKey, list[str]]]:
    table = tables.get(SELECTION)
    if table is None:
        columns = ["selection", "resources", "not_resources", "list_of_tags", "conditions", DETAIL_ERRORS]
        return frame([], columns), {}
    return table.frame, table.errors


def _unread(selection: Any) -> str | None:
    """Why a listed selection's content is unknown, or None if it was read."""
    errors = selection.detail_errors if isinstance(selection.detail_errors, dict) else {}
    return errors.get(UNREAD)


def derive_datastores(tables: dict[str, FactTable], types: tuple[str, ...]) -> FactTable:
    """One row per data store: resource, type, region, tags, and the selections that back it up."""
    parts: list[pd.DataFrame] = []
    scopes: set[ScopeKey] = set()
    errors: dict[ScopeKey, list[str]] = {}
    for resource_type in types:
        table = tables.get(resource_type)
        if table is None:
            continue
        part = table.frame.assign(store_type=resource_type)
        parts.append(part)
        scopes |= set(table.scopes)
        for scope, reasons in table.errors.items():
            errors.setdefault(scope, []).extend(reasons)
    columns = [*frame([], []).columns, "store_type", "tags", DETAIL_ERRORS]
    stores = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    stores = stores.reindex(columns=columns)
    stores["tags"] = [t if isinstance(t, dict) else {} for t in stores["tags"]]
    selections, selection_errors = _selections(tables)
    selected_by, detail = [], []
    # The selections of each account and region, in their order: read once, not filtered per store.
    by_place: dict[tuple[Any, Any], list[Any]] = {}
    for s in selections.itertuples(index=False):
        by_place.setdefault((s.account, s.region), []).append(s)
    for store in stores.itertuples(index=False):
        here = by_place.get((store.account, store.region), [])
        unread = [reason for reason in map(_unread, here) if reason]
        selected_by.append(
            sorted(
                str(s.selection)
                for s in here
                if not _unread(s) and selects(s, str(store.resource), store.tags)
            )
        )
        hidden = selection_errors.get(("aws", store.account, store.region), []) + selection_errors.get(
            ("aws", store.account, GLOBAL), []
        )
        own = dict(store.detail_errors) if isinstance(store.detail_errors, dict) else {}
        if hidden:
            own["ListBackupSelections"] = "; ".join(dict.fromkeys(hidden))
        if unread:
            own[UNREAD] = "; ".join(dict.fromkeys(unread))
        detail.append(own)
    stores["backup_selections"] = selected_by
    stores[DETAIL_ERRORS] = detail
    # S3 is listed account-wide but its buckets live in regions: where an account has regional scopes,
    # its global one would only say "nothing here" while errors in every region hide its buckets.
    regional = {(provider, account) for provider, account, region in scopes if region != GLOBAL}
    kept = {scope for scope in scopes if scope[2] != GLOBAL or scope[:2] not in regional}
    return FactTable(DATASTORE, stores, sorted(kept), errors)
