"""`trustctl trust-share`: a link signed for one recipient verifies with the locker's key (trustctl, the
README's openssl steps, verify.html in headless Chromium), is refused when changed, signed by another key
or expired; refusals write nothing; every share is a signed run in the locker holding no token."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import ROOT, Ran
from trustctl import pipeline
from trustctl.errors import LinkNotValid
from trustctl.evidence import signing
from trustctl.trust import share

Cli = Callable[..., Ran]
BASE = "https://trust.acme.example"


def _init(tmp_path: Path, cli: Cli) -> Path:
    ran = cli("init", "--org", "Acme & Co")
    assert ran.code == 0, ran.stderr
    return tmp_path / ".trustctl" / "locker"


def _runs(locker: Path) -> list[str]:
    return sorted(p.name for p in (locker / "runs").iterdir())


def _share(cli: Cli, *extra: str, env: dict[str, str] | None = None) -> Ran:
    return cli(
        "trust-share", "--to", "Buyer@Globex.example", "--expires", "30d", "--base-url", BASE, *extra, env=env
    )


def _payload(token: str) -> dict[str, object]:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _all_object_bytes(locker: Path) -> bytes:
    return b"".join(p.read_bytes() for p in locker.rglob("*") if p.is_file())


def test_share_prints_a_signed_link_verifies_and_is_recorded_without_the_token(
    tmp_path: Path, cli: Cli
) -> None:
    locker = _init(tmp_path, cli)
    ran = _share(cli, "--nda-accepted")
    assert ran.code == 0, ran.stderr
    link = ran.stdout.strip()
    assert link.startswith(f"{BASE}/documents/?token=")
    token = link.split("token=", 1)[1]
    payload = _payload(token)
    assert payload["to"] == "buyer@globex.example" and payload["docs"] == "all" and payload["nda"] is True
    issued = datetime.fromisoformat(str(payload["iat"]))
    assert datetime.fromisoformat(str(payload["exp"])) - issued == timedelta(days=30)
    assert abs(datetime.now(UTC) - issued) < timedelta(minutes=2)
    fingerprint = signing.fingerprint(signing.load_public_key((locker / "public-key.pem").read_bytes()))
    assert payload["kid"] == fingerprint.removeprefix("sha256:")[:16]

    for args in ((link,), (token,), (link, "--key", str(locker / "public-key.pem"))):
        ok = cli("trust-share", "verify", *args)
        assert ok.code == 0, ok.stderr
        assert ok.stdout.startswith("valid: all for buyer@globex.example, NDA accepted, issued ")
        assert f"id {payload['id']}" in ok.stdout and "(in 29 day(s))" in ok.stdout

    listed = cli("trust-share", "list", "--format", "json")
    assert listed.code == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row["recipient"] == "buyer@globex.example" and row["documents"] == "all"
    assert row["id"] == payload["id"] and row["expires_at"] == payload["exp"] and row["state"] == "active"
    assert row["key"] == fingerprint and row["nda_accepted"] is True
    assert "active   buyer@globex.example  all  issued" in cli("trust-share", "list").stdout
    # The record is a signed run the locker verifies, and nothing in the locker holds the token.
    assert cli("verify").code == 0
    stored = _all_object_bytes(locker)
    assert token.encode() not in stored and token.split(".")[1].encode() not in stored
    assert token.split(".")[0].encode() not in stored


def test_one_document_by_name_and_unknown_names_refused(tmp_path: Path, cli: Cli) -> None:
    locker = _init(tmp_path, cli)
    (tmp_path / "soc2-type2-2026.pdf").write_bytes(b"%PDF-1.4 report")
    added = cli(
        "docs", "add", "soc2-type2-2026.pdf", "--kind", "policy", "--control", "GOV-01",
        "--owner", "ciso@acme.example", "--approved", datetime.now(UTC).date().isoformat(),
    )  # fmt: skip
    assert added.code == 0, added.stderr
    before = _runs(locker)
    missing = _share(cli, "--nda-accepted", "--document", "pentest.pdf")
    assert missing.code == 1
    assert missing.stderr.strip() == (
        "trustctl: error: --document 'pentest.pdf': no such document in the locker; "
        "documents: soc2-type2-2026.pdf."
    )
    assert _runs(locker) == before
    ran = _share(cli, "--nda-accepted", "--document", "soc2-type2-2026.pdf")
    assert ran.code == 0, ran.stderr
    assert ran.stdout.startswith(f"{BASE}/documents/soc2-type2-2026.pdf?token=")
    assert _payload(ran.stdout.strip().split("token=")[1])["docs"] == ["soc2-type2-2026.pdf"]
    assert (
        "valid: soc2-type2-2026.pdf for buyer@globex.example"
        in cli("trust-share", "verify", ran.stdout).stdout
    )


REFUSALS: list[tuple[list[str], str]] = [
    (
        ["--to", "b@globex.example", "--expires", "30d", "--base-url", BASE],
        "--nda-accepted is required: documents are shared only with a recipient who accepted the NDA.",
    ),
    (
        ["--to", "b@globex.example", "--expires", "91d", "--nda-accepted", "--base-url", BASE],
        "--expires 91d: at most 90 days; share again when a longer look is needed.",
    ),
    (
        ["--to", "b@globex.example", "--expires", "13w", "--nda-accepted", "--base-url", BASE],
        "--expires 13w: at most 90 days; share again when a longer look is needed.",
    ),
    (
        ["--to", "b@globex.example", "--expires", "1y", "--nda-accepted", "--base-url", BASE],
        "--expires '1y': give a number of hours, days or weeks (e.g. 12h, 30d, 2w).",
    ),
    (
        ["--to", "b@globex.example", "--expires", "0d", "--nda-accepted", "--base-url", BASE],
        "--expires '0d': give a number of hours, days or weeks (e.g. 12h, 30d, 2w).",
    ),
    (
        ["--to", "bob", "--expires", "30d", "--nda-accepted", "--base-url", BASE],
        "--to 'bob': give the recipient's email address.",
    ),
    (
        ["--to", "b@globex.example", "--expires", "30d", "--nda-accepted"],
        "--base-url is required: give the address the trust center is served from.",
    ),
    (
        ["--to", "b@globex.example", "--expires", "30d", "--nda-accepted", "--base-url", "trust.acme"],
        "--base-url 'trust.acme': give the address the trust center is served from "
        "(e.g. https://trust.example.com).",
    ),
    (
        ["--expires", "30d", "--nda-accepted", "--base-url", BASE],
        "trust-share: give --to EMAIL and --expires",
    ),
]


def test_refusals_exit_2_and_write_nothing(tmp_path: Path, cli: Cli) -> None:
    locker = _init(tmp_path, cli)
    before = _runs(locker)
    for args, line in REFUSALS:
        ran = cli("trust-share", *args)
        assert ran.code == 2 and ran.stdout == "", args
        assert ran.stderr.startswith(f"trustctl: error: {line}") and ran.stderr.count("\n") == 1, ran.stderr
    # A key that is not the locker's would sign links its public key cannot verify.
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    ran = _share(cli, "--nda-accepted", env={signing.KEY_VARIABLE: pem.decode()})
    assert ran.code == 1 and ran.stdout == "" and "this key is not the locker's" in ran.stderr
    assert _runs(locker) == before


def _shared_token(tmp_path: Path, cli: Cli) -> tuple[Path, str]:
    locker = _init(tmp_path, cli)
    ran = _share(cli, "--nda-accepted")
    assert ran.code == 0, ran.stderr
    return locker, ran.stdout.strip().split("token=")[1]


def test_changed_token_another_key_and_garbage_exit_5(tmp_path: Path, cli: Cli) -> None:
    _locker, token = _shared_token(tmp_path, cli)
    part, signature = token.split(".")
    forged = dict(_payload(token), to="mallory@evil.example")
    forged_part = share.b64url(json.dumps(forged, sort_keys=True, separators=(",", ":")).encode())
    changed = cli("trust-share", "verify", f"{forged_part}.{signature}")
    assert changed.code == 5
    assert "the signature does not verify with the locker's key" in changed.stderr
    other = tmp_path / "other.pem"
    other.write_bytes(signing.public_pem(Ed25519PrivateKey.generate()))
    wrong_key = cli("trust-share", "verify", token, "--key", str(other))
    assert wrong_key.code == 5
    assert wrong_key.stderr.strip() == (
        f"trustctl: error: the signature does not verify with {other}: "
        "the link was changed, or another key signed it."
    )
    for garbage in (part, token[:-3], "not a token", f"{BASE}/documents/"):
        bad = cli("trust-share", "verify", garbage)
        assert bad.code == 5, garbage
    not_a_key = tmp_path / "key.txt"
    not_a_key.write_text("hello")
    assert cli("trust-share", "verify", token, "--key", str(not_a_key)).code == 1


def test_an_expired_link_says_so_and_exits_5(tmp_path: Path, cli: Cli) -> None:
    _init(tmp_path, cli)
    config = pipeline.load(tmp_path / "trustctl.toml")
    shared = pipeline.share_documents(
        config,
        to="b@globex.example",
        expires="2d",
        nda_accepted=True,
        documents=[],
        base_url=BASE,
        now=datetime.now(UTC) - timedelta(days=3),
    )
    ran = cli("trust-share", "verify", shared.link)
    assert ran.code == 5
    assert re.fullmatch(
        r"trustctl: error: the link expired at \S+Z \(signature valid; shared with b@globex.example\)\.\n",
        ran.stderr,
    )
    assert "expired  b@globex.example  all" in cli("trust-share", "list").stdout
    with pytest.raises(LinkNotValid, match="expired"):
        pipeline.verify_share(shared.link, None, tmp_path / "trustctl.toml")


def _readme_openssl_steps() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### `trustctl trust-share`", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the openssl steps are missing from the README"
    return "\n".join(line for line in block.group(1).splitlines() if not line.startswith("TOKEN="))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_the_readme_openssl_steps_verify_a_token_and_refuse_a_changed_one(tmp_path: Path, cli: Cli) -> None:
    locker, token = _shared_token(tmp_path, cli)
    (tmp_path / "public-key.pem").write_bytes((locker / "public-key.pem").read_bytes())
    steps = _readme_openssl_steps()

    def run(value: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", steps], cwd=tmp_path, env={"TOKEN": value, "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip

    good = run(token)
    assert good.returncode == 0 and "Signature Verified Successfully" in good.stdout, good.stderr
    assert (tmp_path / "payload").read_text() == token.split(".")[0] and len(
        (tmp_path / "sig").read_bytes()
    ) == 64
    signature = token.split(".")[1]
    forged = share.b64url(json.dumps(dict(_payload(token), docs=["x.pdf"])).encode())
    bad = run(f"{forged}.{signature}")
    assert bad.returncode != 0 and "Signature Verification Failure" in bad.stdout + bad.stderr


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_verify_html_checks_a_link_in_the_browser(tmp_path: Path, cli: Cli) -> None:
    _locker, token = _shared_token(tmp_path, cli)
    page = tmp_path / "site" / "verify.html"
    assert cli("trust-share", "page", "--output", str(page)).code == 0
    html = page.read_text()
    assert (
        "<title>Check a document link · Acme &amp; Co</title>" in html and "openssl pkeyutl -verify" in html
    )

    def result(value: str) -> str:
        ran = subprocess.run(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
             "--dump-dom", f"{page.as_uri()}?token={value}"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        found = re.search(r'<div id="result"[^>]*class="(\w+)"[^>]*><strong>([^<]*)</strong>', ran.stdout)
        assert found, ran.stdout[-2000:]
        return f"{found.group(1)}: {found.group(2)}"

    assert result(token).startswith("valid: Valid: signed by Acme &amp; Co (key ")
    signature = token.split(".")[1]
    forged = share.b64url(json.dumps(dict(_payload(token), to="mallory@evil.example")).encode())
    assert result(f"{forged}.{signature}").startswith("invalid: Not valid: the signature does not verify")
