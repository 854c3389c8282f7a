"""Which accounts and regions to collect: the caller's account, organization members through an
assumable role, and every enabled region (or the configured ones)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trustctl.collectors.aws.calls import call, paginate
from trustctl.collectors.aws.clients import AssumedSession, ClientFactory, default_region
from trustctl.collectors.base import Outcome, Response, Scope

if TYPE_CHECKING:
    import boto3

Record = Callable[[Outcome], None]


@dataclass(frozen=True)
class Account:
    account_id: str
    partition: str
    session: (
        boto3.Session | AssumedSession | None
    )  # None: the account could not be entered (the failure is recorded)


def caller_identity(factory: ClientFactory, session: boto3.Session, record: Record) -> tuple[str, str] | None:
    """(account id, partition) of the credentials in use, or None if they do not work."""
    scope = Scope("aws", "unknown", "global")
    outcome = call(factory.client(session, "sts", default_region(session)), "get_caller_identity", scope)
    if isinstance(outcome, Response):
        account = str(outcome.data["Account"])
        partition = str(outcome.data["Arn"]).split(":")[1]
        outcome = Response(
            outcome.call.model_copy(update={"account": account}), outcome.data, outcome.observed_at
        )
        record(outcome)
        return account, partition
    record(outcome)
    return None


def member_accounts(
    factory: ClientFactory, session: boto3.Session, home: str, role: str, partition: str, record: Record
) -> list[Account]:
    """Every ACTIVE organization member other than `home`, entered through `role`."""
    scope = Scope("aws", home, "global")
    client = factory.client(session, "organizations", default_region(session))
    ids: list[str] = []
    for outcome in paginate(client, "list_accounts", scope):
        record(outcome)
        if isinstance(outcome, Response):
            ids += [
                a["Id"] for a in outcome.data.get("Accounts", []) if a.get("Status", "ACTIVE") == "ACTIVE"
            ]
    sts = factory.client(session, "sts", default_region(session))
    accounts = []
    for account_id in sorted(set(ids) - {home}):
        outcome = call(
            sts,
            "assume_role",
            Scope("aws", account_id, "global"),
            RoleArn=f"arn:{partition}:iam::{account_id}:role/{role}",
            RoleSessionName="trustctl",
        )
        if isinstance(outcome, Response):
            # The temporary credentials are used, never stored: only the assumed-role identity is.
            record(
                Response(
                    outcome.call,
                    {"AssumedRoleUser": outcome.data.get("AssumedRoleUser", {})},
                    outcome.observed_at,
                )
            )
            accounts.append(
                Account(account_id, partition, factory.session_from_credentials(outcome.data["Credentials"]))
            )
        else:
            record(outcome)
            accounts.append(Account(account_id, partition, None))
    return accounts


def enabled_regions(factory: ClientFactory, account: Account, record: Record) -> list[str]:
    """Regions enabled in the account (ec2:DescribeRegions); empty if they could not be listed."""
    assert account.session is not None
    client = factory.client(account.session, "ec2", default_region(account.session))
    outcome = call(client, "describe_regions", Scope("aws", account.account_id, "global"))
    record(outcome)
    if isinstance(outcome, Response):
        return sorted(
            r["RegionName"] for r in outcome.data.get("Regions", []) if r.get("OptInStatus") != "not-opted-in"
        )
    return []


def regions_for(configured: list[str] | None, discovered: list[str]) -> list[str]:
    return sorted(configured) if configured else discovered
