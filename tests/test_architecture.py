"""The package's layers, checked on every import of every module under trustctl/ (read with ast, so
imports inside functions and under TYPE_CHECKING count too).

Layers, lowest first; a module may import its own layer and the layers below it, never one above:

1. base: the `trustctl` package itself (the version), errors, inputs (bounds, readers' spellings),
   timeutil (ISO 8601 in and out), ids (framework and certification ids), yamlfile (the YAML reader),
   config, console
2. evidence: the locker, records, canonical JSON, signing, verify
3. collectors: I/O only, raw responses into the locker
4. facts: pure normalizers, evidence -> tables
5. controls: the catalog, checks, the engine, result values
6. frameworks: requirement catalogs, scope, readiness
7. assessment: the immutable Assessment the orchestrator evaluates once and hands to every report
8. reports: reports/, packet/, trust/, roadmap/, render/, questionnaire/ (and the templates they load):
   leaves that render what they are given
9. pipeline: the one orchestrator (pipeline/): opens the locker, collects, evaluates once, and calls
   the reports with the Assessment
10. entry points: cli (thin commands over the pipeline), demo/

Within the order, some imports are forbidden as well:

- Reports render what they are given. They import neither trustctl.pipeline (the order forbids it:
  the orchestrator calls them, not the reverse) nor trustctl.collectors nor trustctl.controls.checks; they may import data
  types such as trustctl.controls.results, trustctl.frameworks.models and trustctl.evidence.records.
- Facts never import collectors, not even for constants: the evidence records (provider, service,
  operation as strings) are the contract between the two, and a name both need is spelled in each.

And no two subpackages (or top-level modules) of trustctl import each other, directly or through others.

Imports that break a rule today are listed in KNOWN_VIOLATIONS, each with its reason, until they are
removed (or the rule is changed, here and in README.md); an entry that no longer occurs fails the test,
so the list only shrinks. The same goes for modules over the size limit (MAX_LINES) in KNOWN_LONG.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

import trustctl

ROOT = Path(trustctl.__file__).parent
MAX_LINES = 450

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "base",
        (
            "trustctl.errors",
            "trustctl.inputs",
            "trustctl.timeutil",
            "trustctl.ids",
            "trustctl.yamlfile",
            "trustctl.config",
            "trustctl.config_declared",
            "trustctl.config_packet",
            "trustctl.console",
        ),
    ),
    ("evidence", ("trustctl.evidence",)),
    ("collectors", ("trustctl.collectors",)),
    ("facts", ("trustctl.facts",)),
    ("controls", ("trustctl.controls",)),
    ("frameworks", ("trustctl.frameworks",)),
    ("assessment", ("trustctl.assessment",)),
    (
        "reports",
        (
            "trustctl.reports",
            "trustctl.packet",
            "trustctl.trust",
            "trustctl.roadmap",
            "trustctl.render",
            "trustctl.questionnaire",
        ),
    ),
    ("pipeline", ("trustctl.pipeline",)),
    ("entry", ("trustctl.cli", "trustctl.demo")),  # cli/ is a package of thin commands
]
REPORTS = LAYERS[7][1]
# (importers, imported): forbidden although the order allows them.
FORBIDDEN: list[tuple[tuple[str, ...], str, str]] = [
    (REPORTS, "trustctl.pipeline", "reports render what they are given; the orchestrator calls them"),
    (REPORTS, "trustctl.collectors", "reports read evidence and results, never a collector"),
    (REPORTS, "trustctl.controls.checks", "reports do not judge; verdicts come in as results"),
    (("trustctl.facts",), "trustctl.collectors", "facts read the evidence records, not the collectors"),
]

# (importing module, imported module) -> why it is still there. Remove an entry once its import is gone.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

# Module (path under the repository) -> why it is still over MAX_LINES. Remove it once it is under.
KNOWN_LONG: dict[str, str] = {}


def _layer(module: str) -> int:
    if module == "trustctl":
        return 0
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to the docstring)")


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _package(module: str) -> str:
    """The subpackage or top-level module of trustctl a module belongs to (`facts`, `cli`, `trustctl`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


@cache
def imports() -> dict[str, frozenset[str]]:
    """Every trustctl module each module imports: `from a.b import c` counts as a.b.c where that is a
    module, else as a.b (importing a name also runs a.b)."""
    known = modules()
    graph: dict[str, frozenset[str]] = {}
    for module, path in known.items():
        targets: set[str] = set()
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if _within(a.name, "trustctl")}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package[: len(package) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                if _within(base, "trustctl"):
                    targets |= {
                        f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
                    }
        graph[module] = frozenset(targets - {module})
    return graph


def violations() -> dict[tuple[str, str], str]:
    found = {}
    for module, targets in imports().items():
        for target in sorted(targets):
            if _layer(target) > _layer(module):
                found[(module, target)] = (
                    f"{LAYERS[_layer(module)][0]} imports {LAYERS[_layer(target)][0]}, a layer above it"
                )
                continue
            for importers, imported, why in FORBIDDEN:
                if any(_within(module, p) for p in importers) and _within(target, imported):
                    found[(module, target)] = why
    return found


def test_every_module_is_in_a_layer() -> None:
    for module in modules():
        _layer(module)


def test_imports_follow_the_layers() -> None:
    found = violations()
    new = {pair: why for pair, why in found.items() if pair not in KNOWN_VIOLATIONS}
    assert not new, "imports against the layers:\n" + "\n".join(
        f"{a} -> {b}: {w}" for (a, b), w in new.items()
    )


def test_known_violations_still_occur() -> None:
    gone = sorted(set(KNOWN_VIOLATIONS) - set(violations()))
    assert not gone, f"fixed, so remove from KNOWN_VIOLATIONS: {gone}"


def test_no_cycles_between_packages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for module, targets in imports().items():
        edges[_package(module)] |= {_package(t) for t in targets} - {_package(module)}

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            for nxt in edges[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    cycles = sorted({tuple(sorted(p for p in reachable(a) if a in reachable(p))) for a in list(edges)} - {()})
    assert not cycles, f"packages that import each other: {cycles}"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_modules_stay_under_the_size_limit() -> None:
    long = {
        str(path.relative_to(ROOT.parent)): _lines(path)
        for path in modules().values()
        if _lines(path) > MAX_LINES
    }
    new = {path: n for path, n in long.items() if path not in KNOWN_LONG}
    assert not new, f"modules over {MAX_LINES} lines (split them along a natural seam): {new}"
    under = sorted(set(KNOWN_LONG) - set(long))
    assert not under, f"now within {MAX_LINES} lines, so remove from KNOWN_LONG: {under}"
