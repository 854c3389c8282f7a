"""Permissions: the policy trustctl needs, and which permissions recorded requests used (what the
packet's methodology states).

Read from what the runs recorded (each request's provider, service and operation), not from what
today's collectors would need: a packet describes how its period's evidence was gathered.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from trustctl.collectors.aws.runner import ORGANIZATION_PERMISSIONS, declared_actions, required_permissions
from trustctl.collectors.gcp.assets import (
    GCP_PERMISSIONS,
    LIST_IAM_POLICY,
    LIST_RESOURCE,
    ROLES,
    SEARCH_IAM_POLICIES,
)
from trustctl.evidence.records import RequestRecord

EXPORT_FILES = "Cloud Asset Inventory export files (no API access)"
SCIM = "SCIM 2.0 GET /Users (bearer token, read-only)"
FILES = "HR roster and IdP exports (files)"


# The boto3 client names trustctl's runs record whose signing name differs; every other one it records
# (the collectors' services and companions, sts, organizations) signs as its own name. A test holds this
# to botocore's models, which take about a second to load and are read only for names outside this set.
SIGNING_NAMES = {
    "sso-admin": "sso",
    "s3control": "s3",
    "elbv2": "elasticloadbalancing",
    "efs": "elasticfilesystem",
}
SAME_NAME = frozenset(
    {"backup", "cloudtrail", "config", "dynamodb", "ec2", "guardduty", "iam", "identitystore", "kms"}
    | {"organizations", "rds", "s3", "sts"}
)


@cache
def _signing_name(service: str) -> str:
    """The prefix IAM actions of a boto3 client name carry (`sso-admin` signs, and authorizes, as `sso`)."""
    if service in SIGNING_NAMES:
        return SIGNING_NAMES[service]
    if service in SAME_NAME:
        return service
    try:
        import botocore.session

        return str(botocore.session.get_session().get_service_model(service).signing_name)
    except Exception:  # an unknown service name in an old run: its own name is the best statement
        return service


def _aws(records: list[RequestRecord]) -> tuple[str, ...]:
    actions = declared_actions()
    used = set()
    for r in records:
        recorded = f"{r.call.service}:{r.call.operation}"
        used.add(actions.get(recorded) or f"{_signing_name(r.call.service)}:{r.call.operation}")
    return tuple(sorted(used))


def _gcp(records: list[RequestRecord]) -> tuple[str, ...]:
    used: set[str] = set()
    for r in records:
        if r.call.account.startswith("export:"):
            used.add(EXPORT_FILES)
        elif r.call.operation == "SearchAllIamPolicies":
            used.add(SEARCH_IAM_POLICIES)
        elif r.call.operation == "ListAssets":
            content = r.call.parameters.get("content_type")
            used.add(LIST_IAM_POLICY if content == "IAM_POLICY" else LIST_RESOURCE)
    api = sorted(used - {EXPORT_FILES})
    return (*(ROLES if api else ()), *api, *([EXPORT_FILES] if EXPORT_FILES in used else []))


def _identity(records: list[RequestRecord]) -> tuple[str, ...]:
    services = {r.call.service for r in records}
    return (*([SCIM] if "scim" in services else []), *([FILES] if services - {"scim"} else []))


def used_permissions(requests: Iterable[RequestRecord]) -> dict[str, tuple[str, ...]]:
    """Per provider (sorted), the permissions the requests needed; documents need none."""
    by_provider: dict[str, list[RequestRecord]] = {}
    for r in requests:
        by_provider.setdefault(r.call.provider, []).append(r)
    readers = {"aws": _aws, "gcp": _gcp, "identity": _identity}
    return {p: readers[p](records) for p, records in sorted(by_provider.items()) if p in readers}


def aws_policy(org_role: str) -> dict[str, object]:
    """The read-only IAM policy for trustctl's principal: every action the collectors declare, the
    organization listing, and assuming `org_role` in member accounts."""
    read = [a for a in required_permissions() if a not in ORGANIZATION_PERMISSIONS]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TrustctlReadOnly", "Effect": "Allow", "Action": read, "Resource": "*"},
            {
                "Sid": "TrustctlOrganization",
                "Effect": "Allow",
                "Action": ["organizations:ListAccounts"],
                "Resource": "*",
            },
            {
                "Sid": "TrustctlMemberAccounts",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": f"arn:aws:iam::*:role/{org_role}",
            },
        ],
    }


def gcp_grants() -> dict[str, list[str]]:
    """The role and the permissions trustctl needs on the [gcp] scope."""
    return {"roles": list(ROLES), "permissions": list(GCP_PERMISSIONS)}
