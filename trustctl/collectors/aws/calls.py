"""Make one AWS call or walk a paginator, turning every failure into a Failure with its reason.

Nothing is swallowed: AccessDenied, throttling after retries, timeouts and unreachable endpoints all
become evidence errors that name the call and the permission to grant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # botocore is imported where an error is classified: `check` reads declarations only
    from botocore.exceptions import ClientError

from trustctl.collectors.base import Failure, Outcome, Response, Scope, now
from trustctl.evidence.records import Call, CallError

THROTTLING = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "ThrottledException",
        "SlowDown",
    }
)
DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredToken",
    }
)


# Where a member of an output shape is read from when it is not in the body.
OUTSIDE_BODY = frozenset({"header", "headers", "statusCode"})


class EmptyResponse(Exception):
    """A 2xx answer without a body to an operation whose answer is a document."""


def refuse_empty_document(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore `before-parse` handler: an empty 2xx body is not an empty result.

    botocore parses a zero-length JSON or REST body as `{}`, so a proxy or service answering nothing
    would read as "no selections, no trails, no policy". An empty XML document such as S3's
    `<VersioningConfiguration/>` has a body and is a real answer; only zero bytes are refused.
    """
    if not 200 <= int(response_dict.get("status_code", 0)) < 300 or operation_model.has_streaming_output:
        return
    if response_dict.get("body"):
        return
    shape = operation_model.output_shape
    members = shape.members.values() if shape is not None else ()
    if any(m.serialization.get("location") not in OUTSIDE_BODY for m in members):
        raise EmptyResponse(
            f"{operation_model.name} returned an empty response where the API returns a document "
            "(an endpoint or proxy answered without a body); collect again"
        )


def operation_name(client: Any, method: str) -> str:
    return str(client.meta.method_to_api_mapping[method])


def permission_for(client: Any, method: str) -> str:
    prefix = client.meta.service_model.signing_name
    return f"{prefix}:{operation_name(client, method)}"


XML_ERROR = re.compile(r"<Code>(?P<code>[^<]+)</Code>.*?<Message>(?P<message>[^<]*)</Message>", re.S)


def _client_error(exc: ClientError) -> tuple[str, str]:
    """Code and one-line message, also when an XML error body reached a JSON protocol (proxies, emulators)."""
    code = str(exc.response.get("Error", {}).get("Code", "ClientError"))
    message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    xml = XML_ERROR.search(message)
    if xml:
        code, message = xml.group("code"), xml.group("message")
    return code, " ".join(message.split())


def describe_error(exc: Exception, client: Any, method: str) -> CallError:
    """Classify a boto3 failure into code, a message a person can act on, and the permission."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        ReadTimeoutError,
    )

    permission = permission_for(client, method)
    operation = operation_name(client, method)
    if isinstance(exc, ClientError):
        code, message = _client_error(exc)
        if code in DENIED:
            message = (
                f"{operation} was denied ({message}); grant {permission} (see `trustctl permissions aws`)"
            )
        elif code in THROTTLING:
            attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
            message = f"{operation} was still throttled after {attempts + 1} attempt(s) ({message})"
        else:
            message = f"{operation} failed ({code}): {message}"
        return CallError(code=code, message=message, permission=permission)
    if isinstance(exc, EmptyResponse):
        return CallError(code="EmptyResponse", message=str(exc), permission=permission)
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return CallError(code="Timeout", message=f"{operation} timed out ({exc})", permission=permission)
    if isinstance(exc, EndpointConnectionError):
        return CallError(
            code="EndpointConnectionError",
            message=f"{operation}: cannot reach the endpoint ({exc})",
            permission=permission,
        )
    if isinstance(exc, NoCredentialsError):
        return CallError(
            code="NoCredentials",
            message=f"{operation}: no AWS credentials found (set AWS_PROFILE or run `aws sso login`)",
            permission=permission,
        )
    if isinstance(exc, BotoCoreError):
        return CallError(code=type(exc).__name__, message=f"{operation} failed: {exc}", permission=permission)
    return CallError(
        code=type(exc).__name__, message=f"{operation} failed unexpectedly: {exc}", permission=permission
    )


def _call_record(client: Any, method: str, scope: Scope, params: dict[str, Any], page: int) -> Call:
    return Call(
        provider=scope.provider,
        account=scope.account,
        region=scope.region,
        service=client.meta.service_model.service_name,
        operation=operation_name(client, method),
        parameters=params,
        page=page,
    )


def call(
    client: Any, method: str, scope: Scope, *, absent: frozenset[str] = frozenset(), **params: Any
) -> Outcome:
    """One request. Error codes in `absent` mean "there is none" (e.g. no password policy): evidence too."""
    record = _call_record(client, method, scope, params, 1)
    try:
        data = getattr(client, method)(**params)
    except Exception as e:  # fail closed: every failure is recorded, none is silent
        from botocore.exceptions import ClientError

        code = str(e.response.get("Error", {}).get("Code", "")) if isinstance(e, ClientError) else ""
        if code and code in absent:
            message = e.response["Error"].get("Message", "")  # type: ignore[attr-defined]
            return Response(record, {"Absent": {"Code": code, "Message": message}}, now())
        return Failure(record, describe_error(e, client, method), now())
    return Response(record, data, now())


def paginate(client: Any, method: str, scope: Scope, **params: Any) -> Iterator[Outcome]:
    """Every page of a paginated operation; a failure mid-way is recorded and ends the walk."""
    page = 0
    try:
        for page, data in enumerate(client.get_paginator(method).paginate(**params), start=1):
            yield Response(_call_record(client, method, scope, params, page), data, now())
    except Exception as e:
        yield Failure(
            _call_record(client, method, scope, params, page + 1), describe_error(e, client, method), now()
        )
