"""Credentials never enter the locker: known shapes and the configured token values are redacted at the
one point where responses and errors are recorded, before hashing. A canary SCIM app echoes the bearer
token in its 401 body; nothing downstream (locker, packs, check JSON, leavers) may hold it."""

from __future__ import annotations

import gzip
import json
import lzma
import tarfile
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from trustctl.demo import identity as demo
from trustctl.evidence.canonical import canonical_bytes
from trustctl.evidence.records import Call
from trustctl.evidence.redact import REDACTED, Redactor

CANARY = "canary-7Hq2Zx9PkLw4Rt8Ys3Vb"  # the bearer token the echoing app is given
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (f"bad token Bearer {CANARY}", "bad token Bearer "),
        (f"Authorization: bearer {CANARY}==", "Authorization: bearer "),
        (f"key {AWS_KEY_ID} is not valid", "key  is not valid"),
        (f"GET https://svc:{CANARY}@scim.example/Users failed", "GET https://svc:@scim.example/Users failed"),
        (f"/Users?access_token={CANARY}&count=2", "/Users?access_token=&count=2"),
        (f"secret is {CANARY}.", "secret is ."),  # a known value, whatever its shape
    ],
)
def test_shapes_and_known_values_are_redacted(text: str, kept: str) -> None:
    redacted = Redactor([CANARY]).text(text)
    assert CANARY not in redacted and AWS_KEY_ID not in redacted
    assert redacted.replace(REDACTED, "") == kept


def test_redacted_json_stays_canonical_and_untouched_json_is_the_same_object() -> None:
    redactor = Redactor([CANARY])
    clean = canonical_bytes({"a": "nothing to see", "n": 1})
    assert redactor.json_bytes(clean) is clean
    data = canonical_bytes(
        {
            "detail": f"Bearer {CANARY}",
            "z": {CANARY: "as a key"},
            "key": "-----BEGIN PRIVATE KEY-----\nMIIEv\nQ==\n-----END PRIVATE KEY-----\n",
        }
    )
    out = redactor.json_bytes(data)
    parsed = json.loads(out)
    assert canonical_bytes(parsed) == out and CANARY.encode() not in out and b"MIIEv" not in out
    assert parsed["detail"] == f"Bearer {REDACTED}" and parsed["z"] == {REDACTED: "as a key"}


def test_short_known_values_are_not_treated_as_secrets() -> None:
    # moto's test credentials are "testing": redacting that word everywhere would corrupt evidence.
    assert Redactor(["testing"]).text("testing 1 2 3") == "testing 1 2 3"


def test_call_parameters_are_redacted() -> None:
    call = Call(
        provider="identity",
        account="scim:x",
        region="global",
        service="scim",
        operation="ListUsers",
        parameters={"url": f"https://u:{CANARY}@h/v2", "count": 2},
    )
    assert CANARY not in json.dumps(Redactor().call(call).parameters)
    plain = call.model_copy(update={"parameters": {"count": 2}})
    assert Redactor().call(plain) is plain


class _Echo(BaseHTTPRequestHandler):
    """A SCIM app that answers 401 and quotes the Authorization header it got."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "401",
                "detail": f"bad token {self.headers.get('Authorization')}",
            }
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/scim+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def echo_app() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v2"
    server.shutdown()
    server.server_close()


def _locker_bytes(locker: Path) -> Iterator[tuple[Path, bytes]]:
    for path in locker.rglob("*"):
        if not path.is_file() or path.suffix == ".pem":
            continue
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            yield path, gzip.decompress(data)
        elif path.name.endswith(".tar.xz"):
            with tarfile.open(fileobj=__import__("io").BytesIO(lzma.decompress(data))) as tar:
                for member in tar.getmembers():
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        yield path / member.name, extracted.read()
        else:
            yield path, data


def test_a_token_echoed_in_a_401_body_reaches_nothing(
    project: Path, cli: Callable[..., Any], echo_app: str
) -> None:
    demo.write_files(project)
    config = project / "trustctl.toml"
    text = config.read_text().replace("[identity]\n", "[identity]\n" + demo.identity_config(), 1)
    config.write_text(
        text + f'\n[[identity.scim]]\nname = "echo"\nurl = "{echo_app}"\ntoken_env = "ECHO_SCIM_TOKEN"\n'
    )
    env = {"ECHO_SCIM_TOKEN": CANARY}
    collected = cli("collect", "identity", env=env)
    assert collected.code == 3, collected.stderr  # the app's evidence is an error, named
    assert "scim:echo" in collected.stdout + collected.stderr
    checked = cli("check", "--format", "json", env=env)
    leavers = cli("identity", "leavers", "--format", "json", env=env)
    outputs = collected.stdout + collected.stderr + checked.stdout + checked.stderr + leavers.stdout
    assert "bad token Bearer [redacted]" in outputs  # the reason is kept, the token is not
    assert CANARY not in outputs
    for path, data in _locker_bytes(project / ".trustctl"):
        assert CANARY.encode() not in data, path
