"""One person, one key: email addresses normalized for joining accounts across systems.

Case is folded, `+tags` are dropped from the local part, and configured domain aliases map to their
canonical domain (`bob+slack@Acme.IO` with `acme.io = acme.example` -> `bob@acme.example`).
"""

from __future__ import annotations

from collections.abc import Mapping


def normalize_email(value: object, aliases: Mapping[str, str] | None = None) -> str | None:
    """The join key of an address, or None when `value` is not an email address."""
    if not isinstance(value, str):
        return None
    text = value.strip().strip("\ufeff").lower()
    text = text.removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or "@" in local or " " in text or "." not in domain:
        return None
    local = local.split("+", 1)[0]
    if not local:
        return None
    aliases = aliases or {}
    domain = {k.lower(): v.lower() for k, v in aliases.items()}.get(domain, domain)
    return f"{local}@{domain}"


def local_part(email: str) -> str:
    return email.split("@", 1)[0]
