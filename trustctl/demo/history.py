"""Acme's history: days of signed runs ending today, each with the clock of its day (TRUSTCTL_NOW).

Shared by `trustctl demo` and the packet benchmark. Every day has one run of Acme's people (the HR
roster and IdP export on disk, Slack and GitHub over SCIM) and of its GCP projects (the shipped asset
export); AWS is collected on the first day, every `aws_every` days after it and today (a collection of
the three accounts is ~300 requests against moto, seconds each, where the other providers take a
tenth of a second). What changes, and when (day 0 is the first day; see aws_changes, People.events):

- AWS, management account: `contractor-temp`, a console user without MFA, is there from the start and
  removed on day 28 (a finding fixed); `intern` is created on day 49 and removed on day 77.
- AWS, production account: it has a password policy until day 56, then none (a regression, still open).
- People: the dates in trustctl/demo/identity.py are moved by (today - IDENTITY_REFERENCE) days, so the
  story falls in the period any year, and each day's files and SCIM users are those dates as they
  stood that day: Frank leaves (IdP suspended a day later, Slack three days late), Erin starts (her
  roster row and accounts appear), Carol leaves (Slack the next morning, GitHub never).

Seeded AWS resources keep the ages `seed` gives them relative to today: the history varies what the
events above change, not every timestamp of the organization.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import boto3

from trustctl import pipeline
from trustctl.demo import identity
from trustctl.demo.scim_server import Replace, ScimUser, live_scim_servers
from trustctl.demo.seed import SeededOrg
from trustctl.timeutil import parse_iso

DAYS = 90
AWS_EVERY = 7
IDENTITY_REFERENCE = date(2026, 11, 24)  # the day identity.py's exports describe (after the last sign-in)
# When each leaver's IdP account was suspended, after the roster's termination time.
IDP_SUSPENDED_AFTER = {"frank@acme.example": timedelta(days=1), "carol@acme.example": timedelta(hours=2)}
CONTRACTOR, INTERN = "contractor-temp", "intern"
FIXED_DAY, INTERN_DAYS, REGRESSION_DAY = 28, (49, 77), 56


@dataclass(frozen=True)
class Day:
    """One run of the history."""

    index: int
    at: datetime
    run_id: str
    providers: tuple[str, ...]
    changes: tuple[str, ...]


# ---------------------------------------------------------------- AWS


def _production(org: SeededOrg) -> Any:
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{org.production}:role/OrganizationAccountAccessRole", RoleSessionName="history"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).client("iam")


def _console_user(iam: Any, name: str) -> None:
    iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "demo"}])
    iam.create_login_profile(UserName=name, Password="Demo-only-password-123!")


def _remove_user(iam: Any, name: str) -> None:
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def before_history(org: SeededOrg) -> None:
    """What was different on the first day: a contractor's console user, production's password policy."""
    _console_user(boto3.client("iam"), CONTRACTOR)
    _production(org).update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True)


def aws_changes(org: SeededOrg, day: int) -> list[str]:
    """Apply the AWS changes of `day`; what changed, in words."""
    iam = boto3.client("iam")
    if day == FIXED_DAY:
        _remove_user(iam, CONTRACTOR)
        return [f"IAM user {CONTRACTOR} (console, no MFA) removed"]
    if day == INTERN_DAYS[0]:
        _console_user(iam, INTERN)
        return [f"IAM user {INTERN} created (console, no MFA)"]
    if day == INTERN_DAYS[1]:
        _remove_user(iam, INTERN)
        return [f"IAM user {INTERN} removed"]
    if day == REGRESSION_DAY:
        _production(org).delete_account_password_policy()
        return ["production's password policy deleted"]
    return []


# ---------------------------------------------------------------- people


_DAY = re.compile(r"(?<!\d)(\d{4})([-/])(\d{2})\2(\d{2})(?!\d)")


def shifted(text: str, days: int) -> str:
    """Every date in `text` (2026-10-30 or 2026/10/30) moved by `days`."""

    def move(m: re.Match[str]) -> str:
        moved = date(int(m[1]), int(m[3]), int(m[4])) + timedelta(days=days)
        return moved.strftime(f"%Y{m[2]}%m{m[2]}%d")

    return _DAY.sub(move, text)


@dataclass(frozen=True)
class People:
    """identity.py's exports with their dates moved by `shift` days, as they stood at any moment."""

    shift: int
    week_starts: int = 0  # the weekday (Monday 0) a sign-in after the export is moved back to

    def _rows(self, text: str) -> tuple[str, list[list[str]]]:
        lines = shifted(text, self.shift).lstrip("\ufeff").splitlines()
        return lines[0], [row for row in csv.reader(lines[1:]) if row]

    def _roster(self) -> dict[str, tuple[date | None, datetime | None]]:
        """email (lower case) -> start date, termination time."""
        _, rows = self._rows(identity.ROSTER_CSV)
        return {
            row[0].lower(): (
                date.fromisoformat(row[5]) if row[5] else None,
                parse_iso(row[3] if "T" in row[3] else f"{row[3]}T00:00:00Z", UTC) if row[3] else None,
            )
            for row in rows
        }

    def started(self, email: str, at: datetime) -> bool:
        start, _ = self._roster().get(email.lower(), (None, None))
        return start is None or start <= at.date()

    def roster(self, at: datetime) -> str:
        """The roster: people who had not started are absent; people who had not left yet are active."""
        header, rows = self._rows(identity.ROSTER_CSV)
        out = []
        for row in rows:
            start, left = self._roster()[row[0].lower()]
            if start is not None and start > at.date():
                continue
            if left is not None and left > at:
                row = [row[0], row[1], "active", "", *row[4:]]
            out.append(row)
        return "\ufeff" + _csv(header, out)

    def idp(self, at: datetime) -> str:
        """The IdP export: accounts of people who had started; suspended only from the suspension time;
        a sign-in after the export reads as the start of the day its week started (the history's weeks start on
        its weekly AWS day; a daily sign-in would make every day's evidence new)."""
        header, rows = self._rows(identity.IDP_CSV)
        out = []
        for row in rows:
            email = row[2].lower()
            if not self.started(email, at):
                continue
            _, left = self._roster().get(email, (None, None))
            suspended = left + IDP_SUSPENDED_AFTER.get(email, timedelta()) if left else None
            if row[3] == "Suspended" and suspended is not None and suspended > at:
                row = [*row[:3], "Active", *row[4:]]
            if row[4] != "Never logged in":
                signed_in = datetime.strptime(row[4], "%Y/%m/%d %H:%M:%S UTC").replace(tzinfo=UTC)
                if signed_in > at:
                    moved = _week_start(at, self.week_starts)
                    row = [*row[:4], moved.strftime("%Y/%m/%d %H:%M:%S UTC"), *row[5:]]
            out.append(row)
        return _csv(header, out)

    def scim(self, at: datetime) -> dict[str, list[ScimUser]]:
        """Each SCIM app's users: accounts of people who had started (created on their start date), and
        deactivated only from their deactivation time."""
        apps: dict[str, list[ScimUser]] = {}
        for app, users in identity.SCIM_APPS.items():
            apps[app] = []
            for user in users:
                email = _roster_key(user.email)
                start, _ = self._roster().get(email, (None, None))
                if start is not None and start > at.date():
                    continue
                created = user.created + timedelta(days=self.shift)
                if start is not None:
                    created = max(created, datetime.combine(start, datetime.min.time(), UTC).replace(hour=9))
                gone = user.deactivated + timedelta(days=self.shift) if user.deactivated else None
                if gone is not None and gone > at:
                    user = replace(user, active=True, deactivated=None)
                else:
                    user = replace(user, deactivated=gone)
                apps[app].append(replace(user, created=created))
        return apps

    def write(self, out: Path, at: datetime) -> None:
        """The day's roster, IdP export and people records under `out` (as identity.write_files); a
        record completed after `at` is not in that day's export."""
        hr = out / "hr"
        hr.mkdir(parents=True, exist_ok=True)
        (out / "idp").mkdir(parents=True, exist_ok=True)
        (hr / "roster.csv").write_text(self.roster(at), encoding="utf-8")
        (out / "idp" / "google-users.csv").write_text(self.idp(at), encoding="utf-8")
        for name, template in (
            ("training-completions.csv", identity.TRAINING_CSV),
            ("policy-acknowledgements.csv", identity.ACKNOWLEDGEMENTS_CSV),
            ("background-checks.csv", identity.BACKGROUND_CSV),
        ):
            text = identity.relative(shifted(template, self.shift))
            (hr / name).write_text(_until(text, at.date()), encoding="utf-8")

    def events(self, first: datetime, days: int) -> list[tuple[int, str]]:
        """The people changes inside the history, by day index."""
        found = []
        for email, (start, left) in self._roster().items():
            if start is not None:
                found.append((datetime.combine(start, datetime.min.time(), UTC), f"{email} started"))
            if left is not None:
                found.append((left, f"{email} terminated"))
                if email in IDP_SUSPENDED_AFTER:
                    found.append((left + IDP_SUSPENDED_AFTER[email], f"{email} suspended in the IdP"))
        for app, users in identity.SCIM_APPS.items():
            found += [
                (u.deactivated + timedelta(days=self.shift), f"{app} account {u.user_name} deactivated")
                for u in users
                if u.deactivated
            ]
        dated = [((moment.date() - first.date()).days, what) for moment, what in sorted(found)]
        return [(day, what) for day, what in dated if 0 <= day < days]


def _until(text: str, day: date) -> str:
    """The header and the rows of a CSV export with no date after `day`."""
    header, *rows = text.splitlines(keepends=True)

    def dates(row: str) -> list[date]:
        return [date(int(m[1]), int(m[3]), int(m[4])) for m in _DAY.finditer(row)]

    return header + "".join(row for row in rows if all(d <= day for d in dates(row)))


def _week_start(at: datetime, weekday: int) -> datetime:
    """00:00 UTC on the latest `weekday` (Monday 0) at or before `at`'s day. Midnight, so every moment of
    a week's first day falls in that week: with a later hour, a history collected before it would move
    its first day's sign-ins a week back, and its second day's evidence would differ from its first."""
    day = at.date() - timedelta(days=(at.weekday() - weekday) % 7)
    return datetime.combine(day, datetime.min.time(), UTC)


def _roster_key(email: str) -> str:
    """An app's address as the roster has it (the demo's alias domain and plus tags undone)."""
    local, _, domain = email.lower().partition("@")
    return f"{local.split('+')[0]}@{identity.DOMAIN_ALIASES.get(domain, domain)}"


def _csv(header: str, rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return header + "\n" + buffer.getvalue()


# ---------------------------------------------------------------- the runs


@contextmanager
def _clock(at: datetime | None) -> Iterator[None]:
    """TRUSTCTL_NOW set to `at` (None: the real clock) for one run."""
    before = os.environ.pop("TRUSTCTL_NOW", None)
    if at is not None:
        os.environ["TRUSTCTL_NOW"] = at.isoformat()
    try:
        yield
    finally:
        os.environ.pop("TRUSTCTL_NOW", None)
        if before is not None:
            os.environ["TRUSTCTL_NOW"] = before


def collect_history(
    config_path: Path,
    org: SeededOrg,
    *,
    days: int = DAYS,
    aws_every: int = AWS_EVERY,
    changes: Callable[[SeededOrg, int], list[str]] = aws_changes,
    identity_shift: int | None = None,
    report: Callable[[Day], None] | None = None,
) -> list[Day]:
    """Collect `days` daily runs ending now into the locker of `config_path` (set up by
    run.set_up_acme), on the moto server where `org` was seeded; the SCIM apps are appended to the
    config. The last run has the real clock. `changes` applies a day's AWS changes; `identity_shift`
    (default: today - IDENTITY_REFERENCE) moves identity.py's dates."""
    now = datetime.now(UTC)
    out = config_path.parent
    first = now - timedelta(days=days - 1)
    shift = (now.date() - IDENTITY_REFERENCE).days if identity_shift is None else identity_shift
    people = People(shift, week_starts=first.weekday())
    export = out / "gcp-assets.json"
    export.write_bytes(resources.files("trustctl.demo").joinpath("gcp_export.jsonl").read_bytes())
    before_history(org)
    ran: list[Day] = []
    serving = people.scim(first)
    with live_scim_servers(serving, identity.DEMO_TOKEN) as (urls, serve):
        with config_path.open("a", encoding="utf-8") as f:
            f.write(identity.scim_config(urls))
        for variable in identity.TOKEN_ENV.values():
            os.environ[variable] = identity.DEMO_TOKEN
        config = pipeline.load(config_path)
        for index in range(days):
            at = first + timedelta(days=index)
            changed = changes(org, index) if index else []
            _people_on(people, out, at, serve, serving)
            aws = index % aws_every == 0 or index == days - 1
            providers = ["aws", "gcp", "identity"] if aws else ["gcp", "identity"]
            with _clock(None if index == days - 1 else at):
                manifest = pipeline.collect(config, providers, exports=[export]).manifest
            day = Day(index, at, manifest.run_id, tuple(providers), tuple(changed))
            ran.append(day)
            if report is not None:
                report(day)
    return ran


def _people_on(
    people: People, out: Path, at: datetime, serve: Replace, serving: dict[str, list[ScimUser]]
) -> None:
    """Write the day's files; serve an app's users anew only when they changed (a new storage costs
    most of a second)."""
    people.write(out, at)
    for app, users in people.scim(at).items():
        if serving.get(app) != users:
            serve(app, users)
            serving[app] = users
