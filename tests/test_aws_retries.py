"""Retries: an answer that cannot change on retry is final at once, throttling and AWS 5xx keep retrying.

A moto server (over real HTTP) answers one IAM operation with a chosen error through WSGI middleware
and counts the attempts a trustctl client makes.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

import pytest
from botocore.exceptions import ClientError

from trustctl.collectors.aws.clients import ClientFactory, fail_fast_on_final_errors, final_error
from trustctl.config import AwsConfig
from trustctl.demo.server import moto_server

OPERATION = b"Action=GetAccountSummary"
HTML = b"<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"


def _xml(code: str) -> bytes:
    return (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error>"
        "<RequestId>r-1</RequestId></ErrorResponse>"
    ).encode()


# name -> (status, content type, body)
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "not-found": (404, "text/xml", _xml("NoSuchEntity")),
    "denied": (403, "text/xml", _xml("AccessDenied")),
    "validation": (400, "text/xml", _xml("ValidationError")),
    "crash-page": (500, "text/html", HTML),
    "not-implemented": (501, "text/xml", _xml("NotImplemented")),
    "internal": (500, "text/xml", _xml("InternalFailure")),
    "throttled": (400, "text/xml", _xml("Throttling")),
}
REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 501: "x"}


class Injector:
    """Answers GetAccountSummary with `self.answer` and counts its attempts; the rest goes to moto."""

    def __init__(self) -> None:
        self.app: WSGIApplication | None = None
        self.answer = "internal"
        self.hits = 0
        self._lock = threading.Lock()

    def wrap(self, app: WSGIApplication) -> WSGIApplication:
        self.app = app
        return self

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        assert self.app is not None
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size) if size else b""
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if OPERATION not in body and not target.endswith(".ListTables"):
            return self.app(environ, start_response)
        with self._lock:
            self.hits += 1
        status, content_type, payload = ANSWERS[self.answer]
        start_response(
            f"{status} {REASONS[status]}",
            [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
        )
        return [payload]


@pytest.fixture(scope="module")
def injected() -> Iterator[Injector]:
    injector = Injector()
    with moto_server(middleware=injector.wrap):
        yield injector


@pytest.fixture(scope="module")
def iam(injected: Injector) -> Any:
    factory = ClientFactory(AwsConfig(max_attempts=2), allowed=["iam:GetAccountSummary"])
    return factory.client(factory.base_session(), "iam", "us-east-1")


@pytest.mark.parametrize(
    ("answer", "attempts"),
    [
        ("not-found", 1),
        ("denied", 1),
        ("validation", 1),
        ("crash-page", 1),
        ("not-implemented", 1),
        ("internal", 3),  # AWS's own 500: worth retrying (max_attempts 2 = 2 retries)
        ("throttled", 3),  # throttling keeps its adaptive retries
    ],
)
def test_only_errors_that_can_change_are_retried(
    injected: Injector, iam: Any, answer: str, attempts: int
) -> None:
    injected.answer, injected.hits = answer, 0
    with pytest.raises(Exception):  # noqa: B017  (ClientError, or botocore's parser error for a web page)
        iam.get_account_summary()
    assert injected.hits == attempts


def test_a_crash_page_from_a_json_api_is_not_retried(injected: Injector) -> None:
    """JSON protocols read an HTML 500 as a generic 500, which botocore alone would retry."""
    factory = ClientFactory(AwsConfig(max_attempts=2), allowed=["dynamodb:ListTables"])
    dynamodb = factory.client(factory.base_session(), "dynamodb", "us-east-1")
    injected.answer, injected.hits = "crash-page", 0
    with pytest.raises(ClientError):
        dynamodb.list_tables()
    assert injected.hits == 1


def test_every_client_gets_the_policy(injected: Injector) -> None:
    factory = ClientFactory(AwsConfig(), allowed=["s3:ListBuckets"])
    for service in ("s3", "ec2", "dynamodb", "sso-admin"):
        client = factory.client(factory.base_session(), service, "eu-west-1")
        assert fail_fast_on_final_errors(client), f"botocore's retry handler not found on {service}"


def test_final_error_rules() -> None:
    assert final_error(404, "NoSuchBucket")
    assert final_error(400, "AccessDeniedException")
    assert final_error(500, "UnknownOperationException")
    assert final_error(500, None, b"  <html><body>crash</body></html>")
    assert not final_error(500, "InternalError", b"<Error><Code>InternalError</Code></Error>")
    assert not final_error(503, None)
    assert not final_error(400, "ThrottlingException")
    assert not final_error(429, None)
    assert not final_error(503, "SlowDown")
    assert not final_error(None, None)  # a dropped connection: botocore decides
