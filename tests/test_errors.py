"""The exception tree: every error trustctl raises for a reason a person can act on is a TrustctlError in
trustctl/errors.py, with an exit code the README's table documents."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from trustctl import errors
from trustctl.errors import LockerError, ManifestError, ReadOnlyViolation, TrustctlError

ROOT = Path(__file__).resolve().parent.parent
# Internal signals that never reach the user: callers turn them into a TrustctlError or an evidence error.
INTERNAL = {
    "trustctl/inputs.py": {"BoundsError"},  # a ValueError the reader of the file names the file for
    "trustctl/collectors/aws/calls.py": {"EmptyResponse"},  # recorded as the call's evidence error
}


def _exception_classes(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bases_like = re.compile(r"(Error|Exception|Violation|Warning)$")
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(bases_like.search(ast.unparse(base)) for base in node.bases)
        and not node.name.startswith("_")
        and not any(ast.unparse(base) in {"_Frozen", "BaseModel"} for base in node.bases)
    }


def test_every_exception_class_lives_in_errors_py() -> None:
    stray = {}
    for path in sorted((ROOT / "trustctl").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name == "trustctl/errors.py":
            continue
        found = _exception_classes(path) - INTERNAL.get(name, set())
        if found:
            stray[name] = sorted(found)
    assert stray == {}


def test_exit_codes_are_the_readmes() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## Exit codes") :]
    documented = {int(code) for code in re.findall(r"^\| (\d) \|", table, re.MULTILINE)}
    tree = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, TrustctlError)
    ]
    assert {cls.exit_code for cls in tree} <= documented
    assert {errors.EXIT_OK, errors.EXIT_ERROR, errors.EXIT_USAGE, errors.EXIT_VERIFY_FAILED} <= documented


def test_moved_errors_keep_what_callers_catch() -> None:
    """ManifestError is still a ValueError and ReadOnlyViolation a RuntimeError, as before the move."""
    damaged = ManifestError("not JSON (Expecting value)")
    assert isinstance(damaged, ValueError) and isinstance(damaged, LockerError)
    assert str(damaged) == "not JSON (Expecting value)" and damaged.exit_code == 1
    refused = ReadOnlyViolation("refused to call iam:CreateUser")
    assert isinstance(refused, RuntimeError) and isinstance(refused, TrustctlError)
    assert str(refused) == "refused to call iam:CreateUser" and refused.exit_code == 1
