"""boto3 sessions and clients, with adaptive retries and a guard that refuses any undeclared call.

Retries are for what can succeed when tried again (throttling, 5xx from a busy service, dropped
connections); an answer that says the request itself cannot succeed (an unknown operation, 404 or
NotFound, AccessDenied, a validation error) is final on its first attempt (`final_error`).

The guard is defence in depth: collectors only call read operations, and every client trustctl
creates refuses, before anything is sent, an operation that no collector declares (the same
declarations `trustctl permissions aws` prints). A name pattern is not enough: `s3:GetObject`,
`lambda:GetFunction` or `ec2:DescribeInstanceAttribute` look like reads and return secrets.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from trustctl import __version__
from trustctl.collectors.aws.calls import DENIED, THROTTLING, refuse_empty_document
from trustctl.config import AwsConfig
from trustctl.errors import ReadOnlyViolation, TrustctlError

if TYPE_CHECKING:  # boto3 loads when a collection starts: `check` and the reports never pay for it
    import boto3

# Reads that return secret values: refused even if a collector declared one by mistake.
SECRET_READS = frozenset(
    {
        "GetSecretValue",
        "BatchGetSecretValue",
        "GetParameter",
        "GetParameters",
        "GetParametersByPath",
        "GetParameterHistory",
        "GetPasswordData",
        "GetAuthorizationToken",
        "GetSessionToken",
        "GetFederationToken",
        "GetObject",
        "GetFunction",
        "GetFunctionConfiguration",
        "DescribeInstanceAttribute",
        "Decrypt",
        "GenerateDataKey",
    }
)

ClientHook = Callable[[Any], None]

# Error codes no retry can change: the request, the caller or the operation is wrong, not the moment.
FINAL_CODES = DENIED | frozenset(
    {
        "InvalidAction",
        "UnknownOperationException",
        "UnknownOperation",
        "NotImplemented",
        "InvalidParameterValue",
        "InvalidParameterCombination",
        "MissingParameter",
        "ValidationError",
        "ValidationException",
        "InvalidRequest",
        "OptInRequired",
    }
)
# Statuses a retry can change: throttling (429), timeouts (408) and conflicts of the moment (409).
RETRIABLE_4XX = frozenset({408, 409, 429})


def final_error(status: int | None, code: str | None, body: bytes = b"") -> bool:
    """Whether an error answer cannot succeed on retry, so the first attempt is the last.

    Throttling (by code or 429) is never final: it keeps its adaptive retries. 4xx other than 408,
    409 and 429 is final (404/NotFound, AccessDenied, validation); so are 501, the codes of
    FINAL_CODES whatever their status, and a 500 whose body is a web page rather than an API error:
    an application crashed on the operation (an emulator that lacks it), where AWS's own 500s, which
    are worth retrying, come in the API's format."""
    if code in THROTTLING or status == 429:
        return False
    if code in FINAL_CODES or status == 501:
        return True
    if status == 500 and body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return True
    return status is not None and 400 <= status < 500 and status not in RETRIABLE_4XX


class _FinalErrorsFirst:
    """A botocore retry checker: none for `final_error` answers, otherwise botocore's own decision."""

    def __init__(self, checker: Any) -> None:
        self._checker = checker

    def is_retryable(self, context: Any) -> bool:
        response = context.http_response
        status = getattr(response, "status_code", None)
        body = getattr(response, "content", b"") if status == 500 else b""
        if final_error(status, context.get_error_code(), body if isinstance(body, bytes) else b""):
            return False
        return bool(self._checker.is_retryable(context))


def fail_fast_on_final_errors(client: Any) -> bool:
    """Make the client's standard/adaptive retry handler skip retries of `final_error` answers.

    botocore exposes no setting for this; its handler is found by the unique id botocore registers it
    under. Returns whether it was found (tests assert it, so a botocore change cannot pass silently)."""
    name = client.meta.service_model.service_id.hyphenize()
    emitter = getattr(client.meta.events, "_emitter", client.meta.events)
    entry = getattr(emitter, "_unique_id_handlers", {}).get(f"retry-config-{name}")
    handler = getattr(entry.get("handler") if entry else None, "__self__", None)
    policy = getattr(handler, "_retry_policy", None)
    if policy is None or not hasattr(policy, "_retry_checker"):
        return False
    if not isinstance(policy._retry_checker, _FinalErrorsFirst):
        policy._retry_checker = _FinalErrorsFirst(policy._retry_checker)
    return True


def qualified(model: Any) -> str:
    """`signing-name:Operation`, the form collectors declare (`s3:ListBuckets`, `sso:ListInstances`)."""
    return f"{model.service_model.signing_name}:{model.name}"


def is_allowed(operation: str, allowed: Collection[str]) -> bool:
    """Whether a `signing-name:Operation` may be sent: declared, and not a secret-returning read."""
    return operation in allowed and operation.partition(":")[2] not in SECRET_READS


def _guard(allowed: frozenset[str]) -> Callable[..., None]:
    def guard(model: Any, **_: Any) -> None:
        name = qualified(model)
        if not is_allowed(name, allowed):
            raise ReadOnlyViolation(
                f"refused to call {name}: no trustctl collector declares it "
                "(trustctl only sends the read operations `trustctl permissions aws` lists)"
            )

    return guard


@dataclass(frozen=True)
class AssumedSession:
    """An assumed role's temporary credentials, used through the one shared boto3 session.

    A boto3 session per member account would load every service model again (tens of MB and
    tens of milliseconds per client); the credentials are held in memory only, never stored.
    """

    base: boto3.Session
    credentials: dict[str, str] = field(repr=False)

    @property
    def region_name(self) -> str | None:
        region: str | None = self.base.region_name
        return region


def drop_account_prefix(request: Any, **_: Any) -> None:
    """botocore's s3control endpoint rules put the account id in the host even when host prefix
    injection is disabled (AWS_DISABLE_HOST_PREFIX_INJECTION, used for local endpoints such as
    127.0.0.1 where ACCOUNT.127.0.0.1 cannot resolve). S3 Control also reads the account from the
    x-amz-account-id header, so the prefix can go."""
    account = request.headers.get("x-amz-account-id")
    if isinstance(account, bytes):
        account = account.decode()
    parts = urlsplit(request.url)
    if account and parts.netloc.startswith(f"{account}."):
        request.url = urlunsplit(parts._replace(netloc=parts.netloc[len(account) + 1 :]))


def honour_host_prefix_setting(s3control: Any) -> None:
    """Keep the account id out of an S3 Control client's host when host prefix injection is off."""
    if not s3control.meta.config.inject_host_prefix:
        s3control.meta.events.register(
            "before-sign.s3-control", drop_account_prefix, unique_id="trustctl-s3control-host"
        )


class ClientFactory:
    """One client per (account, service, region), all from one boto3 session; client creation is
    serialised (boto3 sessions are not thread-safe), calls are not."""

    def __init__(
        self,
        settings: AwsConfig,
        hooks: list[ClientHook] | None = None,
        allowed: Collection[str] | None = None,
    ) -> None:
        """`allowed`: the operations clients may send; by default those the default collectors declare."""
        if allowed is None:
            from trustctl.collectors.aws.runner import declared_operations  # runner imports this module

            allowed = declared_operations()
        self.settings = settings
        self.hooks = list(hooks or [])
        self._allowed = frozenset(allowed)
        self._guard = _guard(self._allowed)
        self._lock = threading.Lock()
        self._base: boto3.Session | None = None
        from botocore.config import Config as BotoConfig

        self._botocore_config = BotoConfig(
            retries={"mode": "adaptive", "max_attempts": settings.max_attempts},
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            user_agent_extra=f"trustctl/{__version__}",
            # A client is shared by a collector's own pool (S3's 16 bucket readers) and the runner's.
            max_pool_connections=max(16, settings.max_workers),
        )

    def base_session(self) -> boto3.Session:
        if self._base is not None:
            return self._base
        import boto3
        import botocore.session
        from botocore.exceptions import ProfileNotFound

        from trustctl.collectors.botocore_models import pruned_loader

        try:
            core = botocore.session.get_session()
            if self.settings.profile is not None:
                core.set_config_variable("profile", self.settings.profile)
            # Clients know the declared operations only: less memory and time per client (botocore_models.py).
            loader = pruned_loader(self._allowed, core.get_config_variable("data_path"))
            core.register_component("data_loader", loader)
            self._base = boto3.Session(botocore_session=core, profile_name=self.settings.profile)
            return self._base
        except ProfileNotFound:
            raise TrustctlError(
                f"AWS profile '{self.settings.profile}' was not found in the AWS config or credentials files.",
                "Set [aws] profile in trustctl.toml (or AWS_PROFILE) to a profile `aws configure list-profiles` shows.",
            ) from None

    def session_from_credentials(self, credentials: dict[str, Any]) -> AssumedSession:
        keys = {
            "aws_access_key_id": str(credentials["AccessKeyId"]),
            "aws_secret_access_key": str(credentials["SecretAccessKey"]),
            "aws_session_token": str(credentials["SessionToken"]),
        }
        return AssumedSession(self.base_session(), keys)

    def client(self, session: boto3.Session | AssumedSession, service: str, region: str) -> Any:
        with self._lock:
            if isinstance(session, AssumedSession):
                client = session.base.client(
                    service, region_name=region, config=self._botocore_config, **session.credentials
                )
            else:
                client = session.client(service, region_name=region, config=self._botocore_config)
        fail_fast_on_final_errors(client)
        client.meta.events.register("before-call", self._guard)
        client.meta.events.register("before-parse", refuse_empty_document, unique_id="trustctl-empty-body")
        if service == "s3control":
            honour_host_prefix_setting(client)
        for hook in self.hooks:
            hook(client)
        return client


def default_region(session: boto3.Session | AssumedSession) -> str:
    """The session's region (AWS_DEFAULT_REGION, the profile, AWS_REGION), or us-east-1 for global services."""
    return session.region_name or os.environ.get("AWS_REGION") or "us-east-1"
