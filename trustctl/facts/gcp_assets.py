"""Cloud Asset Inventory evidence as one merged asset per (scope, full resource name).

A scope's assets arrive in ListAssets pages (live collection, RESOURCE and IAM_POLICY content in
separate pages) or in ImportExport chunks (an imported `gcloud asset export` file); both hold
`{"assets": [...]}`. The two contents of one asset are merged here, with the hashes of every object
they came from, so each fact row names all of its evidence.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from trustctl.facts.base import Evidence

PROVIDER = "gcp"
SERVICE = "cloudasset"
SOURCES = ((SERVICE, "ListAssets"), (SERVICE, "ImportExport"))
SEARCH_POLICIES = (SERVICE, "SearchAllIamPolicies")
# Top-level spellings of `gcloud --format=json` and the API, tolerated here as well as at import.
CAMEL = {"assetType": "asset_type", "iamPolicy": "iam_policy", "updateTime": "update_time"}
ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")
RESOURCE_MANAGER = "//cloudresourcemanager.googleapis.com/"


@dataclass
class Asset:
    """One asset of one scope: its resource content and IAM policy, whichever were collected."""

    scope: str
    name: str
    asset_type: str = ""
    ancestors: list[str] = field(default_factory=list)
    resource: dict[str, Any] | None = None
    iam_policy: dict[str, Any] | None = None
    evidence: list[str] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        data = (self.resource or {}).get("data")
        return data if isinstance(data, dict) else {}

    @property
    def location(self) -> str | None:
        location = (self.resource or {}).get("location") or self.data.get("location")
        return str(location) if location else None

    @property
    def project(self) -> str | None:
        return next((a for a in self.ancestors if a.startswith("projects/")), None)

    @property
    def labels(self) -> dict[str, str]:
        labels = self.data.get("labels")
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _snake(raw: dict[str, Any]) -> dict[str, Any]:
    return {CAMEL.get(key, key): value for key, value in raw.items()}


_MERGED: weakref.WeakKeyDictionary[Evidence, dict[tuple[str, str], Asset]] = weakref.WeakKeyDictionary()


def collect_assets(ev: Evidence) -> dict[tuple[str, str], Asset]:
    """Every asset of the run, merged by (scope, name), in the order first seen.

    Merged once per run and shared by every GCP table (callers must not mutate the assets).
    """
    if ev in _MERGED:
        return _MERGED[ev]
    found: dict[tuple[str, str], Asset] = {}
    for service, operation in SOURCES:
        for record, data in ev.responses(PROVIDER, service, operation):
            assert record.object is not None
            scope = record.call.account
            for raw in (data or {}).get("assets", []) or []:
                if not isinstance(raw, dict) or not raw.get("name"):
                    continue
                item = _snake(raw)
                asset = found.setdefault((scope, str(item["name"])), Asset(scope, str(item["name"])))
                asset.asset_type = asset.asset_type or str(item.get("asset_type") or "")
                asset.ancestors = asset.ancestors or [str(a) for a in item.get("ancestors") or []]
                if isinstance(item.get("resource"), dict):
                    asset.resource = item["resource"]
                if isinstance(item.get("iam_policy"), dict):
                    asset.iam_policy = item["iam_policy"]
                if record.object not in asset.evidence:
                    asset.evidence.append(record.object)
    _MERGED[ev] = found
    return found


def of_type(ev: Evidence, asset_type: str) -> list[Asset]:
    """Assets of one type that have resource content (a policy alone describes no resource)."""
    return [a for a in collect_assets(ev).values() if a.asset_type == asset_type and a.resource is not None]


def region_of(location: str | None) -> str:
    """A location as residency compares it: a zone becomes its region; multi-regions in capitals."""
    if not location:
        return "unknown"
    lowered = location.lower()
    zone = ZONE.match(lowered)
    if zone:
        return zone.group(1)
    return lowered if any(ch.isdigit() for ch in lowered) or "-" in lowered else location.upper()


def base_row(asset: Asset, region: str = "global") -> dict[str, Any]:
    return {
        "provider": PROVIDER,
        "account": asset.scope,
        "region": region,
        "resource": asset.name,
        "evidence": list(asset.evidence),
        "project": asset.project,
        "location": asset.location,
        "tags": asset.labels,
    }


BASE = ["project", "location", "tags"]


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
