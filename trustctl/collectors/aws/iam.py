"""IAM evidence with a constant number of calls per account, however many users it has.

The credential report and the account authorization details carry every user, group, role and
policy; per-user calls are never made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from trustctl.collectors.aws.calls import call, paginate
from trustctl.collectors.base import Failure, Outcome, Response, Scope
from trustctl.evidence.records import CallError

REPORT_POLL_SECONDS = (0.5, 1, 2, 2, 4, 4, 8, 8, 8, 8)


class IamAccountCollector:
    """Users, groups, roles and policies (with documents), account summary, password policy, MFA devices."""

    service = "iam"
    is_global = True
    permissions = (
        "iam:GetAccountAuthorizationDetails",
        "iam:GetAccountSummary",
        "iam:GetAccountPasswordPolicy",
        "iam:ListVirtualMFADevices",
    )

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        # AWS managed policies are identified by ARN; their documents are the same in every account.
        yield from paginate(
            client,
            "get_account_authorization_details",
            scope,
            Filter=["User", "Group", "Role", "LocalManagedPolicy"],
            PaginationConfig={"PageSize": 1000},
        )
        yield call(client, "get_account_summary", scope)
        yield call(client, "get_account_password_policy", scope, absent=frozenset({"NoSuchEntity"}))
        yield from paginate(client, "list_virtual_mfa_devices", scope, PaginationConfig={"PageSize": 1000})


class IamCredentialReportCollector:
    """The credential report: passwords, MFA and access keys of every user and of the root user."""

    service = "iam"
    is_global = True
    permissions = ("iam:GenerateCredentialReport", "iam:GetCredentialReport")

    def __init__(self, sleep: Callable[[float], None] | None = None) -> None:
        import time

        self._sleep = sleep or time.sleep

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        for delay in (*REPORT_POLL_SECONDS, None):
            outcome = call(client, "generate_credential_report", scope)
            yield outcome
            if isinstance(outcome, Failure):
                return
            if outcome.data.get("State") == "COMPLETE":
                break
            if delay is None:
                yield Failure(
                    outcome.call,
                    CallError(
                        code="ReportNotReady",
                        message="the IAM credential report was still being generated after "
                        f"{sum(REPORT_POLL_SECONDS):.0f}s; run collect again",
                        permission="iam:GenerateCredentialReport",
                    ),
                    outcome.observed_at,
                )
                return
            self._sleep(delay)
        yield self._decoded(call(client, "get_credential_report", scope))

    @staticmethod
    def _decoded(outcome: Outcome) -> Outcome:
        """The report arrives as CSV bytes; keep it as text so the evidence stays readable. Every
        report lists at least the root user: one without a line is no report, not an account without users."""
        if not isinstance(outcome, Response):
            return outcome
        content = outcome.data.get("Content")
        text = content.decode("utf-8") if isinstance(content, bytes) else content
        if not isinstance(text, str) or not text.strip():
            error = CallError(
                code="EmptyResponse",
                message="GetCredentialReport returned an empty report (every report lists the root user); "
                "run collect again",
                permission="iam:GetCredentialReport",
            )
            return Failure(outcome.call, error, outcome.observed_at)
        return Response(outcome.call, {**outcome.data, "Content": text}, outcome.observed_at)


COLLECTORS: list[Any] = [IamAccountCollector(), IamCredentialReportCollector()]
