"""Identity provider user exports: who is active, who has MFA/2SV enrolled, when an account changed.

Presets name the columns of real exports; `[[identity.idp]] columns` overrides any of them, and the
`generic` preset has none (map at least `email` and `status`):

- `google_workspace`: the Admin console's user download (CSV: `Email Address [Required]`,
  `Status [READ ONLY]`, `2sv Enrolled [READ ONLY]`, `Last Sign In [READ ONLY]`) or the Directory API's
  `users.list` JSON (`primaryEmail`, `suspended`, `isEnrolledIn2Sv`, `lastLoginTime`).
- `okta`: the "MFA Enrollment by User" report CSV (`User email`, `User status`, `Authenticator types`;
  MFA means an authenticator other than the password) or the Users API JSON (`profile.email`, `status`,
  `statusChanged`, `lastLogin`; add an `mfa_enrolled` mapping, the API does not list factors).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from trustctl.collectors.identity.tables import (
    Row,
    csv_rows,
    email_key,
    is_json,
    iso,
    json_rows,
    lookup,
    parse_time,
    read_text,
)
from trustctl.errors import InputError
from trustctl.inputs import BoundsError

PRESETS: dict[str, dict[str, dict[str, str]]] = {
    "google_workspace": {
        "csv": {
            "email": "Email Address [Required]",
            "status": "Status [READ ONLY]",
            "mfa_enrolled": "2sv Enrolled [READ ONLY]",
            "last_login": "Last Sign In [READ ONLY]",
        },
        "json": {
            "email": "primaryEmail",
            "status": "suspended",
            "mfa_enrolled": "isEnrolledIn2Sv",
            "last_login": "lastLoginTime",
        },
    },
    "okta": {
        "csv": {"email": "User email", "status": "User status", "mfa_enrolled": "Authenticator types"},
        "json": {
            "email": "profile.email",
            "status": "status",
            "deactivated_at": "statusChanged",
            "last_login": "lastLogin",
        },
    },
    "generic": {"csv": {}, "json": {}},
}
ACTIVE = {"active", "enabled", "provisioned", "recovery", "password_expired", "locked_out", "true", "yes"}
INACTIVE = {"suspended", "deprovisioned", "deactivated", "disabled", "inactive", "staged", "false", "no"}
TRUE = {"true", "yes", "y", "1", "enrolled", "on"}
FALSE = {"false", "no", "n", "0", "not enrolled", "off", ""}
WEAK_FACTORS = {"password", "email", "email authentication"}


def _active(raw: Any, column: str, where: str) -> bool:
    """Whether the account is active; a column named `suspended` (Google) holds the opposite."""
    suspended = column.rsplit(".", 1)[-1].lower() == "suspended"
    text = str(raw).strip().lower().replace(" ", "_") if not isinstance(raw, bool) else ""
    if isinstance(raw, bool) or (suspended and text in TRUE | FALSE):
        flag = raw if isinstance(raw, bool) else text in TRUE
        return not flag if suspended else flag
    if text in ACTIVE:
        return True
    if text in INACTIVE:
        return False
    raise InputError(
        f"{where}: status {raw!r} is not one the reader knows "
        f"(active: {', '.join(sorted(ACTIVE))}; inactive: {', '.join(sorted(INACTIVE))}).",
        "Map another column as status, or fix the value.",
    )


def _mfa(raw: Any, where: str) -> bool | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, list):
        return any(str(f).strip().lower() not in WEAK_FACTORS for f in raw)
    text = str(raw).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    factors = [f.strip() for f in text.replace(";", ",").split(",") if f.strip()]
    if factors:  # a list of authenticators (Okta): MFA when one is more than a password or an email
        return any(f not in WEAK_FACTORS for f in factors)
    raise InputError(f"{where}: MFA value {raw!r} is not yes/no or a list of authenticators.")


def read_idp_export(path: Path, preset: str, columns: Mapping[str, str]) -> list[dict[str, Any]]:
    """One dict per IdP user: line, email, key, active, mfa_enrolled (None: not in the export),
    deactivated_at, last_login (ISO 8601 UTC or None)."""
    text = read_text(path, "IdP export")
    kind = "json" if is_json(path, text) else "csv"
    names = {**PRESETS[preset][kind], **columns}
    for needed in ("email", "status"):
        if needed not in names:
            raise InputError(
                f"{path}: the {preset} preset does not say which column holds {needed}.",
                f'Set [[identity.idp]] columns = {{ {needed} = "COLUMN" }}.',
            )
    rows: Iterator[Row]
    if kind == "csv":
        required = {f: names[f] for f in ("email", "status")}
        _, rows = csv_rows(path, text, required, "IdP export")
    else:
        rows = json_rows(path, text, "IdP export")
    users: list[dict[str, Any]] = []
    for line, values in rows:
        where = f"{path} {'line' if kind == 'csv' else 'item'} {line}"
        email = lookup(values, names["email"])
        key = email_key(email, where)
        times: dict[str, str | None] = {}
        for field in ("deactivated_at", "last_login"):
            raw = lookup(values, names[field]) if field in names else None
            if isinstance(raw, str) and raw.strip().lower().startswith("never"):
                raw = None
            try:
                times[field] = iso(parse_time(raw))
            except BoundsError as e:
                raise InputError(
                    f"{where}: {names[field]} {raw!r} {e}.", "Give the real time, or leave the cell empty."
                ) from None
            except ValueError:
                raise InputError(f"{where}: {names[field]} {raw!r} is not a date.") from None
        active = _active(lookup(values, names["status"]), names["status"], where)
        users.append(
            {
                "line": line,
                "email": str(email),
                "key": key,
                "active": active,
                "mfa_enrolled": _mfa(lookup(values, names["mfa_enrolled"]), where)
                if "mfa_enrolled" in names
                else None,
                "deactivated_at": times["deactivated_at"] if not active else None,
                "last_login": times["last_login"],
            }
        )
    return users
