"""Fault injection for the moto test server: every request of one AWS operation fails in a chosen way.

`FaultInjector` is WSGI middleware in front of moto (`moto_server(middleware=...)`). It recognises an
operation the way AWS routes it, from botocore's own service model: the X-Amz-Target header (JSON
protocol), the `Action` parameter and API version (query and EC2 protocols, in the query string or the
form body), or the method and path template (REST-JSON, REST-XML); the SigV4 credential scope names
the service (sso-admin signs as `sso`, S3 Control as `s3`). A matched request is answered with:

- `deny`: the protocol's access-denied error (AccessDenied, AccessDeniedException, UnauthorizedOperation),
- `throttle`: the protocol's throttling error, on every attempt, so the SDK's retries run out,
- `timeout`: nothing until the client's read timeout has passed (`hold` seconds),
- `503`: HTTP 503 with an empty body (a load balancer in trouble),
- `empty`: HTTP 200 with an empty body where the API returns a document.

Every other request goes to moto unchanged.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import botocore.session

CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")


class Fault(StrEnum):
    DENY = "deny"
    THROTTLE = "throttle"
    TIMEOUT = "timeout"
    UNAVAILABLE = "503"
    EMPTY = "empty"


@dataclass(frozen=True, order=True)
class Operation:
    """One AWS API operation, by botocore service name (the name boto3.client takes)."""

    service: str
    name: str

    def __str__(self) -> str:
        return f"{self.service}:{self.name}"


# (HTTP status, error code) of each error fault, per protocol, as AWS answers them.
ERRORS: dict[str, dict[Fault, tuple[int, str]]] = {
    "query": {Fault.DENY: (403, "AccessDenied"), Fault.THROTTLE: (400, "Throttling")},
    "ec2": {Fault.DENY: (403, "UnauthorizedOperation"), Fault.THROTTLE: (503, "RequestLimitExceeded")},
    "json": {Fault.DENY: (400, "AccessDeniedException"), Fault.THROTTLE: (400, "ThrottlingException")},
    "rest-json": {Fault.DENY: (403, "AccessDeniedException"), Fault.THROTTLE: (429, "ThrottlingException")},
    "rest-xml": {Fault.DENY: (403, "AccessDenied"), Fault.THROTTLE: (503, "SlowDown")},
}
REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


class Route:
    """How requests of one operation are recognised, from botocore's model of its service."""

    def __init__(self, operation: Operation) -> None:
        service = botocore.session.get_session().get_service_model(operation.service)
        model = service.operation_model(operation.name)
        self.operation = operation
        self.protocol = str(service.resolved_protocol)
        if self.protocol not in ERRORS:
            raise ValueError(f"{operation}: no fault shapes for the {self.protocol} protocol")
        self.signing_name = str(service.signing_name)
        self.api_version = str(service.api_version)
        self.target = f"{service.metadata.get('targetPrefix')}.{operation.name}"
        self.json_version = str(service.metadata.get("jsonVersion", "1.0"))
        self.method = str(model.http.get("method", "POST"))
        path, _, query = str(model.http.get("requestUri", "/")).partition("?")
        # {Label} is one path segment, {Label+} the rest of the path.
        pattern = re.sub(r"\\\{\w+\\\+\\\}", ".+", re.escape(path))
        self.path = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", pattern) + "$")
        # Markers such as S3's ?encryption tell operations on the same path apart.
        self.markers = {part.split("=", 1)[0] for part in query.split("&") if part}

    def matches(self, environ: WSGIEnvironment, params: dict[str, list[str]]) -> bool:
        scope = CREDENTIAL_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if scope is None or scope.group(1) != self.signing_name:
            return False
        if self.protocol == "json":
            return bool(environ.get("HTTP_X_AMZ_TARGET") == self.target)
        if self.protocol in ("query", "ec2"):
            # elb and elbv2 share a signing name and operation names; the API version tells them apart.
            action, version = params.get("Action"), params.get("Version", [self.api_version])
            return action == [self.operation.name] and version == [self.api_version]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        return (
            environ.get("REQUEST_METHOD") == self.method
            and bool(self.path.match(environ.get("PATH_INFO", "")))
            and self.markers <= set(query)
        )

    def answer(self, fault: Fault) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) of `fault` in this protocol (not for timeouts)."""
        content_type = {
            "json": f"application/x-amz-json-{self.json_version}",
            "rest-json": "application/json",
        }.get(self.protocol, "text/xml")
        if fault is Fault.EMPTY:
            return 200, [("Content-Type", content_type)], b""
        if fault is Fault.UNAVAILABLE:
            return 503, [("Content-Type", "text/plain")], b""
        status, code = ERRORS[self.protocol][fault]
        message = f"injected {fault.value} for {self.operation}"
        headers = [("Content-Type", content_type)]
        if self.protocol == "json":
            body = json.dumps({"__type": code, "message": message})
        elif self.protocol == "rest-json":
            headers.append(("x-amzn-ErrorType", code))
            body = json.dumps({"message": message})
        elif self.protocol == "ec2":
            body = (
                f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>fault</RequestID></Response>"
            )
        elif self.protocol == "query":
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>fault</RequestId></ErrorResponse>"
            )
        else:
            body = (
                f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
            )
        return status, headers, body.encode()


class FaultInjector:
    """WSGI middleware: while armed, every request of one operation fails with one fault.

    Pass `injector.wrap` as `moto_server(middleware=...)`; the server builds its app in its own thread.
    """

    def __init__(self, hold: float = 3.0) -> None:
        self.app: WSGIApplication | None = None
        self.hold = hold
        self._lock = threading.Lock()
        self._route: Route | None = None
        self._fault: Fault | None = None
        self._released = threading.Event()
        self.hits = 0

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        self.app = app
        return self

    def arm(self, operation: Operation, fault: Fault) -> None:
        route = Route(operation)
        with self._lock:
            self._route, self._fault, self.hits = route, fault, 0
            self._released = threading.Event()

    def disarm(self) -> None:
        with self._lock:
            self._route, self._fault = None, None
            self._released.set()  # held requests end now

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None, "FaultInjector.wrap was never called"
        with self._lock:
            route, fault, released = self._route, self._fault, self._released
        if route is None or fault is None:
            return self.app(environ, start_response)
        if not route.matches(environ, self._params(environ)):
            return self.app(environ, start_response)
        with self._lock:
            self.hits += 1
        if fault is Fault.TIMEOUT:
            released.wait(self.hold)  # the client gave up long before; the answer goes nowhere
            fault = Fault.UNAVAILABLE
        status, headers, body = route.answer(fault)
        start_response(f"{status} {REASONS[status]}", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _params(environ: WSGIEnvironment) -> dict[str, list[str]]:
        """Query string and form body parameters; the body is put back for moto to read."""
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size) if size else b""
            environ["wsgi.input"] = io.BytesIO(body)
            for key, values in parse_qs(body.decode("utf-8", "replace")).items():
                params.setdefault(key, []).extend(values)
        return params
