"""The whole trustctl exception tree, with the exit code each one maps to.

Every error a person can meet says what failed, on what, and what to do next. The CLI prints
`str(error)` as one line (plus the hint) and exits with `error.exit_code`.
"""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_EVIDENCE_ERRORS = 3
EXIT_FAILING = 4
EXIT_VERIFY_FAILED = 5


class TrustctlError(Exception):
    """Base class: a problem the user can act on."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        # One line: the problem as a sentence, then what to do.
        stop = "" if self.message.rstrip().endswith((".", "!", "?", ":", ";")) else "."
        return f"{self.message}{stop} {self.hint}"


class ConfigError(TrustctlError):
    """trustctl.toml is missing, unreadable or invalid."""

    def __init__(self, path: Path | str, problem: str, hint: str | None = None) -> None:
        super().__init__(f"{path}: {problem}", hint)
        self.path = Path(path)


class InputError(TrustctlError):
    """A file given on the command line (baseline, export) cannot be used."""


class CatalogError(TrustctlError):
    """A framework catalog is malformed or references something that does not exist."""


class ExportError(TrustctlError):
    """An export (OSCAL) cannot be made from this framework or run; the message says why."""


class LockerError(TrustctlError):
    """The evidence locker is missing, locked by another run, or damaged."""


class ManifestError(LockerError, ValueError):
    """A run manifest, or an object it names, that cannot be decoded; the message says what is wrong.

    Also a ValueError: readers of damaged bytes catch the two alike (`verify` reports it, never exits 1).
    """


class NoEvidenceError(LockerError):
    """The locker holds no complete run to assess."""


class SigningKeyError(LockerError):
    """The signing key is missing or unreadable."""


class VerificationFailed(TrustctlError):
    """`verify` found objects, manifests or signatures that do not verify."""

    exit_code = EXIT_VERIFY_FAILED

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"verification failed: {len(problems)} problem(s)")
        self.problems = problems


class LinkNotValid(TrustctlError):
    """A trust-share link or token whose signature, key or expiry does not hold; the message says which."""

    exit_code = EXIT_VERIFY_FAILED


class ReadOnlyViolation(TrustctlError, RuntimeError):
    """A collector tried to call an operation trustctl must never call (a bug in trustctl, never the
    user's: the client guard refuses it before anything is sent). Also a RuntimeError, as it always was."""


class UsageError(TrustctlError):
    """Arguments that do not fit together."""

    exit_code = EXIT_USAGE
