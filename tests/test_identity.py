"""Identity end to end: a roster with leavers, a Google Workspace export, two SCIM apps on a real
scim2-server over HTTP (bearer token, several pages), IAM users and IAM Identity Center users in moto."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import boto3
import pandas as pd
import pytest

from trustctl.collectors.base import Failure, Response
from trustctl.collectors.identity.scim import list_users
from trustctl.config import PolicyConfig, ScimApp
from trustctl.controls.checks.identity import leaver_access_removed
from trustctl.controls.registry import Context, all_checks
from trustctl.controls.results import Result, Severity, Status
from trustctl.demo import identity as demo
from trustctl.demo.scim_server import ScimUser, scim_servers
from trustctl.facts.base import Evidence, FactSet, FactTable
from trustctl.facts.identity import ACCOUNT, LEAVER
from trustctl.reports.leavers import CHECK, leaver_chain

TOKEN = "test-token-value-8f2e"
PASSWORD = "Test-only-password-123!"


@pytest.fixture
def scim() -> Iterator[dict[str, str]]:
    with scim_servers(demo.SCIM_APPS, TOKEN) as urls:
        yield urls


def _seed_aws(production: str = "123456789012") -> None:
    iam = boto3.client("iam")
    for name in ("alice", "carol"):
        iam.create_user(UserName=name)
        iam.create_login_profile(UserName=name, Password=PASSWORD)
    iam.create_user(UserName="ci-deploy")  # no console password: not a person's sign-in
    demo.seed_identity_center(boto3.Session(), production, "us-east-1")


@pytest.fixture
def people(project: Path, aws: str, scim: dict[str, str]) -> Path:
    """The project with the demo company's people, GitHub's SSO left undeclared."""
    demo.write_files(project)
    _seed_aws()
    config = project / "trustctl.toml"
    text = config.read_text().replace("[identity]\n", "[identity]\n" + demo.identity_config(), 1)
    text += demo.scim_config(scim).replace(
        'token_env = "ACME_GITHUB_SCIM_TOKEN"\nsso_enforced = true\n',
        'token_env = "ACME_GITHUB_SCIM_TOKEN"\n',
    )
    config.write_text(text)
    return project


def _env(**extra: str) -> dict[str, str]:
    return {"ACME_SLACK_SCIM_TOKEN": TOKEN, "ACME_GITHUB_SCIM_TOKEN": TOKEN, **extra}


def _results(cli: Callable[..., Any], env: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    ran = cli("check", "--format", "json", env=env)
    assert ran.code in (0, 4), ran.stderr
    return {(r["check"], r["resource"]): r for r in json.loads(ran.stdout)["results"]}


def test_scim_users_are_read_page_by_page_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    users = [
        ScimUser(
            f"user{i}",
            f"User{i}@acme.example",
            active=i % 2 == 0,
            deactivated=datetime(2026, 5, 1, tzinfo=UTC),
        )
        for i in range(5)
    ]
    monkeypatch.setenv("APP_TOKEN", TOKEN)
    with scim_servers({"app": users}, TOKEN) as urls:
        outcomes = list(list_users(ScimApp(name="app", url=urls["app"], token_env="APP_TOKEN", page_size=2)))
    assert [o.call.parameters["startIndex"] for o in outcomes] == [1, 3, 5]
    assert all(isinstance(o, Response) for o in outcomes)
    read = [u for o in outcomes if isinstance(o, Response) for u in o.data["Resources"]]
    assert sorted(u["userName"] for u in read) == [f"user{i}" for i in range(5)]
    inactive = [u for u in read if u["active"] is False]
    assert len(inactive) == 2 and {u["meta"]["lastModified"] for u in inactive} == {"2026-05-01T00:00:00Z"}
    assert TOKEN not in json.dumps([o.data for o in outcomes if isinstance(o, Response)])


def test_a_wrong_token_and_an_unreachable_app_are_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TOKEN", "not-the-token")
    with scim_servers({"app": [ScimUser("a", "a@acme.example")]}, TOKEN) as urls:
        (denied,) = list(list_users(ScimApp(name="app", url=urls["app"], token_env="APP_TOKEN")))
    assert isinstance(denied, Failure) and "401" in denied.error.message
    (down,) = list(
        list_users(ScimApp(name="app", url="http://127.0.0.1:9/v2", token_env="APP_TOKEN", timeout=2))
    )
    assert isinstance(down, Failure) and "127.0.0.1:9" in down.error.message
    assert "not-the-token" not in denied.error.message + down.error.message


def test_identity_checks_end_to_end(people: Path, cli: Callable[..., Any]) -> None:
    env = _env()
    assert cli("collect", "aws", env=env).code == 0
    ran = cli("collect", "identity", env=env)
    assert ran.code == 0, ran.stderr
    results = _results(cli, env)

    def status(check: str, resource: str) -> str:
        return str(results[(f"identity.{check}", resource)]["status"])

    # Leavers: Carol's Slack went in 16 h; her GitHub and IAM console user are still active.
    assert status("leaver_access_removed", "scim:slack:carol") == "pass"
    assert status("leaver_access_removed", "scim:github:carol-codes") == "fail"
    assert status("leaver_access_removed", "aws:123456789012:carol") == "fail"
    late = results[("identity.leaver_access_removed", "scim:slack:frank")]
    assert late["status"] == "fail" and "64.5 h after termination" in late["reason"]
    unknown = results[("identity.leaver_access_removed", "idp:google:carol@acme.example")]
    assert unknown["status"] == "pass" and "does not say when" in unknown["reason"]
    # MFA per active person, in the IdP.
    assert status("mfa_enrolled", "idp:google:bob@acme.example") == "fail"
    assert status("mfa_enrolled", "idp:google:alice@acme.example") == "pass"
    # SSO: an IAM console password for a person in the IdP fails; an app's undeclared SSO is an error.
    assert status("sso_enforced", "aws:123456789012:alice") == "fail"
    assert status("sso_enforced", "scim:slack") == "pass"
    undeclared = results[("identity.sso_enforced", "scim:github")]
    assert undeclared["status"] == "error" and "sso_enforced" in undeclared["reason"]
    # Orphans: GitHub's contractor and an Identity Center user nobody hired; Erin joins through an alias.
    assert status("orphan_accounts", "scim:github:ext-contractor") == "fail"
    assert status("orphan_accounts", "aws-sso:" + _store() + ":henry.temp") == "fail"
    assert status("orphan_accounts", "scim:github:erin-w") == "pass"
    assert ("identity.orphan_accounts", "aws:123456789012:ci-deploy") not in results
    # Mapped to the access and HR controls.
    assert results[("identity.leaver_access_removed", "scim:slack:carol")]["control"] == "HR-03"
    assert results[("identity.mfa_enrolled", "idp:google:bob@acme.example")]["control"] == "AC-02"


def _store() -> str:
    instance = boto3.client("sso-admin", region_name="us-east-1").list_instances()["Instances"][0]
    return str(instance["IdentityStoreId"])


def test_the_leaver_chain(people: Path, cli: Callable[..., Any]) -> None:
    env = _env()
    cli("collect", "aws", env=env)
    cli("collect", "identity", env=env)
    ran = cli("identity", "leavers", "--format", "json", env=env)
    assert ran.code == 4, ran.stderr  # a leaver still has access
    chain = {leaver["person"]: leaver for leaver in json.loads(ran.stdout)["leavers"]}
    assert list(chain) == ["carol@acme.example", "frank@acme.example", "grace@acme.example"]
    carol = {e["system"]: e for e in chain["carol@acme.example"]["systems"]}
    assert carol["scim:slack"] == {
        "system": "scim:slack",
        "account": "carol",
        "found": True,
        "active": False,
        "deactivated_at": "2026-10-31T09:00:00Z",
        "delay_hours": 16.0,
        "sla_met": True,
        "note": "deactivated after 16 h",
    }
    assert carol["scim:github"]["active"] is True and carol["scim:github"]["sla_met"] is False
    assert carol["aws:123456789012"]["active"] is True
    assert chain["carol@acme.example"]["all_removed"] is False
    grace = chain["grace@acme.example"]
    assert grace["all_removed"] is True and all(e["found"] is False for e in grace["systems"])
    table = cli("identity", "leavers", env=env).stdout
    assert "carol@acme.example (Carol Diaz) left 2026-10-30T17:00:00Z" in table and "still active" in table


def test_a_missing_token_is_an_error_for_that_app_only(people: Path, cli: Callable[..., Any]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ACME_GITHUB_SCIM_TOKEN"}
    env["ACME_SLACK_SCIM_TOKEN"] = TOKEN
    ran = cli("collect", "identity", env=env)
    assert ran.code == 3
    assert "ACME_GITHUB_SCIM_TOKEN is not set" in ran.stderr
    results = _results(cli, env)
    github = results[("identity.leaver_access_removed", "scim:github")]
    assert github["status"] == "error" and "ACME_GITHUB_SCIM_TOKEN" in github["reason"]
    assert results[("identity.leaver_access_removed", "scim:slack:carol")]["status"] == "pass"
    leavers = json.loads(cli("identity", "leavers", "--format", "json", env=env).stdout)["leavers"]
    carol = {e["system"]: e for e in leavers[0]["systems"]}
    assert carol["scim:github"]["found"] is None and "ACME_GITHUB_SCIM_TOKEN" in carol["scim:github"]["note"]


def test_tokens_never_reach_the_locker_or_reports(people: Path, cli: Callable[..., Any]) -> None:
    env = _env()
    cli("collect", "identity", env=env)
    cli("check", "--format", "json", "--output", "report.json", env=env)
    import gzip

    for path in (people / ".trustctl").rglob("*"):
        if path.is_file() and path.suffix != ".pem":
            data = path.read_bytes()
            data = gzip.decompress(data) if path.suffix == ".gz" else data
            assert TOKEN.encode() not in data, path
    assert TOKEN not in (people / "report.json").read_text()


def test_a_bad_roster_stops_before_the_run_and_loses_nothing(people: Path, cli: Callable[..., Any]) -> None:
    env = _env()
    assert cli("collect", "identity", env=env).code == 0
    runs = sorted((people / ".trustctl" / "locker" / "runs").iterdir())
    roster = people / "hr" / "roster.csv"
    roster.write_text(roster.read_text() + "zed@acme.example,Zed,terminated,last tuesday\n")
    ran = cli("collect", "identity", env=env)
    assert ran.code == 1
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "roster.csv line 11: terminated_at 'last tuesday' is not a date" in lines[0]
    assert sorted((people / ".trustctl" / "locker" / "runs").iterdir()) == runs
    assert cli("verify", env=env).code == 0


def test_without_identity_evidence_no_identity_results(
    project: Path, aws: str, cli: Callable[..., Any]
) -> None:
    _seed_aws()
    assert cli("collect", "aws").code == 0
    results = _results(cli, {})
    assert not [key for key in results if key[0].startswith("identity.")]


def _leaver(**row: Any) -> pd.DataFrame:
    base = {
        "resource": "scim:app:x",
        "person": "x@acme.example",
        "person_name": "X",
        "terminated_at": "2026-10-01T00:00:00Z",
        "active": False,
        "detail": "",
        "deactivated_at": None,
        "deactivated_source": "meta.lastModified",
        "delay_hours": None,
    }
    return pd.DataFrame([{**base, **row}])


@pytest.mark.parametrize(
    ("row", "ok", "words"),
    [
        ({"active": True}, False, "still active"),
        ({"deactivated_at": "2026-10-02T00:00:00Z", "delay_hours": 24.0}, True, "24 h after termination"),
        ({"deactivated_at": "2026-10-02T00:06:00Z", "delay_hours": 24.1}, False, "0.1 h over the 24 h SLA"),
        ({"deactivated_at": "2026-09-30T00:00:00Z", "delay_hours": -24.0}, True, "before the termination"),
        ({}, True, "does not say when"),
    ],
)
def test_leaver_verdicts_at_the_sla_boundary(row: dict[str, Any], ok: bool, words: str) -> None:
    ctx = Context(PolicyConfig(), datetime(2026, 11, 1, tzinfo=UTC))
    verdicts = leaver_access_removed(_leaver(**row), ctx)
    assert verdicts.ok.tolist() == [ok]
    assert words in verdicts.reason.iloc[0]


class _Roster:
    """Evidence holding only a roster with one leaver (all the chain reads of the evidence)."""

    def responses(self, provider: str, service: str, operation: str) -> Iterator[tuple[None, Any]]:
        if (service, operation) == ("hr", "ImportRoster"):
            person = {"email": "x@acme.example", "key": "x@acme.example", "name": "X"}
            yield (
                None,
                {"people": [{**person, "status": "terminated", "terminated_at": "2026-10-01T00:00:00Z"}]},
            )


def test_the_chain_renders_the_checks_verdicts_and_judges_nothing() -> None:
    assert all_checks()[CHECK].resource == LEAVER  # the check whose results are the chain's verdicts
    systems = ["scim:a", "scim:b", "scim:c", "scim:d"]
    rows = pd.DataFrame(
        [
            {
                "resource": f"{system}:x",
                "system": system,
                "account_name": "x",
                "person": "x@acme.example",
                "active": True,  # still active: the chain would say NO if it judged
                "deactivated_at": None,
                "delay_hours": None,
            }
            for system in systems
        ]
    )
    scopes = [("identity", system, "global") for system in systems]
    facts = FactSet(
        datetime(2026, 11, 1, tzinfo=UTC),
        {ACCOUNT: FactTable(ACCOUNT, rows, scopes), LEAVER: FactTable(LEAVER, rows, scopes)},
    )

    def result(resource: str, status: Status) -> Result:
        return Result(
            check=CHECK,
            control="HR-03",
            status=status,
            severity=Severity.HIGH,
            provider="identity",
            account=resource.rsplit(":", 1)[0],
            region="global",
            resource=resource,
            reason="",
        )

    results = [
        result("scim:a:x", Status.PASS),
        result("scim:b:x", Status.WAIVED),
        result("scim:c:x", Status.ERROR),
    ]
    chain = leaver_chain(cast(Evidence, _Roster()), facts, results, 24)
    met = {e["system"]: e["sla_met"] for e in chain[0]["systems"]}
    assert met == {"scim:a": True, "scim:b": False, "scim:c": None, "scim:d": None}
    assert chain[0]["all_removed"] is False
