"""Users of one SCIM 2.0 app, page by page (`GET /Users?startIndex=&count=`), with scim2-client.

Read-only: the client only ever queries. The bearer token comes from the environment variable the
config names and goes into the Authorization header only: never into evidence, errors or logs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from functools import cache
from typing import Any

from trustctl.collectors.base import Failure, Outcome, Response, Scope, now
from trustctl.config import ScimApp
from trustctl.evidence.records import Call, CallError

MAX_PAGES = 10_000
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


@cache
def _provider() -> Any:
    """The SCIM models of users. scim2 loads here, on first use: importing it takes seconds of CPU, which
    every command would otherwise pay (`trustctl --help`, `check`)."""
    from scim2_models import EnterpriseUser, ResourceType, ScimProvider, User

    return ScimProvider(
        models=[User, EnterpriseUser], resource_types=[ResourceType.from_resource(User[EnterpriseUser])]
    )


def system(app: ScimApp) -> str:
    return f"scim:{app.name}"


def _call(app: ScimApp, start: int, count: int, page: int) -> Call:
    return Call(
        provider="identity",
        account=system(app),
        region="global",
        service="scim",
        operation="ListUsers",
        parameters={"url": app.url, "startIndex": start, "count": count},
        page=page,
    )


def _reason(error: Exception, app: ScimApp, token: str) -> str:
    text = f"{type(error).__name__}: {error}"
    if error.__cause__ is not None:
        text += f" ({error.__cause__})"
    text = text.replace(token, "[token]") if token else text
    return f"GET {app.url}/Users failed: {text}"


def list_users(app: ScimApp) -> Iterator[Outcome]:
    """One Response per page of users, or one Failure saying why the app could not be read."""
    token = os.environ.get(app.token_env, "")
    if not token:
        yield Failure(
            _call(app, 1, app.page_size, 1),
            CallError(
                code="MissingToken",
                message=f"SCIM app {app.name}: the environment variable {app.token_env} is not set "
                f"(it must hold the app's bearer token)",
            ),
            now(),
        )
        return
    import httpx2
    from scim2_client.engines.httpx2 import SyncSCIMClient
    from scim2_models import EnterpriseUser, SearchRequest, User

    http = httpx2.Client(
        base_url=app.url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/scim+json"},
        timeout=app.timeout,
        transport=httpx2.HTTPTransport(retries=2),
    )
    client = SyncSCIMClient(http, provider=_provider())
    start, page = 1, 1
    try:
        while page <= MAX_PAGES:
            call = _call(app, start, app.page_size, page)
            try:
                listed: Any = client.query(
                    User[EnterpriseUser],
                    query_parameters=SearchRequest(start_index=start, count=app.page_size),
                    raise_scim_errors=True,
                    check_response_payload=False,
                )
            except Exception as e:  # HTTP, SCIM and payload errors alike: the app's evidence is missing
                yield Failure(call, CallError(code=type(e).__name__, message=_reason(e, app, token)), now())
                return
            data = _as_json(listed)
            problem = _problem(data)
            if problem:
                yield Failure(
                    call, CallError(code="ScimError", message=f"GET {app.url}/Users: {problem}"), now()
                )
                return
            yield Response(call, data, now())
            resources = data.get("Resources") or []
            total = int(data.get("totalResults") or 0)
            if not resources or start - 1 + len(resources) >= total:
                return
            start += len(resources)
            page += 1
    finally:
        http.close()


def _problem(data: dict[str, Any]) -> str | None:
    """Why a payload is not a page of users: a SCIM error message or another shape."""
    schemas = data.get("schemas") or []
    if ERROR_SCHEMA in schemas or ("status" in data and "Resources" not in data):
        return f"the app answered {data.get('status', '?')}: {data.get('detail', 'no detail')}"
    if LIST_SCHEMA not in schemas and "Resources" not in data and "totalResults" not in data:
        return "the answer is not a SCIM ListResponse"
    return None


def _as_json(listed: Any) -> dict[str, Any]:
    from scim2_models import ListResponse

    if isinstance(listed, ListResponse):
        dumped: dict[str, Any] = listed.model_dump(mode="json", by_alias=True, exclude_none=True)
        return dumped
    if isinstance(listed, dict):
        return listed
    raise TypeError(f"unexpected SCIM response: {type(listed).__name__}")


class ScimCollector:
    """One SCIM app's users (the `Collector` for `[[identity.scim]]`); it makes its own HTTP client."""

    service = "scim"
    permissions = ("GET /Users",)  # a read-only token: the app's users, nothing else

    def __init__(self, app: ScimApp) -> None:
        self.app = app

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        return list_users(self.app)
