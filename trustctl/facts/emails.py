"""One person, one key: email addresses normalized for joining accounts across systems.

Case is folded, `+tags` are dropped from the local part (trustctl.inputs.email_address, which the
readers use when they record an address), and configured domain aliases map to their canonical domain
(`bob+slack@Acme.IO` with `acme.io = acme.example` -> `bob@acme.example`).
"""

from __future__ import annotations

from collections.abc import Mapping

from trustctl.inputs import email_address


def normalize_email(value: object, aliases: Mapping[str, str] | None = None) -> str | None:
    """The join key of an address, or None when `value` is not an email address."""
    address = email_address(value)
    if address is None:
        return None
    local, _, domain = address.rpartition("@")
    aliases = aliases or {}
    domain = {k.lower(): v.lower() for k, v in aliases.items()}.get(domain, domain)
    return f"{local}@{domain}"


def local_part(email: str) -> str:
    return email.split("@", 1)[0]
