"""Acme's people: an HR roster with leavers, a Google Workspace users export, two SCIM apps (served by
a real scim2-server) and IAM Identity Center users in moto. Carol left and still has GitHub and an IAM
console user; Frank's Slack account was removed three days late; a contractor nobody hired has GitHub.

People records: the LMS export shows only Alice trained (4 of the 5 active people are not), Devi has not
signed the policies, and Dana's background check came back two weeks after she started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trustctl.demo.scim_server import ScimUser

TOKEN_ENV = {"slack": "ACME_SLACK_SCIM_TOKEN", "github": "ACME_GITHUB_SCIM_TOKEN"}
DOMAIN_ALIASES = {"acme.io": "acme.example"}  # as identity_config() declares them
DEMO_TOKEN = "demo-scim-token"  # the in-process demo servers' token; real tokens live in the environment

# A real export's mess: a byte-order mark, mixed-case addresses, a blank line, extra columns.
ROSTER_CSV = (
    "\ufeffemail,name,status,terminated_at,department,start_date\n"
    "Alice@Acme.example,Alice Martin,active,,Engineering,2022-03-01\n"
    "bob@acme.example,Bob Chen,active,,Engineering,2023-06-12\n"
    "carol@acme.example,Carol Diaz,terminated,2026-10-30T17:00:00Z,Engineering,2021-09-01\n"
    "\n"
    "dana@acme.example,Dana Ito,active,,SRE,2024-01-08\n"
    "dev@acme.example,Devi Rao,active,,Data,2025-04-14\n"
    "erin@acme.example,Erin Walsh,active,,Sales,2026-10-05\n"
    "frank@acme.example,Frank Okafor,terminated,2026-09-15T18:00:00Z,Support,2022-11-14\n"
    "grace@acme.example,Grace Kim,terminated,2026-06-30,Finance,2020-05-04\n"
)

# The LMS's completions export: only Alice took this year's course (as the old filed document showed).
# Completion dates are relative to the day the demo runs, so the demo tells the same story any year.
TRAINING_CSV = "person,completed\nalice@acme.example,{ago_90}\n"
# The e-signature tool's export of the acceptable use policy: everyone but Devi signed.
ACKNOWLEDGEMENTS_CSV = (
    "email,completed_at,item\n"
    "alice@acme.example,{ago_120}T09:14:00Z,Acceptable use policy v3\n"
    "Bob@Acme.example,{ago_119}T16:40:00Z,Acceptable use policy v3\n"
    "dana@acme.example,{ago_120}T11:05:00Z,Acceptable use policy v3\n"
    "erin+sign@acme.io,2026-10-05T08:30:00Z,Acceptable use policy v3\n"
)


def relative(text: str) -> str:
    """A template's {ago_N} placeholders filled with the date N days before today."""
    today = datetime.now(UTC).date()
    return text.format(**{f"ago_{n}": (today - timedelta(days=n)).isoformat() for n in (90, 119, 120)})


# The screening vendor's report: Dana's check completed two weeks after her start date.
BACKGROUND_CSV = (
    "Candidate Email,Package,Report Completed\n"
    "alice@acme.example,Standard,2022-02-18\n"
    "bob@acme.example,Standard,2023-06-01\n"
    "dana@acme.example,Standard,2024-01-22\n"
    "dev@acme.example,Standard,2025-04-02\n"
    "erin@acme.example,Standard,2026-09-28\n"
)

IDP_CSV = (
    "First Name [Required],Last Name [Required],Email Address [Required],Status [READ ONLY],"
    "Last Sign In [READ ONLY],2sv Enrolled [READ ONLY],2sv Enforced [READ ONLY]\n"
    "Alice,Martin,alice@acme.example,Active,2026/11/23 08:12:03 UTC,True,True\n"
    "Bob,Chen,BOB@acme.example,Active,2026/11/22 17:40:55 UTC,False,False\n"
    "Carol,Diaz,carol@acme.example,Suspended,2026/10/30 16:02:11 UTC,True,True\n"
    "Dana,Ito,dana@acme.example,Active,2026/11/24 07:01:40 UTC,True,True\n"
    "Devi,Rao,dev@acme.example,Active,2026/11/20 10:15:00 UTC,True,True\n"
    "Erin,Walsh,erin@acme.example,Active,Never logged in,True,True\n"
    "Frank,Okafor,frank@acme.example,Suspended,2026/09/15 12:00:00 UTC,True,True\n"
)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


SCIM_APPS: dict[str, list[ScimUser]] = {
    "slack": [
        ScimUser("alice", "alice@acme.example"),
        ScimUser("bob", "bob@acme.example"),
        ScimUser("carol", "carol@acme.example", active=False, deactivated=_at("2026-10-31T09:00:00")),
        ScimUser("dana", "dana@acme.example"),
        ScimUser("erin", "erin@acme.example"),
        ScimUser("frank", "frank@acme.example", active=False, deactivated=_at("2026-09-18T10:30:00")),
    ],
    "github": [
        ScimUser("alice-acme", "alice@acme.example"),
        ScimUser("carol-codes", "carol@acme.example"),  # the leaver still active
        ScimUser("dana-sre", "dana@acme.example"),
        ScimUser("erin-w", "Erin+github@acme.io"),  # a domain alias and a plus tag
        ScimUser("ext-contractor", "contractor@agency.example"),  # on nobody's roster
    ],
}


def identity_config() -> str:
    """The keys of the demo's [identity] section (its SCIM apps are appended at run time, with URLs)."""
    return """roster = "hr/roster.csv"
domain_aliases = { "acme.io" = "acme.example" }
roster_columns = { started_at = "start_date" }

[[identity.idp]]
name = "google"
preset = "google_workspace"
path = "idp/google-users.csv"

[[identity.records]]
name = "lms"
kind = "training"
path = "hr/training-completions.csv"
columns = { email = "person", completed_at = "completed" }

[[identity.records]]
name = "esign"
kind = "acknowledgement"
path = "hr/policy-acknowledgements.csv"

[[identity.records]]
name = "screening"
kind = "background_check"
path = "hr/background-checks.csv"
columns = { email = "Candidate Email", completed_at = "Report Completed", item = "Package" }
"""


def scim_config(urls: dict[str, str]) -> str:
    return "".join(
        f'\n[[identity.scim]]\nname = "{name}"\nurl = "{url}"\ntoken_env = "{TOKEN_ENV[name]}"\n'
        "sso_enforced = true\npage_size = 2\n"
        for name, url in urls.items()
    )


def write_files(out: Path) -> None:
    (out / "hr").mkdir(parents=True, exist_ok=True)
    (out / "idp").mkdir(parents=True, exist_ok=True)
    (out / "hr" / "roster.csv").write_text(ROSTER_CSV, encoding="utf-8")
    (out / "idp" / "google-users.csv").write_text(IDP_CSV, encoding="utf-8")
    (out / "hr" / "training-completions.csv").write_text(relative(TRAINING_CSV), encoding="utf-8")
    (out / "hr" / "policy-acknowledgements.csv").write_text(relative(ACKNOWLEDGEMENTS_CSV), encoding="utf-8")
    (out / "hr" / "background-checks.csv").write_text(BACKGROUND_CSV, encoding="utf-8")


def seed_identity_center(session: Any, production: str, region: str) -> None:
    """Identity Center users in the management account's instance, one with an account assignment."""
    sso = session.client("sso-admin", region_name=region)
    store = session.client("identitystore", region_name=region)
    instance = sso.list_instances()["Instances"][0]
    permission_set = sso.create_permission_set(Name="Engineer", InstanceArn=instance["InstanceArn"])
    for user_name, email, given, family in (
        ("alice@acme.example", "alice@acme.example", "Alice", "Martin"),
        ("henry.temp", "henry@agency.example", "Henry", "Temp"),
    ):
        user = store.create_user(
            IdentityStoreId=instance["IdentityStoreId"],
            UserName=user_name,
            DisplayName=f"{given} {family}",
            Name={"GivenName": given, "FamilyName": family},
            Emails=[{"Value": email, "Type": "work", "Primary": True}],
        )
        sso.create_account_assignment(
            InstanceArn=instance["InstanceArn"],
            TargetId=production,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=permission_set["PermissionSet"]["PermissionSetArn"],
            PrincipalType="USER",
            PrincipalId=user["UserId"],
        )
