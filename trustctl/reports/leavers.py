"""The deprovisioning chain: for each leaver, every system read, whether an account was found, whether
it is still active, when it was deactivated and the delay against the SLA. The packet and
`trustctl identity leavers` show it.

The chain judges nothing: whether an account was removed within the SLA is the verdict of the check
`identity.leaver_access_removed` on that account (its result's resource is the leaver row's
`SYSTEM:ACCOUNT`), passed in with the other results. Pass is within the SLA; fail, or waived (a waiver
accepts a late removal, it does not make it timely), is not; error, or no result, is unknown."""

from __future__ import annotations

import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from trustctl.controls.results import Result, Status
from trustctl.facts.base import Evidence, FactSet, present
from trustctl.facts.identity import ACCOUNT, LEAVER, PROVIDER, people

CHECK = "identity.leaver_access_removed"  # judges each row of the identity.leaver_access table
SLA_MET: dict[Status, bool | None] = {
    Status.PASS: True,
    Status.FAIL: False,
    Status.WAIVED: False,
    Status.ERROR: None,
    Status.NOT_APPLICABLE: None,
}


def _systems(facts: FactSet) -> tuple[list[str], dict[str, str]]:
    """Every system read (sorted) and, for systems whose evidence is missing, why."""
    accounts = facts.table(ACCOUNT)
    systems = set(accounts.frame.system) if not accounts.frame.empty else set()
    for provider, account, _ in accounts.scopes:
        if provider == PROVIDER and account not in {"hr", "settings"}:
            systems.add(account)
    errors: dict[str, str] = {}
    for (provider, account, _), reasons in accounts.errors.items():
        system = account if provider == PROVIDER else f"{provider}:{account}"
        if system in {"hr", "settings"}:
            continue
        systems.add(system)
        errors[system] = "; ".join(dict.fromkeys(reasons))
    return sorted(systems), errors


def leaver_chain(
    evidence: Evidence, facts: FactSet, results: list[Result], sla_hours: int
) -> list[dict[str, Any]]:
    """One record per terminated person, newest termination first; `results` are the evaluation's (those
    of CHECK give each account's verdict) and `sla_hours` the policy they were judged against."""
    systems, errors = _systems(facts)
    verdicts = {r.resource: r.status for r in results if r.check == CHECK}
    rows = facts.table(LEAVER).frame
    chain = []
    for person in sorted(
        (p for p in people(evidence) if p["status"] == "terminated"),
        key=lambda p: (p["terminated_at"] or "", p["key"]),
        reverse=True,
    ):
        own = rows[rows.person == person["key"]] if not rows.empty else rows
        entries = []
        for system in systems:
            found = own[own.system == system] if not own.empty else own
            if found.empty:
                entries.append(
                    {
                        "system": system,
                        "account": None,
                        "found": False if system not in errors else None,
                        "active": None,
                        "deactivated_at": None,
                        "delay_hours": None,
                        "sla_met": None if system in errors else True,
                        "note": errors.get(system, "no account"),
                    }
                )
                continue
            for row in found.itertuples(index=False):
                delay = present(row.delay_hours)
                status = verdicts.get(row.resource)
                met = None if status is None else SLA_MET[status]
                note = (
                    "still active"
                    if row.active
                    else ("deactivated, time unknown" if delay is None else f"deactivated after {delay:g} h")
                )
                entries.append(
                    {
                        "system": system,
                        "account": row.account_name,
                        "found": True,
                        "active": bool(row.active),
                        "deactivated_at": present(row.deactivated_at),
                        "delay_hours": delay,
                        "sla_met": met,
                        "note": note,
                    }
                )
        chain.append(
            {
                "person": person["key"],
                "name": person["name"],
                "terminated_at": person["terminated_at"],
                "sla_hours": sla_hours,
                "all_removed": all(e["sla_met"] is True for e in entries),
                "systems": entries,
            }
        )
    return chain


def as_json(chain: list[dict[str, Any]]) -> str:
    return json.dumps({"leavers": chain}, indent=2) + "\n"


def as_table(chain: list[dict[str, Any]], width: int = 140) -> str:
    console = Console(file=io.StringIO(), no_color=True, width=width)
    if not chain:
        console.print("No leavers on the roster.")
    for leaver in chain:
        verdict = "all access removed within SLA" if leaver["all_removed"] else "ACCESS REMAINS OR WAS LATE"
        table = Table(
            title=f"{leaver['person']} ({leaver['name']}) left {leaver['terminated_at']}: {verdict}",
            title_justify="left",
            expand=True,
        )
        for column in ("system", "account", "active", "deactivated at", "delay (h)", "within SLA", "note"):
            table.add_column(column, overflow="fold")
        for e in leaver["systems"]:
            table.add_row(
                e["system"],
                e["account"] or "-",
                {True: "yes", False: "no", None: "-"}[e["active"]],
                e["deactivated_at"] or "-",
                "-" if e["delay_hours"] is None else f"{e['delay_hours']:g}",
                {True: "yes", False: "NO", None: "unknown"}[e["sla_met"]],
                e["note"],
            )
        console.print(table)
    return console.file.getvalue()  # type: ignore[attr-defined, no-any-return]
