"""Identity facts: every account a person holds in every system, joined to the HR roster by email.

Sources: the roster (`identity` evidence, account `hr`), IdP exports (`idp:NAME`), SCIM apps
(`scim:NAME`), IAM users with a console password (`aws:ACCOUNT`), IAM Identity Center users
(`aws-sso:STORE`) and GCP `user:` members (`gcp`). Built only when the evidence holds an identity run
(its join rules): without a roster, nobody can be a leaver or an orphan.

Derived tables, one per check: `identity.account` (every account), `identity.leaver_access` (each
account of each terminated person), `identity.mfa` (each active person), `identity.sso` (human
sign-in paths). Scopes are the systems read; a system that could not be read is an error scope, so
its leavers are never reported as clean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trustctl.facts.base import (
    GLOBAL,
    MEMBERS,
    REGIONAL_ACCOUNT_WIDE,
    Evidence,
    FactTable,
    ScopeKey,
    error_text,
)
from trustctl.facts.emails import local_part, normalize_email
from trustctl.inputs import to_utc
from trustctl.timeutil import parse_iso, utc_iso

ACCOUNT = "identity.account"
LEAVER = "identity.leaver_access"
MFA = "identity.mfa"
SSO = "identity.sso"
PROVIDER = "identity"
HR = "hr"
SETTINGS = "settings"
TABLES = (ACCOUNT, LEAVER, MFA, SSO)
ACCOUNT_COLUMNS = [
    "system",
    "account_name",
    "email",
    "person",
    "active",
    "deactivated_at",
    "deactivated_source",
    "mfa_enrolled",
    "detail",
]
BASE = ["provider", "account", "region", "resource", "evidence"]
COLUMNS = {
    ACCOUNT: [*ACCOUNT_COLUMNS, "console_password"],
    LEAVER: [*ACCOUNT_COLUMNS, "person_name", "terminated_at", "delay_hours"],
    MFA: ["person", "in_idp", "mfa_enrolled"],
    SSO: [*ACCOUNT_COLUMNS, "path", "sso", "in_idp", "company"],
}
SSO_OPERATIONS = {("sso-admin", "ListInstances"), ("identitystore", "ListUsers")}


@dataclass
class Sources:
    """What the identity tables are built from, with the scopes they cover and their errors."""

    rules: dict[str, Any]
    people: list[dict[str, Any]]
    accounts: list[dict[str, Any]] = field(default_factory=list)
    systems: set[str] = field(default_factory=set)  # every system read (or that failed to be read)
    errors: dict[str, list[str]] = field(default_factory=dict)  # system -> why its evidence is missing
    idp_systems: list[str] = field(default_factory=list)

    def error(self, system: str, reason: str) -> None:
        self.systems.add(system)
        self.errors.setdefault(system, []).append(reason)


def _latest(ev: Evidence, service: str, operation: str) -> list[tuple[Any, Any]]:
    return list(ev.responses(PROVIDER, service, operation))


def _join_rules(ev: Evidence) -> dict[str, Any] | None:
    found = _latest(ev, "identity", "JoinRules")
    return dict(found[-1][1]) if found else None


class Matcher:
    """Finds the roster person behind an address or an IAM user name."""

    def __init__(self, people: list[dict[str, Any]], aliases: Mapping[str, str]) -> None:
        self.aliases = aliases
        self.by_key = {p["key"]: p for p in people}
        locals_: dict[str, list[str]] = {}
        for key in self.by_key:
            locals_.setdefault(local_part(key), []).append(key)
        self.by_local = {name: keys[0] for name, keys in locals_.items() if len(keys) == 1}

    def key(self, value: Any) -> str | None:
        return normalize_email(value, self.aliases)

    def person(self, value: Any, by_name: bool = False) -> str | None:
        key = self.key(value)
        if key is not None:
            return key if key in self.by_key else None
        if by_name and isinstance(value, str):  # an IAM user named `alice` is alice@ when only one is
            return self.by_local.get(value.strip().lower())
        return None


def _account(
    system: str, name: str, email: str | None, person: str | None, evidence: list[str], **extra: Any
) -> dict[str, Any]:
    row = {
        "provider": PROVIDER,
        "account": system,
        "region": GLOBAL,
        "resource": f"{system}:{name}",
        "evidence": evidence,
        "system": system,
        "account_name": name,
        "email": email,
        "person": person,
        "active": True,
        "deactivated_at": None,
        "deactivated_source": None,
        "mfa_enrolled": None,
        "detail": "",
    }
    row.update(extra)
    return row


def _identity_sources(ev: Evidence, src: Sources, match: Matcher) -> None:
    for record in ev.failures(PROVIDER):
        src.error(record.call.account, error_text(record))
    for record, data in _latest(ev, "idp", "ImportUsers"):
        system = record.call.account
        src.idp_systems.append(system)
        src.systems.add(system)
        for user in data["users"]:
            src.accounts.append(
                _account(
                    system,
                    user["email"],
                    match.key(user["email"]),
                    match.person(user["email"]),
                    [str(record.object)],
                    active=bool(user["active"]),
                    deactivated_at=user.get("deactivated_at"),
                    deactivated_source="the export's status change time"
                    if user.get("deactivated_at")
                    else None,
                    mfa_enrolled=user.get("mfa_enrolled"),
                )
            )
    for record, data in _latest(ev, "scim", "ListUsers"):
        system = record.call.account
        src.systems.add(system)
        for user in data.get("Resources") or []:
            emails = user.get("emails") or []
            primary = next((e for e in emails if e.get("primary")), emails[0] if emails else {})
            address = primary.get("value") or user.get("userName")
            active = user.get("active") is not False  # RFC 7643: absent means the app does not say
            modified = _scim_time((user.get("meta") or {}).get("lastModified"))
            src.accounts.append(
                _account(
                    system,
                    str(user.get("userName") or address),
                    match.key(address) or match.key(user.get("userName")),
                    match.person(address) or match.person(user.get("userName")),
                    [str(record.object)],
                    active=active,
                    deactivated_at=None if active else modified,
                    deactivated_source=None if active or not modified else "meta.lastModified",
                )
            )


def _aws_sources(ev: Evidence, tables: Mapping[str, FactTable], src: Sources, match: Matcher) -> None:
    users = tables.get("aws.iam.user")
    if users is not None:
        src.systems |= {f"aws:{account}" for _, account, _ in users.scopes}
        for (_, account, region), reasons in users.errors.items():
            system = f"aws:{account}/{MEMBERS}" if region == MEMBERS else f"aws:{account}"
            for reason in reasons:
                src.error(system, reason)
        for user in users.frame.itertuples(index=False):
            if getattr(user, "password_enabled", None) is not True:
                continue  # no console password: a workload identity, not a person's sign-in
            system = f"aws:{user.account}"
            row = _account(
                system,
                str(user.name),
                match.key(user.name),
                match.person(user.name, by_name=True),
                list(user.evidence),
                console_password=True,
            )
            src.accounts.append(row)
    for record in ev.failures("aws"):
        if (record.call.service, record.call.operation) in SSO_OPERATIONS:
            src.error(f"aws-sso:{record.call.account}/{record.call.region}", error_text(record))
        elif (record.call.service, record.call.operation) in REGIONAL_ACCOUNT_WIDE:
            # No region of the account was read, so neither was its Identity Center.
            src.error(f"aws-sso:{record.call.account}", error_text(record))
    assignments: dict[str, int] = {}
    for _, data in ev.responses("aws", "sso-admin", "ListAccountAssignmentsForPrincipal"):
        for assignment in data.get("AccountAssignments", []):
            principal = str(assignment.get("PrincipalId"))
            assignments[principal] = assignments.get(principal, 0) + 1
    unknown = {  # principals whose assignments could not be listed: a count would understate their access
        str(r.call.parameters.get("PrincipalId")): error_text(r)
        for r in ev.failures_of("aws", "sso-admin", "ListAccountAssignmentsForPrincipal")
    }
    for record, data in ev.responses("aws", "identitystore", "ListUsers"):
        store = record.call.parameters.get("IdentityStoreId", "")
        if data.get("Users"):  # an identity store nobody is in grants nothing (moto makes one per region)
            src.systems.add(f"aws-sso:{store}")
        for user in data.get("Users", []):
            emails = user.get("Emails") or []
            primary = next((e for e in emails if e.get("Primary")), emails[0] if emails else {})
            address = primary.get("Value") or user.get("UserName")
            row = _account(
                f"aws-sso:{store}",
                str(user.get("UserName")),
                match.key(address),
                match.person(address) or match.person(user.get("UserName"), by_name=True),
                [str(record.object)],
                detail=_assignments(str(user.get("UserId")), assignments, unknown),
            )
            src.accounts.append(row)


def _assignments(principal: str, counted: Mapping[str, int], unknown: Mapping[str, str]) -> str:
    if principal in unknown:
        return f"account assignments unknown ({unknown[principal]})"
    return f"{counted.get(principal, 0)} account assignment(s)"


def _gcp_sources(tables: Mapping[str, FactTable], src: Sources, match: Matcher) -> None:
    policies = tables.get("gcp.iam.policy")
    if policies is None or (policies.frame.empty and not policies.errors):
        return
    for reasons in policies.errors.values():
        for reason in reasons:
            src.error("gcp", reason)
    members: dict[str, dict[str, Any]] = {}
    for policy in policies.frame.itertuples(index=False):
        for binding in policy.bindings or []:
            for member in binding["members"]:
                if not member.startswith("user:"):
                    continue
                address = member.removeprefix("user:")
                found = members.setdefault(address, {"roles": set(), "evidence": []})
                found["roles"].add(binding["role"])
                found["evidence"] += list(policy.evidence)
    src.systems.add("gcp")
    for address, found in sorted(members.items()):
        row = _account(
            "gcp",
            address,
            match.key(address),
            match.person(address),
            sorted(set(found["evidence"])),
            detail=f"roles: {', '.join(sorted(found['roles']))}",
        )
        src.accounts.append(row)


def _table(
    name: str, rows: list[dict[str, Any]], columns: list[str], src: Sources, systems: set[str]
) -> FactTable:
    """A table whose scopes are `systems` (one per system: its results or why there are none)."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=[*BASE, *(c for c in columns if c not in BASE)])
    scopes: list[ScopeKey] = sorted((PROVIDER, system, GLOBAL) for system in systems)
    errors = {
        (PROVIDER, system, GLOBAL): list(reasons)
        for system, reasons in src.errors.items()
        if system in systems or system == HR
    }
    return FactTable(name, frame, scopes, errors)


def _scim_time(value: Any) -> str | None:
    """An app's `meta.lastModified` as UTC ISO text, or None where it is absent, not a time or out of bounds
    (the deactivation time is then unknown, never a crash)."""
    if not isinstance(value, str):
        return None
    try:
        return utc_iso(to_utc(parse_iso(value)))
    except ValueError:  # BoundsError is a ValueError
        return None


def _hours(later: str | None, earlier: str | None) -> float | None:
    if not later or not earlier:
        return None
    delta = parse_iso(later) - parse_iso(earlier)
    return round(delta.total_seconds() / 3600, 1)


def _leavers(src: Sources) -> list[dict[str, Any]]:
    leavers = {p["key"]: p for p in src.people if p["status"] == "terminated"}
    rows = []
    for account in src.accounts:
        person = leavers.get(account["person"] or "")
        if person is None:
            continue
        rows.append(
            {
                **account,
                "person_name": person["name"],
                "terminated_at": person["terminated_at"],
                "delay_hours": _hours(account["deactivated_at"], person["terminated_at"]),
            }
        )
    return rows


def _mfa(src: Sources) -> list[dict[str, Any]]:
    if not src.idp_systems:
        return []
    by_person: dict[str, list[dict[str, Any]]] = {}
    for account in src.accounts:
        if account["system"] in src.idp_systems and account["person"] and account["active"]:
            by_person.setdefault(account["person"], []).append(account)
    rows = []
    for person in src.people:
        if person["status"] != "active":
            continue
        accounts = by_person.get(person["key"], [])
        enrolled = [a for a in accounts if a["mfa_enrolled"] is True]
        unknown = [a for a in accounts if a["mfa_enrolled"] is None]
        candidates = enrolled or unknown or accounts
        chosen = candidates[0] if candidates else None
        system = chosen["system"] if chosen else src.idp_systems[0]
        rows.append(
            {
                "provider": PROVIDER,
                "account": system,
                "region": GLOBAL,
                "resource": f"{system}:{person['key']}",
                "evidence": chosen["evidence"] if chosen else [],
                "person": person["key"],
                "in_idp": bool(accounts),
                "mfa_enrolled": True if enrolled else (None if unknown else False),
            }
        )
    return rows


def _sso(src: Sources) -> list[dict[str, Any]]:
    in_idp = {
        a["person"] for a in src.accounts if a["system"] in src.idp_systems and a["person"] and a["active"]
    }
    domains = {p["key"].split("@", 1)[1] for p in src.people}
    rows: list[dict[str, Any]] = []
    for account in src.accounts:
        system = account["system"]
        if system.startswith("aws:") and account["person"]:
            rows.append(
                {**account, "path": "iam_password", "sso": False, "in_idp": account["person"] in in_idp}
            )
        elif system == "gcp" and account["email"]:
            managed = account["person"] in in_idp if account["person"] else False
            company = account["email"].split("@", 1)[1] in domains
            rows.append(
                {**account, "path": "gcp_user", "sso": managed, "in_idp": managed, "company": company}
            )
    declared = src.rules.get("scim_apps", {})
    for name, settings in sorted(declared.items()):
        system = f"scim:{name}"
        rows.append(
            {
                "provider": PROVIDER,
                "account": system,
                "region": GLOBAL,
                "resource": system,
                "evidence": [],
                "system": system,
                "path": "scim_app",
                "sso": settings.get("sso_enforced"),
                "in_idp": None,
            }
        )
    return rows


def derive_identity(ev: Evidence, tables: Mapping[str, FactTable]) -> dict[str, FactTable]:
    """The identity tables; empty (no scopes, so no results) when no identity run is in the evidence."""
    rules = _join_rules(ev)
    if rules is None:
        return {name: _table(name, [], COLUMNS[name], Sources({}, []), set()) for name in TABLES}
    roster = people(ev)
    src = Sources(rules, roster)
    match = Matcher(roster, rules.get("domain_aliases", {}))
    _identity_sources(ev, src, match)
    _aws_sources(ev, tables, src, match)
    _gcp_sources(tables, src, match)
    systems = src.systems - {HR, SETTINGS}
    if not roster:  # without the roster nobody can be judged: an error on every system and check
        for system in systems | {HR}:
            src.error(system, "no HR roster in the evidence: set [identity] roster, then collect identity")
    sign_in = {s for s in systems if s.startswith(("aws:", "scim:")) or s == "gcp"}
    return {
        ACCOUNT: _table(ACCOUNT, src.accounts, COLUMNS[ACCOUNT], src, systems),
        LEAVER: _table(LEAVER, _leavers(src), COLUMNS[LEAVER], src, systems),
        MFA: _table(MFA, _mfa(src), COLUMNS[MFA], src, set(src.idp_systems)),
        SSO: _table(SSO, _sso(src), COLUMNS[SSO], src, sign_in),
    }


def people(ev: Evidence) -> list[dict[str, Any]]:
    """The roster people of the evidence, keys normalized with the recorded domain aliases."""
    rules = _join_rules(ev) or {}
    aliases = rules.get("domain_aliases", {})
    return [
        {**p, "key": normalize_email(p["email"], aliases) or p["key"]}
        for _, data in _latest(ev, "hr", "ImportRoster")[-1:]
        for p in data["people"]
    ]
