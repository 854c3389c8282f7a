"""Cloud Asset Inventory evidence as one merged asset per (scope, full resource name).

A scope's assets arrive in ListAssets pages (live collection, RESOURCE and IAM_POLICY content in
separate pages) or in ImportExport chunks (an imported `gcloud asset export` file); both hold
`{"assets": [...]}`. The two contents of one asset are merged here, with the hashes of every object
they came from, so each fact row names all of its evidence.

Exports are large (200,000 assets are about 1 GB once parsed), so each chunk is read and parsed once,
and only what the tables read is kept of each asset: its location, labels and the facts its type's
extractor takes from the resource data. The parsed chunk is dropped before the next one is read.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from trustctl.evidence.gcpause import gc_paused
from trustctl.evidence.records import RequestRecord
from trustctl.facts.base import BASE_COLUMNS, Evidence, frame

PROVIDER = "gcp"
SERVICE = "cloudasset"
SOURCES = ((SERVICE, "ListAssets"), (SERVICE, "ImportExport"))
SEARCH_POLICIES = (SERVICE, "SearchAllIamPolicies")
# Top-level spellings of `gcloud --format=json` and the API, tolerated here as well as at import.
CAMEL = {"assetType": "asset_type", "iamPolicy": "iam_policy", "updateTime": "update_time"}
ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
RESOURCE_MANAGER = "//cloudresourcemanager.googleapis.com/"

Extract = Callable[[dict[str, Any], str], dict[str, Any]]
"""(resource data, full name) -> the facts of one asset type's table."""


@dataclass(slots=True)
class Asset:
    """One asset of one scope: what the tables read of its resource content, and its IAM policy."""

    scope: str
    name: str
    asset_type: str = ""
    ancestors: list[str] = field(default_factory=list)
    project: str | None = None
    has_resource: bool = False  # resource content was collected (a policy alone describes no resource)
    location: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)  # from its type's extractor
    iam_policy: dict[str, Any] | None = None
    evidence: tuple[str, ...] = ()
    pending: dict[str, Any] | None = None  # a resource seen before the asset's type: extracted at the end


@dataclass
class Merged:
    """The merged assets of one run: in the order first seen, and by type."""

    assets: dict[tuple[str, str], Asset]
    by_type: dict[str, list[Asset]]


def _snake(raw: dict[str, Any]) -> dict[str, Any]:
    return {CAMEL.get(key, key): value for key, value in raw.items()}


def _set_resource(asset: Asset, resource: dict[str, Any], extractors: Mapping[str, Extract]) -> None:
    data = resource.get("data")
    if not isinstance(data, dict):
        data = {}
    location = resource.get("location") or data.get("location")
    labels = data.get("labels")
    asset.has_resource = True
    asset.location = str(location) if location else None
    asset.labels = {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}
    extract = extractors.get(asset.asset_type)
    asset.facts = extract(data, asset.name) if extract is not None else {}


def _chunks(ev: Evidence) -> Iterator[tuple[RequestRecord, Any]]:
    """Every asset page of the run, each read and parsed once and not kept (unlike ev.responses)."""
    for service, operation in SOURCES:
        for record in ev.manifest.requests:
            c = record.call
            if record.object and (c.provider, c.service, c.operation) == (PROVIDER, service, operation):
                yield record, ev.locker.get_object(record.object)


_MERGED: weakref.WeakKeyDictionary[Evidence, Merged] = weakref.WeakKeyDictionary()


def collect_assets(ev: Evidence, extractors: Mapping[str, Extract]) -> Merged:
    """Every asset of the run, merged by (scope, name), in the order first seen.

    Merged once per run (with the extractors of the first call) and shared by every GCP table
    (callers must not mutate the assets). A later resource content of an asset replaces an earlier one;
    its type and ancestors are the first ones given.
    """
    if ev in _MERGED:
        return _MERGED[ev]
    with gc_paused():
        merged = _MERGED[ev] = _merge(ev, extractors)
    return merged


def release_assets(ev: Evidence) -> None:
    """Forget the run's merged assets (the next collect_assets merges them again)."""
    _MERGED.pop(ev, None)


def _lineage(
    raw: Any, seen: dict[tuple[Any, ...], tuple[list[str], str | None]]
) -> tuple[list[str], str | None]:
    """An asset's ancestors and project: one shared (read-only) list per distinct lineage."""
    key = tuple(raw or [])
    try:
        return seen[key]
    except KeyError:
        ancestors = [str(a) for a in key]
        found = seen[key] = (ancestors, next((a for a in ancestors if a.startswith("projects/")), None))
        return found
    except TypeError:  # an unhashable ancestor: not shared
        ancestors = [str(a) for a in key]
        return ancestors, next((a for a in ancestors if a.startswith("projects/")), None)


def _merge(ev: Evidence, extractors: Mapping[str, Extract]) -> Merged:
    found: dict[tuple[str, str], Asset] = {}
    lineages: dict[tuple[Any, ...], tuple[list[str], str | None]] = {}
    for record, data in _chunks(ev):
        digest = record.object
        assert digest is not None
        scope = record.call.account
        first_seen = (digest,)  # the evidence of every asset first seen in this chunk, shared
        for raw in (data or {}).get("assets", []) or []:
            if not isinstance(raw, dict) or not raw.get("name"):
                continue
            item = _snake(raw) if "assetType" in raw or "iamPolicy" in raw else raw
            name = str(item["name"])
            asset = found.get((scope, name))
            if asset is None:
                asset = found[(scope, name)] = Asset(scope, name, evidence=first_seen)
            if not asset.asset_type:
                asset.asset_type = str(item.get("asset_type") or "")
                if asset.asset_type and asset.pending is not None:
                    _set_resource(asset, asset.pending, extractors)
                    asset.pending = None
            if not asset.ancestors:
                asset.ancestors, asset.project = _lineage(item.get("ancestors"), lineages)
            resource = item.get("resource")
            if isinstance(resource, dict):
                if asset.asset_type:
                    _set_resource(asset, resource, extractors)
                else:
                    asset.has_resource, asset.pending = True, resource
            policy = item.get("iam_policy")
            if isinstance(policy, dict):
                asset.iam_policy = policy
            if digest not in asset.evidence:
                asset.evidence = (*asset.evidence, digest)
        del data  # the parsed chunk: only what the tables read is kept
    by_type: dict[str, list[Asset]] = {}
    for asset in found.values():
        if asset.pending is not None:  # the type never came: nothing is extracted
            _set_resource(asset, asset.pending, {})
            asset.pending = None
        if asset.has_resource:
            by_type.setdefault(asset.asset_type, []).append(asset)
    return Merged(found, by_type)


@lru_cache(maxsize=4096)
def region_of(location: str | None) -> str:
    """A location as residency compares it: a zone becomes its region; multi-regions in capitals."""
    if not location:
        return "unknown"
    lowered = location.lower()
    zone = ZONE.match(lowered)
    if zone:
        return zone.group(1)
    return lowered if any(ch.isdigit() for ch in lowered) or "-" in lowered else location.upper()


BASE = ["project", "location", "tags"]


def as_objects(table: pd.DataFrame) -> pd.DataFrame:
    """String columns as plain object columns (same values, missing ones NaN).

    The engine and the checks walk fact rows one by one; pandas' `str` dtype yields each element
    through a Python-level `__getitem__`, several times slower than an object column.
    """
    for column, dtype in table.dtypes.items():
        if isinstance(dtype, pd.StringDtype):
            table[column] = table[column].astype(object)
    return table


def asset_table(
    assets: list[Asset],
    columns: list[str],
    regions: list[str] | None = None,
    extra: Mapping[str, list[Any]] | None = None,
) -> pd.DataFrame:
    """One row per asset: the base columns, then `columns` from each asset's extracted facts.

    `regions`: per asset (data stores); otherwise every row is `global`. `extra`: whole columns given
    (one value per asset), which replace those of the same name.
    """
    if not assets:
        return as_objects(frame([], [*BASE, *columns]))
    with gc_paused():
        return _asset_table(assets, columns, regions, extra)


def _asset_table(
    assets: list[Asset],
    columns: list[str],
    regions: list[str] | None,
    extra: Mapping[str, list[Any]] | None,
) -> pd.DataFrame:
    data: dict[str, list[Any]] = {
        "provider": [PROVIDER] * len(assets),
        "account": [a.scope for a in assets],
        "region": regions if regions is not None else ["global"] * len(assets),
        "resource": [a.name for a in assets],
        "evidence": [list(a.evidence) for a in assets],
        "project": [a.project for a in assets],
        "location": [a.location for a in assets],
        "tags": [dict(a.labels) for a in assets],  # each row its own dict
    }
    for column in columns:
        if not extra or column not in extra:
            data[column] = [a.facts[column] for a in assets]
    data.update(extra or {})
    return as_objects(pd.DataFrame(data, columns=[*BASE_COLUMNS, *BASE, *columns]))


def searched_policies(ev: Evidence) -> list[tuple[str, str, dict[str, Any], str | None, str]]:
    """SearchAllIamPolicies results: (scope, resource, policy, project, evidence hash)."""
    found = []
    for record, data in ev.responses(PROVIDER, *SEARCH_POLICIES):
        assert record.object is not None
        for result in (data or {}).get("results", []) or []:
            if isinstance(result, dict) and result.get("resource") and isinstance(result.get("policy"), dict):
                project = result.get("project")
                found.append(
                    (
                        record.call.account,
                        str(result["resource"]),
                        result["policy"],
                        str(project) if project else None,
                        record.object,
                    )
                )
    return found


def bindings(policy: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A policy's bindings as {role, members}, whatever else each binding carries."""
    out = []
    for binding in (policy or {}).get("bindings", []) or []:
        if isinstance(binding, dict) and binding.get("role"):
            out.append(
                {"role": str(binding["role"]), "members": [str(m) for m in binding.get("members") or []]}
            )
    return out


def ancestor_name(ancestor: str) -> str:
    """`organizations/678` -> the full name of its Cloud Resource Manager asset."""
    return RESOURCE_MANAGER + ancestor
