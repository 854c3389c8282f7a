"""Audit logging and detection facts: CloudTrail trails, AWS Config recorders, GuardDuty detectors.

Tables: aws.cloudtrail.trail (one row per trail, in its home region), aws.cloudtrail.account (one row
per account, from every region's trails), aws.config.recorder and aws.guardduty.detector (one row
per ACCOUNT/REGION). The AWS Backup tables are in aws_backup.py, a family of its own.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from trustctl.facts.base import DETAIL_ERRORS, Evidence, Normalizer, detail_errors, error_text, frame

TRAILS = ("cloudtrail", "DescribeTrails")
TRAIL_STATUS = ("cloudtrail", "GetTrailStatus")
SELECTORS = ("cloudtrail", "GetEventSelectors")
RECORDERS = ("config", "DescribeConfigurationRecorders")
RECORDER_STATUS = ("config", "DescribeConfigurationRecorderStatus")
DETECTORS = ("guardduty", "ListDetectors")
DETECTOR = ("guardduty", "GetDetector")
# Nothing here holds customer data: these tables describe logging and detection settings.
DATA_STORES: tuple[str, ...] = ()


def _by_parameter(ev: Evidence, op: tuple[str, str], key: str) -> dict[tuple[str, Any], tuple[str, Any]]:
    """Responses of a per-resource call by (account, the value of parameter `key`): (hash, data)."""
    return {
        (r.call.account, r.call.parameters.get(key)): (str(r.object), data)
        for r, data in ev.responses("aws", *op)
    }


def management_events(selectors: dict[str, Any]) -> str | None:
    """Which management events a trail records ("All", "ReadOnly", "WriteOnly"), or None."""
    basic = selectors.get("EventSelectors") or []
    advanced = selectors.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return "All"  # AWS always returns its default selector (all management events); moto returns none
    kinds = {s.get("ReadWriteType", "All") for s in basic if s.get("IncludeManagementEvents", True)}
    for selector in advanced:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        if "Management" in fields.get("eventCategory", {}).get("Equals", []):
            read_only = fields.get("readOnly", {}).get("Equals", [])
            kinds.add({"true": "ReadOnly", "false": "WriteOnly"}.get("".join(read_only), "All"))
    if not kinds:
        return None
    return "All" if "All" in kinds or len(kinds) > 1 else kinds.pop()


def _trail_rows(ev: Evidence) -> list[dict[str, Any]]:
    """Every trail as listed in its home region by each account, with its status and selectors."""
    statuses = _by_parameter(ev, TRAIL_STATUS, "Name")
    selectors = _by_parameter(ev, SELECTORS, "TrailName")
    failed = detail_errors(ev, "aws", "cloudtrail", (TRAIL_STATUS[1],), key="Name")
    for key, errors in detail_errors(ev, "aws", "cloudtrail", (SELECTORS[1],), key="TrailName").items():
        failed.setdefault(key, {}).update(errors)
    rows = []
    for record, data in ev.responses("aws", *TRAILS):
        account, region = record.call.account, record.call.region
        for trail in data.get("trailList", []):
            if trail.get("HomeRegion", region) != region:
                continue
            arn = trail["TrailARN"]
            status_hash, status = statuses.get((account, arn), (None, None))
            selectors_hash, selected = selectors.get((account, arn), (None, None))
            rows.append(
                {
                    "provider": "aws",
                    "account": account,
                    "region": region,
                    "resource": arn,
                    "evidence": [h for h in (record.object, status_hash, selectors_hash) if h],
                    "name": trail.get("Name", arn.rsplit("/", 1)[-1]),
                    "multi_region": bool(trail.get("IsMultiRegionTrail")),
                    "organization_trail": bool(trail.get("IsOrganizationTrail")),
                    "log_validation": bool(trail.get("LogFileValidationEnabled")),
                    "kms_key_id": trail.get("KmsKeyId") or None,
                    "s3_bucket": trail.get("S3BucketName"),
                    "is_logging": None if status is None else bool(status.get("IsLogging")),
                    "management_events": None if selected is None else management_events(selected),
                    DETAIL_ERRORS: failed.get((account, arn), {}),
                }
            )
    return rows


TRAIL_COLUMNS = [
    "name",
    "multi_region",
    "organization_trail",
    "log_validation",
    "kms_key_id",
    "s3_bucket",
    "is_logging",
    "management_events",
    DETAIL_ERRORS,
]


def build_trails(ev: Evidence) -> pd.DataFrame:
    rows = _trail_rows(ev)
    # An organization trail seen from several accounts is judged once, in the account that owns it.
    rows.sort(key=lambda r: r["resource"].split(":")[4] != r["account"])
    return frame(rows, TRAIL_COLUMNS).drop_duplicates("resource", ignore_index=True)


def _judge_trail(trail: dict[str, Any]) -> tuple[bool | None, str]:
    """Whether a trail gives its account multi-region audit logging, and if not, why."""
    label, errors = trail["resource"], trail[DETAIL_ERRORS]
    if not trail["multi_region"]:
        return False, f"{label} is single-region"
    if trail["is_logging"] is False:
        return False, f"{label} is multi-region but not logging"
    if trail["management_events"] is None and SELECTORS[1] not in errors:
        return False, f"{label} is multi-region but records no management events"
    if trail["is_logging"] is None or trail["management_events"] is None:
        return None, f"whether multi-region {label} is logging could not be read: " + "; ".join(
            errors.values()
        )
    events = trail["management_events"]
    return True, f"{label} is multi-region, logging, and records {events} management events"


def build_accounts(ev: Evidence) -> pd.DataFrame:
    """Per account: the trails that give it multi-region audit logging, judged across every region."""
    trails = _trail_rows(ev)
    regions: dict[str, set[str]] = defaultdict(set)
    evidence: dict[str, set[str]] = defaultdict(set)
    for record, _ in ev.responses("aws", *TRAILS):
        regions[record.call.account].add(record.call.region)
        evidence[record.call.account].add(str(record.object))
    # Regions whose trails could not be listed leave the account unknown, unless a covering trail was
    # found elsewhere: a multi-region trail seen from any region is proof enough.
    unread: dict[str, list[str]] = defaultdict(list)
    for record in ev.failures("aws"):
        if record.call.service == "cloudtrail" and record.call.operation in (
            TRAILS[1],
            "CloudTrailCollector",
        ):
            unread[record.call.account].append(f"{record.call.region}: {error_text(record)}")
    # An organization trail logs every account of the organization, not only the one that owns it.
    organization = [t for t in trails if t["organization_trail"] and _judge_trail(t)[0]]
    rows = []
    # An account with no trail listing at all was not read in any region (DescribeRegions failed?).
    for account in sorted(set(regions) | set(ev.accounts("aws"))):
        own = [t for t in trails if t["account"] == account]
        judged = [(*_judge_trail(t), t) for t in own]
        judged += [
            (True, f"organization trail {_judge_trail(t)[1]} (owned by account {t['account']})", t)
            for t in organization
            if t["account"] != account
        ]
        rows.append(
            {
                "provider": "aws",
                "account": account,
                "region": "global",
                "resource": account,
                "evidence": sorted(evidence[account].union(*(t["evidence"] for _, _, t in judged))),
                "regions_scanned": sorted(regions[account]),
                "trails": [t["resource"] for t in own],
                "covering": list(dict.fromkeys(text for ok, text, _ in judged if ok)),
                "unknown": [text for ok, text, _ in judged if ok is None] + unread[account]
                or ([] if regions[account] else ["its CloudTrail trails were not collected in any region"]),
                "shortfalls": [text for ok, text, _ in judged if ok is False],
            }
        )
    return frame(rows, ["regions_scanned", "trails", "covering", "unknown", "shortfalls"])


def _recording_group(recorder: dict[str, Any]) -> tuple[bool, list[str], list[str]]:
    """Whether a recorder records all supported types, and otherwise which it includes / excludes."""
    group = recorder.get("recordingGroup") or {}
    strategy = (group.get("recordingStrategy") or {}).get("useOnly")
    excluded = list((group.get("exclusionByResourceTypes") or {}).get("resourceTypes") or [])
    if strategy == "EXCLUSION_BY_RESOURCE_TYPES":
        return not excluded, [], excluded
    all_supported = bool(group.get("allSupported")) or strategy == "ALL_SUPPORTED_RESOURCE_TYPES"
    return all_supported, [] if all_supported else list(group.get("resourceTypes") or []), []


def build_recorders(ev: Evidence) -> pd.DataFrame:
    statuses = {
        (r.call.account, r.call.region): (r.object, data) for r, data in ev.responses("aws", *RECORDER_STATUS)
    }
    rows = []
    for record, data in ev.responses("aws", *RECORDERS):
        account, region = record.call.account, record.call.region
        status_hash, status = statuses.get((account, region), (None, {}))
        recording = {
            s.get("name"): s for s in status.get("ConfigurationRecordersStatus", []) if s.get("recording")
        }
        candidates = []
        for recorder in data.get("ConfigurationRecorders", []):
            all_supported, included, excluded = _recording_group(recorder)
            on = recorder.get("name") in recording
            # A service-linked recorder records only what its service needs: judge the account's own first.
            rank = (not (on and all_supported), not on, bool(recorder.get("servicePrincipal")))
            candidates.append((rank, recorder.get("name", ""), on, all_supported, included, excluded))
        best = min(candidates, default=None)
        rows.append(
            {
                "provider": "aws",
                "account": account,
                "region": region,
                "resource": f"{account}/{region}",
                "evidence": [h for h in (record.object, status_hash) if h],
                "recorders": [c[1] for c in candidates],
                "recorder": best[1] if best else None,
                "recording": bool(best and best[2]),
                "all_supported": bool(best and best[3]),
                "included_types": best[4] if best else [],
                "excluded_types": best[5] if best else [],
            }
        )
    columns = ["recorders", "recorder", "recording", "all_supported", "included_types", "excluded_types"]
    return frame(rows, columns)


def build_detectors(ev: Evidence) -> pd.DataFrame:
    detectors = _by_parameter(ev, DETECTOR, "DetectorId")
    failed = detail_errors(ev, "aws", "guardduty", (DETECTOR[1],), key="DetectorId")
    scopes: dict[tuple[str, str], dict[str, Any]] = {}
    for record, data in ev.responses("aws", *DETECTORS):
        account, region = record.call.account, record.call.region
        row = scopes.setdefault(
            (account, region),
            {
                "provider": "aws",
                "account": account,
                "region": region,
                "resource": f"{account}/{region}",
                "evidence": [],
                "statuses": {},
                DETAIL_ERRORS: {},
            },
        )
        row["evidence"].append(record.object)
        for detector_id in data.get("DetectorIds", []):
            digest, detail = detectors.get((account, detector_id), (None, None))
            row["evidence"] += [digest] if digest else []
            row["statuses"][detector_id] = None if detail is None else detail.get("Status")
            row[DETAIL_ERRORS].update(failed.get((account, detector_id), {}))
    return frame(list(scopes.values()), ["statuses", DETAIL_ERRORS])


NORMALIZERS: tuple[Normalizer, ...] = (
    Normalizer("aws.cloudtrail.trail", "aws", (TRAILS,), build_trails, regional=True),
    # Not regional: one account-wide verdict, and a failed listing in any region makes it an error.
    # No listing needs: a region whose trails could not be read is judged in build_accounts, where a
    # covering trail seen from another region still proves the account is logged.
    Normalizer("aws.cloudtrail.account", "aws", (), build_accounts, regional=False),
    Normalizer("aws.config.recorder", "aws", (RECORDERS, RECORDER_STATUS), build_recorders, regional=True),
    Normalizer("aws.guardduty.detector", "aws", (DETECTORS,), build_detectors, regional=True),
)
