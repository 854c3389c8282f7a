"""HR rosters and IdP exports as real files come: BOMs, mixed case, blank lines, missing columns, bad
dates. Every problem is one InputError naming the file and the line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trustctl.collectors.identity.idp import read_idp_export
from trustctl.collectors.identity.roster import read_roster
from trustctl.errors import InputError
from trustctl.facts.emails import normalize_email

ACTIVE = ["active", "on leave"]
TERMINATED = ["terminated"]


def _roster(tmp_path: Path, text: str, columns: dict[str, str] | None = None) -> list[dict[str, object]]:
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    return read_roster(path, columns or {}, ACTIVE, TERMINATED)


def test_normalized_emails_join_case_plus_tags_and_aliases() -> None:
    aliases = {"Acme.IO": "acme.example"}
    assert normalize_email(" Bob+Slack@Acme.IO ", aliases) == "bob@acme.example"
    assert normalize_email("bob@acme.example", aliases) == "bob@acme.example"
    assert normalize_email("mailto:ALICE@acme.example") == "alice@acme.example"
    for bad in ("", "alice", "a@b", "two words@acme.example", None, 3):
        assert normalize_email(bad) is None


def test_a_messy_roster_reads(tmp_path: Path) -> None:
    people = _roster(
        tmp_path,
        "\ufeffEmail,Name,Status,Terminated_At,extra\n"
        "\n"
        "Alice@Acme.Example ,Alice,Active,,x\n"
        "\n"
        "carol@acme.example,Carol,TERMINATED,2026-10-30T17:00:00+02:00,\n"
        "dan@acme.example,Dan,terminated,2026-09-01,\n",
    )
    assert [(p["key"], p["status"], p["terminated_at"], p["line"]) for p in people] == [
        ("alice@acme.example", "active", None, 3),
        ("carol@acme.example", "terminated", "2026-10-30T15:00:00Z", 5),
        ("dan@acme.example", "terminated", "2026-09-01T00:00:00Z", 6),
    ]


def test_roster_column_mapping(tmp_path: Path) -> None:
    people = _roster(
        tmp_path,
        "Work Email,Full Name,Employment Status,Termination Date\nbob@acme.example,Bob,Active,\n",
        {
            "email": "Work Email",
            "name": "Full Name",
            "status": "Employment Status",
            "terminated_at": "Termination Date",
        },
    )
    assert people[0]["name"] == "Bob" and people[0]["status"] == "active"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "email,name,status\na@acme.example,A,active\n",
            r"roster.csv: the roster has no column 'terminated_at'",
        ),
        (
            "email,name,status,terminated_at\na@acme.example,A,active,\nb@acme.example,B,terminated,31/10/2026\n",
            r"roster.csv line 3: terminated_at '31/10/2026' is not a date",
        ),
        (
            "email,name,status,terminated_at\n\nb@acme.example,B,terminated,\n",
            r"roster.csv line 3: b@acme.example is terminated but has no terminated_at",
        ),
        ("email,name,status,terminated_at\nb@acme.example,B,contractor,\n", r"line 2: status 'contractor'"),
        (
            "email,name,status,terminated_at\nnot-an-email,B,active,\n",
            r"line 2: 'not-an-email' is not an email",
        ),
        (
            "email,name,status,terminated_at\nb@acme.example,B,active,\nB@ACME.example,B,active,\n",
            r"line 3: B@ACME.example is already on line 2",
        ),
        ("", r"roster.csv: the roster file is empty"),
        ("email,name,status,terminated_at\n\n", r"roster.csv: the roster has a header but no people"),
    ],
)
def test_bad_rosters_name_the_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        _roster(tmp_path, text)


def test_google_workspace_csv_preset(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "\ufeffFirst Name [Required],Email Address [Required],Status [READ ONLY],Last Sign In [READ ONLY],"
        "2sv Enrolled [READ ONLY]\n"
        "Alice,Alice@acme.example,Active,2026/11/23 08:12:03 UTC,True\n"
        "Bob,bob@acme.example,Suspended,Never logged in,False\n",
        encoding="utf-8",
    )
    users = read_idp_export(path, "google_workspace", {})
    assert [(u["key"], u["active"], u["mfa_enrolled"], u["last_login"]) for u in users] == [
        ("alice@acme.example", True, True, "2026-11-23T08:12:03Z"),
        ("bob@acme.example", False, False, None),
    ]


def test_google_workspace_directory_api_json(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(
        json.dumps(
            {
                "users": [
                    {"primaryEmail": "a@acme.example", "suspended": False, "isEnrolledIn2Sv": True},
                    {"primaryEmail": "b@acme.example", "suspended": True, "isEnrolledIn2Sv": False},
                ]
            }
        ),
        encoding="utf-8",
    )
    users = read_idp_export(path, "google_workspace", {})
    assert [(u["active"], u["mfa_enrolled"]) for u in users] == [(True, True), (False, False)]


def test_okta_report_csv_and_users_api_json(tmp_path: Path) -> None:
    report = tmp_path / "okta.csv"
    report.write_text(
        "User,User email,User status,Authenticator types\n"
        'Alice,alice@acme.example,Active,"Password, Okta Verify"\n'
        "Bob,bob@acme.example,Active,Password\n"
        "Carol,carol@acme.example,Deprovisioned,\n",
        encoding="utf-8",
    )
    assert [(u["active"], u["mfa_enrolled"]) for u in read_idp_export(report, "okta", {})] == [
        (True, True),
        (True, False),
        (False, False),
    ]
    api = tmp_path / "okta.json"
    api.write_text(
        json.dumps(
            [
                {"status": "ACTIVE", "profile": {"email": "a@acme.example"}, "mfa": True},
                {
                    "status": "DEPROVISIONED",
                    "statusChanged": "2026-10-31T09:00:00.000Z",
                    "profile": {"email": "c@acme.example"},
                    "mfa": True,
                },
            ]
        ),
        encoding="utf-8",
    )
    users = read_idp_export(api, "okta", {"mfa_enrolled": "mfa"})
    assert users[1]["active"] is False
    assert users[1]["deactivated_at"] == "2026-10-31T09:00:00Z"


def test_generic_exports_need_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "idp.csv"
    path.write_text("login,state\na@acme.example,enabled\n", encoding="utf-8")
    with pytest.raises(InputError, match="does not say which column holds email"):
        read_idp_export(path, "generic", {})
    users = read_idp_export(path, "generic", {"email": "login", "status": "state"})
    assert users[0]["active"] is True and users[0]["mfa_enrolled"] is None


def test_bad_idp_values_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "Email Address [Required],Status [READ ONLY],2sv Enrolled [READ ONLY]\n"
        "a@acme.example,Active,True\n"
        "b@acme.example,Archived-ish,True\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match=r"users.csv line 3: status 'Archived-ish'"):
        read_idp_export(path, "google_workspace", {})
