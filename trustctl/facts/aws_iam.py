"""IAM facts from the credential report and the account authorization details.

Tables: aws.iam.root and aws.iam.password_policy (one row per account), aws.iam.user,
aws.iam.policy (customer-managed and inline policies) and aws.iam.principal (users, groups, roles).
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import pandas as pd

from trustctl.facts.base import Evidence, Normalizer, frame
from trustctl.facts.iam_policy import document, grants_full_admin, is_admin_policy_arn, wildcard_grants

AUTH = ("iam", "GetAccountAuthorizationDetails")
REPORT = ("iam", "GetCredentialReport")
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
        report = pd.read_csv(io.StringIO(data.get("Content", "")), dtype=str, keep_default_na=False)
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


def build_users(ev: Evidence) -> pd.DataFrame:
    reports = _credential_reports(ev)
    rows = []
    for account, details in _auth_details(ev).items():
        report, report_hash = reports.get(account, (pd.DataFrame(columns=["arn"]), None))
        by_arn = report.set_index("arn") if "arn" in report else pd.DataFrame()
        for user in details["UserDetailList"]:
            row: dict[str, Any] = {
                "provider": "aws",
                "account": account,
                "region": "global",
                "resource": user["Arn"],
                "evidence": details["evidence"] + ([report_hash] if report_hash else []),
                "name": user["UserName"],
                "in_report": user["Arn"] in by_arn.index,
                "attached_policies": [p["PolicyArn"] for p in user.get("AttachedManagedPolicies", [])],
                "inline_policies": [p["PolicyName"] for p in user.get("UserPolicyList", [])],
                "groups": list(user.get("GroupList", [])),
                "created": pd.to_datetime(user.get("CreateDate"), utc=True),
            }
            if row["in_report"]:
                r = by_arn.loc[user["Arn"]]
                row.update(
                    {
                        "password_enabled": _flag(r["password_enabled"]),
                        "password_last_used": r["password_last_used"],
                        "mfa_active": _flag(r["mfa_active"]),
                        "key_1_active": _flag(r["access_key_1_active"]),
                        "key_1_last_rotated": r["access_key_1_last_rotated"],
                        "key_1_last_used": r["access_key_1_last_used_date"],
                        "key_2_active": _flag(r["access_key_2_active"]),
                        "key_2_last_rotated": r["access_key_2_last_rotated"],
                        "key_2_last_used": r["access_key_2_last_used_date"],
                    }
                )
            rows.append(row)
    columns = [
        "name",
        "in_report",
        "attached_policies",
        "inline_policies",
        "groups",
        "created",
        "password_enabled",
        "password_last_used",
        "mfa_active",
        "key_1_active",
        "key_1_last_rotated",
        "key_1_last_used",
        "key_2_active",
        "key_2_last_rotated",
        "key_2_last_used",
    ]
    table = frame(rows, columns)
    for column in (
        "created",
        "password_last_used",
        "key_1_last_rotated",
        "key_1_last_used",
        "key_2_last_rotated",
        "key_2_last_used",
    ):
        table[column] = pd.to_datetime(table[column], utc=True)
    return table


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
    Normalizer("aws.iam.root", "aws", (SUMMARY, REPORT), build_root),
    Normalizer("aws.iam.password_policy", "aws", (PASSWORD,), build_password_policy),
    Normalizer("aws.iam.user", "aws", (AUTH, REPORT), build_users),
    Normalizer("aws.iam.policy", "aws", (AUTH,), build_policies),
    Normalizer("aws.iam.principal", "aws", (AUTH,), build_principals),
)
