"""Live collection through Cloud Asset Inventory: `list_assets` and `search_all_iam_policies` over a scope.

One client sees a whole organization, folder or project. Every page is stored as it arrives, in the
shape of an asset export (snake_case top level, the resource's REST `data` untouched). Transient errors
are retried; everything else (PermissionDenied, NotFound, retries exhausted, transport errors) is
recorded as an evidence error naming the permission to grant, and the other calls still run.
`CloudAssetCollector` is the `Collector`; `collect_gcp` runs it over `[gcp] scope` into a sink.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trustctl.collectors.base import (
    EvidenceSink,
    Failure,
    NoProgress,
    Outcome,
    Progress,
    Response,
    Scope,
    now,
    store,
)
from trustctl.collectors.gcp.exports import normalize_asset, snake
from trustctl.config import GcpConfig
from trustctl.evidence.records import Call, CallError

if TYPE_CHECKING:  # the Google client libraries load when GCP is collected, not for `check` or `--help`
    from google.api_core.retry import Retry

# The resource types the checks read.
ASSET_TYPES: tuple[str, ...] = (
    "cloudresourcemanager.googleapis.com/Project",
    "storage.googleapis.com/Bucket",
    "sqladmin.googleapis.com/Instance",
    "cloudkms.googleapis.com/CryptoKey",
    "compute.googleapis.com/Firewall",
    "iam.googleapis.com/ServiceAccount",
    "iam.googleapis.com/ServiceAccountKey",
    "bigquery.googleapis.com/Dataset",
    "compute.googleapis.com/Disk",
)
# IAM policies of the same resources, plus the folders and organization above them (audit configs too).
POLICY_TYPES: tuple[str, ...] = (
    *ASSET_TYPES,
    "cloudresourcemanager.googleapis.com/Folder",
    "cloudresourcemanager.googleapis.com/Organization",
)
LIST_RESOURCE = "cloudasset.assets.listResource"
LIST_IAM_POLICY = "cloudasset.assets.listIamPolicy"
SEARCH_IAM_POLICIES = "cloudasset.assets.searchAllIamPolicies"
GCP_PERMISSIONS: tuple[str, ...] = (LIST_RESOURCE, LIST_IAM_POLICY, SEARCH_IAM_POLICIES)
# The predefined role granting all of them (on the organization, folder or project in `[gcp] scope`).
ROLES: tuple[str, ...] = ("roles/cloudasset.viewer",)


def transient() -> tuple[type[Exception], ...]:
    """The errors worth retrying: the service is busy or slow, or the quota ran out for now."""
    from google.api_core import exceptions as gexc

    return (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.ResourceExhausted)


def default_retry(timeout: float) -> Retry:
    """Exponential backoff on transient errors, giving up after `timeout` seconds in all."""
    from google.api_core.retry import Retry, if_exception_type

    return Retry(
        predicate=if_exception_type(*transient()), initial=0.5, maximum=30.0, multiplier=2.0, timeout=timeout
    )


def _to_dict(message: Any) -> dict[str, Any]:
    """A proto-plus response as the REST API's JSON (camelCase, enums by name, Struct keys as sent)."""
    from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]

    converted: dict[str, Any] = MessageToDict(type(message).pb(message))
    return converted


def _assets_page(page: Any) -> dict[str, Any]:
    return {"assets": [normalize_asset(a) for a in _to_dict(page).get("assets", [])]}


def _results_page(page: Any) -> dict[str, Any]:
    return {"results": [{snake(k): v for k, v in r.items()} for r in _to_dict(page).get("results", [])]}


_REST_PREFIX = re.compile(r"^(?:\d{3} )?[A-Z]+ \S+: ")


def _reason(exc: BaseException | None) -> str:
    """The server's message, without the request line the REST transport prefixes (long, and noise)."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.RetryError):
        return _reason(exc.cause) if exc.cause else str(exc.message)
    text = str(exc.message) if isinstance(exc, gexc.GoogleAPICallError) else str(exc)
    return _REST_PREFIX.sub("", " ".join(text.split()))


def describe_error(exc: BaseException, operation: str, permission: str, scope: str) -> CallError:
    """What failed, on which scope, and what to grant or do."""
    from google.api_core import exceptions as gexc

    grant = f"grant {permission} on {scope} (roles/cloudasset.viewer; see `trustctl permissions gcp`)"
    if isinstance(exc, gexc.Forbidden):  # PermissionDenied, or a bare HTTP 403 over REST
        return CallError(
            code="PermissionDenied",
            message=f"{operation} on {scope} was denied ({_reason(exc)}); {grant}",
            permission=permission,
        )
    if isinstance(exc, gexc.Unauthorized):  # Unauthenticated, or a bare HTTP 401
        return CallError(
            code="Unauthenticated",
            message=f"{operation} on {scope}: credentials were refused ({_reason(exc)}); "
            "run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS",
            permission=permission,
        )
    if isinstance(exc, gexc.NotFound):
        return CallError(
            code="NotFound",
            message=f"{operation}: {scope} was not found ({_reason(exc)}); check `[gcp] scope` and {grant}",
            permission=permission,
        )
    if isinstance(exc, gexc.RetryError):
        return CallError(
            code="RetriesExhausted",
            message=f"{operation} on {scope} still failed when retries ran out ({_reason(exc)})",
            permission=permission,
        )
    if isinstance(exc, gexc.GoogleAPICallError):
        code = exc.grpc_status_code.name if exc.grpc_status_code else type(exc).__name__
        return CallError(
            code=code,
            message=f"{operation} on {scope} failed ({code}): {_reason(exc)}",
            permission=permission,
        )
    return CallError(
        code=type(exc).__name__,
        message=f"{operation} on {scope} failed: {_reason(exc)}",
        permission=permission,
    )


@dataclass(frozen=True)
class _Request:
    """One paginated call: its record, the permission it needs, the client method, how to store a page."""

    scope: str
    operation: str
    parameters: dict[str, Any]
    permission: str
    method: str
    body: dict[str, Any]
    convert: Callable[[Any], dict[str, Any]]

    def call(self, page: int) -> Call:
        return Call(
            provider="gcp",
            account=self.scope,
            region="global",
            service="cloudasset",
            operation=self.operation,
            parameters=self.parameters,
            page=page,
        )

    @property
    def label(self) -> str:
        return f"gcp {self.scope} {self.operation} {self.parameters.get('content_type', '')}"

    def run(self, client: Any, retry: Retry, timeout: float) -> Iterator[Outcome]:
        """Every page as it arrives; on a failure, one Failure at the page it stopped, and no more."""
        page = 0
        try:
            pager = getattr(client, self.method)(request=self.body, retry=retry, timeout=timeout)
            pages: Iterable[Any] = pager.pages
            for page, response in enumerate(pages, start=1):
                yield Response(self.call(page), self.convert(response), now())
        except Exception as e:  # fail closed: every failure becomes an evidence error
            error = describe_error(e, self.operation, self.permission, self.scope)
            yield Failure(self.call(page + 1), error, now())


def plan(settings: GcpConfig, scope: str) -> list[_Request]:
    """The requests one collection makes over a scope."""
    requests = []
    for content_type, types, permission in (
        ("RESOURCE", ASSET_TYPES, LIST_RESOURCE),
        ("IAM_POLICY", POLICY_TYPES, LIST_IAM_POLICY),
    ):
        body = {
            "parent": scope,
            "content_type": content_type,
            "asset_types": list(types),
            "page_size": settings.page_size,
        }
        parameters = {"content_type": content_type, "asset_types": list(types)}
        requests.append(
            _Request(scope, "ListAssets", parameters, permission, "list_assets", body, _assets_page)
        )
    body = {"scope": scope, "page_size": min(settings.page_size, 500)}  # the API's maximum is 500
    requests.append(
        _Request(
            scope,
            "SearchAllIamPolicies",
            {},
            SEARCH_IAM_POLICIES,
            "search_all_iam_policies",
            body,
            _results_page,
        )
    )
    return requests


class CloudAssetCollector:
    """Resources, their IAM policies (with the folders and organization above) and a policy search,
    over one organization, folder or project (the scope's `account`)."""

    service = "cloudasset"
    permissions = GCP_PERMISSIONS

    def __init__(self, settings: GcpConfig) -> None:
        self.settings = settings

    def requests(self, scope: Scope) -> list[_Request]:
        return plan(self.settings, scope.account)

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        retry = default_retry(self.settings.timeout)
        for request in self.requests(scope):
            yield from request.run(client, retry, self.settings.timeout)


def _default_client() -> Any:
    from google.cloud.asset_v1 import AssetServiceClient

    return AssetServiceClient()  # Application Default Credentials


def collect_gcp(
    settings: GcpConfig, sink: EvidenceSink, progress: Progress | None = None, *, client: Any = None
) -> int:
    """Collect `[gcp] scope` into the sink; returns the number of requests that failed."""
    if settings.scope is None:
        return 0
    scope = settings.scope
    progress = progress or NoProgress()
    if client is None:
        try:
            client = _default_client()
        except Exception as e:  # DefaultCredentialsError and the like: no call can run
            return _no_client(settings, sink, scope, e)
    collector = CloudAssetCollector(settings)
    where = Scope("gcp", scope, "global")
    requests = collector.requests(where)
    keys = [(r.operation, r.parameters) for r in requests]
    progress.add(len(requests))
    failed = advanced = 0
    for outcome in collector.collect(client, where):
        store(sink, outcome)
        failed += isinstance(outcome, Failure)
        # A request is done once the next one's outcomes arrive.
        for request in requests[advanced : keys.index((outcome.call.operation, outcome.call.parameters))]:
            progress.advance(request.label)
            advanced += 1
    for request in requests[advanced:]:
        progress.advance(request.label)
    return failed


def _no_client(settings: GcpConfig, sink: EvidenceSink, scope: str, exc: Exception) -> int:
    message = (
        f"cannot create a Cloud Asset client ({exc}); run `gcloud auth application-default login` "
        "or set GOOGLE_APPLICATION_CREDENTIALS"
    )
    requests = plan(settings, scope)
    for request in requests:
        error = CallError(code="NoCredentials", message=message, permission=request.permission)
        sink.record_error(request.call(1), error, now())
    return len(requests)
