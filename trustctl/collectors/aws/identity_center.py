"""IAM Identity Center, per region: instances (sso-admin), their identity store's users
(identitystore), and each user's account assignments: who can sign in to which AWS account via SSO."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from trustctl.collectors.aws.calls import paginate
from trustctl.collectors.base import Outcome, Response, Scope


class ClientPair(NamedTuple):
    """The collector's own client and its companion service's, in the same account and region."""

    primary: Any
    companion: Any


class IdentityCenterCollector:
    service = "sso-admin"
    companion = "identitystore"
    is_global = False
    permissions = (
        "sso:ListInstances",
        "sso:ListAccountAssignmentsForPrincipal",
        "identitystore:ListUsers",
    )

    def collect(self, clients: ClientPair, scope: Scope) -> Iterator[Outcome]:
        sso, store = clients
        instances: list[dict[str, Any]] = []
        for outcome in paginate(sso, "list_instances", scope):
            yield outcome
            if isinstance(outcome, Response):
                instances += outcome.data.get("Instances", [])
        for instance in instances:
            users: list[dict[str, Any]] = []
            for outcome in paginate(store, "list_users", scope, IdentityStoreId=instance["IdentityStoreId"]):
                yield outcome
                if isinstance(outcome, Response):
                    users += outcome.data.get("Users", [])
            for user in users:
                yield from paginate(
                    sso,
                    "list_account_assignments_for_principal",
                    scope,
                    InstanceArn=instance["InstanceArn"],
                    PrincipalId=user["UserId"],
                    PrincipalType="USER",
                )


COLLECTORS: list[Any] = [IdentityCenterCollector()]
