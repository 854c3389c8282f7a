"""For the demo only: the AWS Backup read operations moto does not implement, served from memory.

moto implements backup plans, vaults and vault locks, but not backup selections, recovery points,
restore jobs or restore testing plans. `BackupShim` wraps moto's WSGI app: it answers exactly those
operations (REST-JSON, routed by the method and path in botocore's own service model) from a
`BackupState` that the demo seed fills with Python calls, and passes every other request to moto.
Accounts are told apart the way moto does it, by the access key in the SigV4 Authorization header.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

OPERATIONS = (
    "ListBackupSelections",
    "GetBackupSelection",
    "ListRecoveryPointsByBackupVault",
    "ListRestoreJobs",
    "ListRestoreTestingPlans",
)
CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
PAGE_SIZE = 100


@dataclass
class _Region:
    selections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: defaultdict(dict))
    recovery_points: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    restore_jobs: list[dict[str, Any]] = field(default_factory=list)
    restore_testing_plans: list[dict[str, Any]] = field(default_factory=list)


class BackupState:
    """What the shim serves, by (account, region). Items are stored in their API shape."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._regions: dict[tuple[str, str], _Region] = defaultdict(_Region)

    def reset(self) -> None:
        with self._lock:
            self._regions.clear()

    def add_selection(
        self, account: str, region: str, plan_id: str, selection: dict[str, Any], created: datetime
    ) -> str:
        """A BackupSelection (SelectionName, IamRoleArn, Resources, ...) assigned to a plan; its id."""
        selection_id = str(uuid.uuid4())
        with self._lock:
            self._regions[(account, region)].selections[plan_id][selection_id] = {
                "SelectionId": selection_id,
                "BackupPlanId": plan_id,
                "CreationDate": created,
                "CreatorRequestId": selection_id,
                "BackupSelection": selection,
            }
        return selection_id

    def add_recovery_point(self, account: str, region: str, vault: str, point: dict[str, Any]) -> None:
        with self._lock:
            self._regions[(account, region)].recovery_points[vault].append(
                {"BackupVaultName": vault, **point}
            )

    def add_restore_job(self, account: str, region: str, job: dict[str, Any]) -> None:
        with self._lock:
            self._regions[(account, region)].restore_jobs.append({"AccountId": account, **job})

    def add_restore_testing_plan(self, account: str, region: str, plan: dict[str, Any]) -> None:
        with self._lock:
            self._regions[(account, region)].restore_testing_plans.append(plan)

    def answer(self, operation: str, account: str, region: str, path: dict[str, str]) -> tuple[int, Any]:
        """(HTTP status, body) of one operation; list operations return every item (paged by the shim)."""
        with self._lock:
            state = self._regions[(account, region)]
            if operation == "ListBackupSelections":
                selections = state.selections.get(path["backupPlanId"], {}).values()
                summary = ("SelectionId", "BackupPlanId", "CreationDate", "CreatorRequestId")
                items = [
                    {
                        **{k: s[k] for k in summary},
                        "SelectionName": s["BackupSelection"].get("SelectionName"),
                        "IamRoleArn": s["BackupSelection"].get("IamRoleArn"),
                    }
                    for s in selections
                ]
                return 200, {"BackupSelectionsList": items}
            if operation == "GetBackupSelection":
                found = state.selections.get(path["backupPlanId"], {}).get(path["selectionId"])
                if found is None:
                    return 404, {"__type": "ResourceNotFoundException", "Message": "no such selection"}
                return 200, found
            if operation == "ListRecoveryPointsByBackupVault":
                return 200, {"RecoveryPoints": list(state.recovery_points.get(path["backupVaultName"], []))}
            if operation == "ListRestoreJobs":
                return 200, {"RestoreJobs": list(state.restore_jobs)}
            return 200, {"RestoreTestingPlans": list(state.restore_testing_plans)}


STATE = BackupState()
"""The demo's state: `trustctl.demo.seed_monitoring` fills it, the shim in front of moto serves it."""


def _route(operation: str) -> tuple[str, re.Pattern[str]]:
    import botocore.session

    http = botocore.session.get_session().get_service_model("backup").operation_model(operation).http
    path = str(http["requestUri"]).split("?", 1)[0]
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path))
    return str(http["method"]), re.compile(f"^{pattern}$")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # REST-JSON timestamps are epoch seconds
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _page(body: Any, query: dict[str, list[str]]) -> Any:
    """NextToken paging over the one list in a List* body: the token is the next item's offset."""
    lists = [k for k, v in body.items() if isinstance(v, list)]
    if len(lists) != 1:
        return body
    key = lists[0]
    size = next((int(v[0]) for k, v in query.items() if k.lower() == "maxresults"), PAGE_SIZE)
    start = next((int(v[0]) for k, v in query.items() if k.lower() == "nexttoken"), 0)
    page = {key: body[key][start : start + size]}
    if start + size < len(body[key]):
        page["NextToken"] = str(start + size)
    return page


class BackupShim:
    """WSGI middleware in front of moto (see the module docstring)."""

    def __init__(self, app: WSGIApplication, state: BackupState = STATE) -> None:
        self.app = app
        self.state = state
        self.routes = [(op, *_route(op)) for op in OPERATIONS]

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "")
        if method == "POST" and path == "/moto-api/reset":
            self.state.reset()
        found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if found and found.group(3) == "backup":
            for operation, op_method, pattern in self.routes:
                matched = pattern.match(path)
                if op_method == method and matched:
                    account = self._account(environ, found.group(1))
                    status, body = self.state.answer(operation, account, found.group(2), matched.groupdict())
                    if status == 200 and operation.startswith("List"):
                        body = _page(body, parse_qs(environ.get("QUERY_STRING", "")))
                    return self._respond(start_response, status, body)
        return self.app(environ, start_response)

    @staticmethod
    def _account(environ: WSGIEnvironment, access_key: str) -> str:
        """The same account moto would use for this request."""
        if "MOTO_ACCOUNT_ID" in os.environ:
            return os.environ["MOTO_ACCOUNT_ID"]
        if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
            return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
        from moto.iam.models import get_account_id_from

        return str(get_account_id_from(access_key))

    @staticmethod
    def _respond(start_response: StartResponse, status: int, body: Any) -> list[bytes]:
        data = json.dumps(body, default=_json_default).encode("utf-8")
        reason = {200: "OK", 404: "Not Found"}.get(status, "Error")
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
        if status != 200:
            headers.append(("x-amzn-ErrorType", str(body.get("__type", ""))))
        start_response(f"{status} {reason}", headers)
        return [data]
