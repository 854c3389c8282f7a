"""Ed25519 signing of run manifests: key creation (mode 0600), signing, and verification.

Signatures are detached and raw (64 bytes) over the exact manifest bytes, so an auditor can check
them with `openssl pkeyutl -verify -rawin` as well as with `trustctl verify`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from trustctl.errors import SigningKeyError


def create_key(path: Path) -> Ed25519PrivateKey:
    """Write a new PEM private key readable by its owner only; refuse to overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)
    return key


KEY_VARIABLE = "TRUSTCTL_SIGNING_KEY"


def signing_key(path: Path) -> Ed25519PrivateKey:
    """The key runs are signed with: the PEM in $TRUSTCTL_SIGNING_KEY when set (a CI secret, so the key
    need not sit beside the locker), else the file at `path` ([locker] key)."""
    pem = os.environ.get(KEY_VARIABLE)
    if not pem:
        return load_private_key(path)
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise SigningKeyError(f"${KEY_VARIABLE}: not an unencrypted PEM private key.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"${KEY_VARIABLE}: not an Ed25519 key; trustctl signs with Ed25519.")
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise SigningKeyError(
            f"{path}: signing key not found.", "Run `trustctl init` or set [locker] key in trustctl.toml."
        ) from None
    except OSError as e:
        raise SigningKeyError(f"{path}: the signing key cannot be read ({e.strerror or e}).") from None
    except (ValueError, TypeError, UnsupportedAlgorithm):  # TypeError: the key is encrypted
        raise SigningKeyError(
            f"{path}: not an unencrypted PEM private key.",
            "Point [locker] key in trustctl.toml at the key `trustctl init` created.",
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: not an Ed25519 key; trustctl signs with Ed25519.")
    return key


def public_pem(key: Ed25519PrivateKey) -> bytes:
    return public_key_pem(key.public_key())


def public_key_pem(public: Ed25519PublicKey) -> bytes:
    """The one PEM form trustctl writes a public key in (verification compares stored bytes with it)."""
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """The Ed25519 public key in `pem`; ValueError for anything else (garbage, another algorithm)."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm):  # cryptography's own message is a paragraph with a URL
        raise ValueError("not a PEM-encoded public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def sign(key: Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def is_valid(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
