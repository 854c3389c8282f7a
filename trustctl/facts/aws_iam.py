"""IAM facts from the credential report and the account authorization details.

Tables: aws.iam.root and aws.iam.password_policy (one row per account), aws.iam.user,
aws.iam.policy (customer-managed and inline policies) and aws.iam.principal (users, groups, roles).
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import pandas as pd

from trustctl.facts.base import BASE_COLUMNS, Evidence, Normalizer, frame
from trustctl.facts.iam_policy import document, grants_full_admin, is_admin_policy_arn, wildcard_grants

AUTH = ("iam", "GetAccountAuthorizationDetails")
REPORT = ("iam", "GetCredentialReport")
# The report is read only once generated: a failed (or never finished) generation is a missing report.
GENERATE = ("iam", "GenerateCredentialReport")
SUMMARY = ("iam", "GetAccountSummary")
PASSWORD = ("iam", "GetAccountPasswordPolicy")
ROOT = "<root_account>"
REPORT_TIMES = [
    "user_creation_time",
    "password_last_used",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
]


def _credential_reports(ev: Evidence) -> dict[str, tuple[pd.DataFrame, str]]:
    """Per account: the parsed credential report and its evidence hash."""
    reports = {}
    for record, data in ev.responses("aws", *REPORT):
        assert record.object is not None
        content = data.get("Content") or ""
        if not content.strip():
            continue  # an empty report has no users, not even the root row
        report = pd.read_csv(io.StringIO(content), dtype=str, keep_default_na=False)
        for column in REPORT_TIMES:
            if column in report:
                report[column] = pd.to_datetime(report[column], errors="coerce", utc=True, format="ISO8601")
        reports[record.call.account] = (report, record.object)
    return reports


def _auth_details(ev: Evidence) -> dict[str, dict[str, Any]]:
    """Per account: all pages of GetAccountAuthorizationDetails merged, and their evidence hashes."""
    merged: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "UserDetailList": [],
            "GroupDetailList": [],
            "RoleDetailList": [],
            "Policies": [],
            "evidence": [],
        }
    )
    for record, data in ev.responses("aws", *AUTH):
        account = merged[record.call.account]
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            account[key] += data.get(key, [])
        account["evidence"].append(record.object)
    return dict(merged)


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


def build_root(ev: Evidence) -> pd.DataFrame:
    reports = _credential_reports(ev)
    rows = []
    for record, data in ev.responses("aws", *SUMMARY):
        account = record.call.account
        summary = data.get("SummaryMap", {})
        report, report_hash = reports.get(account, (pd.DataFrame(), None))
        root = report[report["user"] == ROOT] if "user" in report else pd.DataFrame()
        keys_in_report = bool(len(root)) and (
            _flag(root.iloc[0].get("access_key_1_active")) or _flag(root.iloc[0].get("access_key_2_active"))
        )
        rows.append(
            {
                "provider": "aws",
                "account": account,
                "region": "global",
                "resource": account,
                "evidence": [h for h in (record.object, report_hash) if h],
                "mfa_enabled": summary.get("AccountMFAEnabled") == 1,
                "access_keys_present": summary.get("AccountAccessKeysPresent") == 1 or keys_in_report,
            }
        )
    return frame(rows, ["mfa_enabled", "access_keys_present"])


def build_password_policy(ev: Evidence) -> pd.DataFrame:
    rows = []
    for record, data in ev.responses("aws", *PASSWORD):
        policy = data.get("PasswordPolicy")
        rows.append(
            {
                "provider": "aws",
                "account": record.call.account,
                "region": "global",
                "resource": record.call.account,
                "evidence": [record.object],
                "present": policy is not None,
                "minimum_length": (policy or {}).get("MinimumPasswordLength", 0),
                "require_symbols": bool((policy or {}).get("RequireSymbols")),
                "require_numbers": bool((policy or {}).get("RequireNumbers")),
                "reuse_prevention": (policy or {}).get("PasswordReusePrevention", 0),
                "max_age_days": (policy or {}).get("MaxPasswordAge"),
            }
        )
    return frame(
        rows,
        [
            "present",
            "minimum_length",
            "require_symbols",
            "require_numbers",
            "reuse_prevention",
            "max_age_days",
        ],
    )


REPORT_COLUMNS = {
    "password_enabled": "password_enabled",
    "password_last_used": "password_last_used",
    "mfa_active": "mfa_active",
    "access_key_1_active": "key_1_active",
    "access_key_1_last_rotated": "key_1_last_rotated",
    "access_key_1_last_used_date": "key_1_last_used",
    "access_key_2_active": "key_2_active",
    "access_key_2_last_rotated": "key_2_last_rotated",
    "access_key_2_last_used_date": "key_2_last_used",
}
FLAGS = ["password_enabled", "mfa_active", "key_1_active", "key_2_active"]


def _report_rows(reports: dict[str, tuple[pd.DataFrame, str]]) -> pd.DataFrame:
    """Every account's credential report rows, with trustctl's column names and booleans."""
    parts = [
        report.assign(account=account, report_hash=digest)
        for account, (report, digest) in reports.items()
        if "arn" in report
    ]
    if not parts:
        return pd.DataFrame(columns=["account", "arn", "report_hash", *REPORT_COLUMNS.values()])
    rows = pd.concat(parts, ignore_index=True).rename(columns=REPORT_COLUMNS)
    for column in FLAGS:
        rows[column] = rows[column].astype(str).str.lower().eq("true")
    return rows[["account", "arn", "report_hash", *REPORT_COLUMNS.values()]]


def build_users(ev: Evidence) -> pd.DataFrame:
    """IAM users from the authorization details, joined with their credential report row."""
    users = [
        {
            "provider": "aws",
            "account": account,
            "region": "global",
            "resource": user["Arn"],
            "details_evidence": details["evidence"],
            "name": user["UserName"],
            "attached_policies": [p["PolicyArn"] for p in user.get("AttachedManagedPolicies", [])],
            "inline_policies": [p["PolicyName"] for p in user.get("UserPolicyList", [])],
            "groups": list(user.get("GroupList", [])),
            "created": user.get("CreateDate"),
        }
        for account, details in _auth_details(ev).items()
        for user in details["UserDetailList"]
    ]
    table = pd.DataFrame(
        users,
        columns=[
            "provider",
            "account",
            "region",
            "resource",
            "details_evidence",
            "name",
            "attached_policies",
            "inline_policies",
            "groups",
            "created",
        ],
    )
    report = _report_rows(_credential_reports(ev)).rename(columns={"arn": "resource"})
    table = table.merge(report, on=["account", "resource"], how="left", indicator=True)
    table["in_report"] = table.pop("_merge").eq("both")
    table["evidence"] = [
        list(details) + ([digest] if isinstance(digest, str) else [])
        for details, digest in zip(table.pop("details_evidence"), table.pop("report_hash"), strict=True)
    ]
    for column in (
        "created",
        "password_last_used",
        "key_1_last_rotated",
        "key_1_last_used",
        "key_2_last_rotated",
        "key_2_last_used",
    ):
        table[column] = pd.to_datetime(table[column], utc=True, format="ISO8601")
    return table[[*BASE_COLUMNS, *[c for c in table.columns if c not in BASE_COLUMNS]]]


def _inline(owner_arn: str, name: str) -> str:
    return f"{owner_arn}#inline/{name}"


def build_policies(ev: Evidence) -> pd.DataFrame:
    """Customer-managed policies (their default version) and every inline policy."""
    rows = []
    for account, details in _auth_details(ev).items():
        base = {"provider": "aws", "account": account, "region": "global", "evidence": details["evidence"]}
        for policy in details["Policies"]:
            default: dict[str, Any] = next(
                (v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {}
            )
            doc = document(default.get("Document"))
            rows.append(
                {
                    **base,
                    "resource": policy["Arn"],
                    # moto omits PolicyName here; AWS sends it. The ARN ends with the name.
                    "name": policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1],
                    "kind": "managed",
                    "attachments": policy.get("AttachmentCount", 0),
                    "wildcards": wildcard_grants(doc),
                    "full_admin": grants_full_admin(doc),
                }
            )
        for list_key, policies_key in (
            ("UserDetailList", "UserPolicyList"),
            ("GroupDetailList", "GroupPolicyList"),
            ("RoleDetailList", "RolePolicyList"),
        ):
            for owner in details[list_key]:
                for policy in owner.get(policies_key, []):
                    doc = document(policy.get("PolicyDocument"))
                    rows.append(
                        {
                            **base,
                            "resource": _inline(owner["Arn"], policy["PolicyName"]),
                            "name": policy["PolicyName"],
                            "kind": "inline",
                            "attachments": 1,
                            "wildcards": wildcard_grants(doc),
                            "full_admin": grants_full_admin(doc),
                        }
                    )
    return frame(rows, ["name", "kind", "attachments", "wildcards", "full_admin"])


def _admin_grants(owner: dict[str, Any], inline_key: str, admin_managed: set[str]) -> list[str]:
    found = [
        f"{p['PolicyName']} attached"
        for p in owner.get("AttachedManagedPolicies", [])
        if is_admin_policy_arn(p["PolicyArn"]) or p["PolicyArn"] in admin_managed
    ]
    found += [
        f"inline policy {p['PolicyName']} allows *:*"
        for p in owner.get(inline_key, [])
        if grants_full_admin(document(p.get("PolicyDocument")))
    ]
    return found


def build_principals(ev: Evidence) -> pd.DataFrame:
    """Users, groups and roles, with every way each holds full administrator access."""
    rows = []
    for account, details in _auth_details(ev).items():
        admin_managed = {
            p["Arn"]
            for p in details["Policies"]
            if grants_full_admin(
                document(
                    next(
                        (
                            v.get("Document")
                            for v in p.get("PolicyVersionList", [])
                            if v.get("IsDefaultVersion")
                        ),
                        None,
                    )
                )
            )
        }
        base = {"provider": "aws", "account": account, "region": "global", "evidence": details["evidence"]}
        group_admin = {
            g["GroupName"]: _admin_grants(g, "GroupPolicyList", admin_managed)
            for g in details["GroupDetailList"]
        }
        for group in details["GroupDetailList"]:
            rows.append(
                {
                    **base,
                    "resource": group["Arn"],
                    "kind": "group",
                    "name": group["GroupName"],
                    "admin_via": group_admin[group["GroupName"]],
                }
            )
        for user in details["UserDetailList"]:
            via = _admin_grants(user, "UserPolicyList", admin_managed)
            via += [f"member of admin group {g}" for g in user.get("GroupList", []) if group_admin.get(g)]
            rows.append(
                {**base, "resource": user["Arn"], "kind": "user", "name": user["UserName"], "admin_via": via}
            )
        for role in details["RoleDetailList"]:
            if str(role.get("Path", "")).startswith("/aws-service-role/"):
                continue  # service-linked roles are defined and maintained by AWS
            rows.append(
                {
                    **base,
                    "resource": role["Arn"],
                    "kind": "role",
                    "name": role["RoleName"],
                    "admin_via": _admin_grants(role, "RolePolicyList", admin_managed),
                }
            )
    return frame(rows, ["kind", "name", "admin_via"])


NORMALIZERS = (
    Normalizer("aws.iam.root", "aws", (SUMMARY, GENERATE, REPORT), build_root),
    Normalizer("aws.iam.password_policy", "aws", (PASSWORD,), build_password_policy),
    Normalizer("aws.iam.user", "aws", (AUTH, GENERATE, REPORT), build_users),
    Normalizer("aws.iam.policy", "aws", (AUTH,), build_policies),
    Normalizer("aws.iam.principal", "aws", (AUTH,), build_principals),
)
