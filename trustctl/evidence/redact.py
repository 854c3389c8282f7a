"""Redaction of credentials at the one point where responses and errors enter the locker.

Secret-bearing fields are dropped by name when a response is made canonical (`canonical.SECRET_FIELDS`);
this catches the rest: a credential that turns up inside a value, such as a SCIM app that echoes
the bearer token in its 401 body, or an error message quoting a header. Known shapes (bearer
tokens, AWS access key ids, private keys, credentials in URLs and query strings) and the exact
values of the credentials this run was given (the configured token variables, the AWS secret key
and session token) are replaced before the evidence is hashed, so the locker never holds them.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable

from trustctl.evidence.canonical import canonical_bytes
from trustctl.evidence.records import Call

REDACTED = "[redacted]"
# Shorter values are too likely to occur as ordinary text (moto's test secret is "testing").
MIN_KNOWN_LENGTH = 8
# Credentials a process may hold in its environment whatever the configuration says.
CREDENTIAL_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "TRUSTCTL_SIGNING_KEY",
)

# Each pattern keeps a harmless prefix (group 1) and replaces what follows. None can match a quote
# or a backslash outside an escape, so replacing inside canonical JSON keeps it valid JSON.
_SHAPES = (
    r"((?i:\bbearer)\s+)[A-Za-z0-9\-._~+/]{6,}=*",
    r"()\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
    r"(-----BEGIN [A-Z ]*PRIVATE KEY-----)[A-Za-z0-9+/=\s\\]*?(?=-----END [A-Z ]*PRIVATE KEY-----)",
    r"(://[^\s:/@\"\\]+:)[^\s/@\"\\]+(?=@)",
    r"((?i:\b(?:x-amz-security-token|x-amz-credential|aws_secret_access_key|aws_session_token|access_token"
    r"|client_secret|password))=)[^&\s\"\\]+",
)


# Literals (lowercase) at least one of which every shape above contains: a response holding none of
# them, nor a known value, nor a credential in a URL, is stored as it is without the full scan.
_TRIGGERS = (
    b"bearer",
    b"akia",
    b"asia",
    b"abia",
    b"acca",
    b"private key-----",
    b"token=",
    b"credential=",
    b"secret_access_key=",
    b"client_secret=",
    b"password=",
)
_URL_CREDENTIAL = re.compile(_SHAPES[3].encode())


class Redactor:
    """Replaces credential shapes and known credential values in text and canonical JSON."""

    def __init__(self, known: Iterable[str] = ()) -> None:
        values = sorted({v for v in known if v and len(v) >= MIN_KNOWN_LENGTH}, key=len, reverse=True)
        # In canonical JSON a value appears in its escaped form.
        escaped = [json.dumps(v, ensure_ascii=False)[1:-1] for v in values]
        literals = [f"()(?:{'|'.join(re.escape(v) for v in {*values, *escaped})})"] if values else []
        self._text = re.compile("|".join(f"(?:{p})" for p in (*_SHAPES, *literals)))
        self._bytes = re.compile(self._text.pattern.encode("utf-8"))
        self._triggers = _TRIGGERS + tuple(v.lower().encode("utf-8") for v in {*values, *escaped})

    @staticmethod
    def _keep_prefix(match: re.Match[str]) -> str:
        prefix = next((g for g in match.groups() if g is not None), "")
        return prefix + REDACTED

    @staticmethod
    def _keep_prefix_bytes(match: re.Match[bytes]) -> bytes:
        prefix = next((g for g in match.groups() if g is not None), b"")
        return prefix + REDACTED.encode()

    def text(self, value: str) -> str:
        return self._text.sub(self._keep_prefix, value)

    def json_bytes(self, data: bytes) -> bytes:
        """Canonical JSON with every credential replaced, still canonical (a key may have changed)."""
        lowered = data.lower()
        if not any(t in lowered for t in self._triggers) and _URL_CREDENTIAL.search(data) is None:
            return data
        if self._bytes.search(data) is None:
            return data
        return canonical_bytes(json.loads(self._bytes.sub(self._keep_prefix_bytes, data)))

    def call(self, call: Call) -> Call:
        """A request whose parameters carry no credential (a URL with a password, a token parameter)."""
        if not call.parameters:
            return call
        data = canonical_bytes(call.parameters)
        clean = self.json_bytes(data)
        return call if clean is data else call.model_copy(update={"parameters": json.loads(clean)})


def from_environment(variables: Iterable[str] = ()) -> Redactor:
    """A redactor for the credential values held in `variables` and the standard AWS ones."""
    names = {*CREDENTIAL_VARIABLES, *variables}
    return Redactor(os.environ.get(name, "") for name in names)
