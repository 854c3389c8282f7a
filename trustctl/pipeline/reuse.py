"""A period's evaluations share the work whose inputs did not change from one run to the next.

The packet evaluates the merged evidence after every run of its period (one a day, for a year's
locker hundreds), and on most days nothing changed: the same request list naming the same evidence
objects. What is reused, and why it is the same:

- Facts are a function of the request list alone (each call, its evidence object or its error; never
  the time a request was made), so they are built once per distinct list.
- A check's results are a function of its fact table, the policy, the requirements its control
  evidences and, for some checks, the time the evidence was observed (`Context.as_of`: key ages,
  backup freshness, training due dates). The context a check is given records whether it read that
  time; a check that did not gets its results again for the same facts, one that did is evaluated again.
- Waivers are applied last, on each run's own day, exactly as `check` applies them.

Only the latest distinct request list is kept: a period is evaluated in chain order, so unchanged
evidence recurs run after run, and memory stays that of one evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from trustctl.config import Config
from trustctl.controls.engine import apply_waivers, evaluate
from trustctl.controls.registry import CheckSpec, Context, all_checks
from trustctl.controls.results import Result
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Manifest, evidence_key
from trustctl.facts.base import Evidence, FactSet, FactTable
from trustctl.facts.load import build_facts
from trustctl.frameworks.scope import requirement_lookup


@dataclass(frozen=True)
class _Watched(Context):
    """The context one check is given, noting in `read` whether the check read the observation time."""

    check: str = ""
    read: set[str] = field(default_factory=set)

    def __getattribute__(self, name: str) -> Any:
        if name == "as_of":
            object.__getattribute__(self, "read").add(object.__getattribute__(self, "check"))
        return object.__getattribute__(self, name)


def _watching(spec: CheckSpec, read: set[str]) -> CheckSpec:
    def func(rows: Any, ctx: Context) -> Any:
        return spec.func(rows, _Watched(ctx.policy, ctx.as_of, spec.id, read))

    return replace(spec, func=func)


class PeriodEvaluator:
    """Evaluates one manifest after another as `check` would (see the module docstring for what is
    shared between them). Called with a manifest and the day its waivers are judged on."""

    def __init__(self, config: Config, locker: Locker) -> None:
        self.config = config
        self.locker = locker
        self.objects: dict[str, Any] = {}  # parsed evidence objects, shared by every run's facts
        self.requirements = requirement_lookup(config.frameworks)
        self.key = ""
        self.tables: dict[str, FactTable] = {}
        self.timeless: dict[str, list[Result]] = {}  # check id -> results, for the facts under `key`
        self.evaluated = 0  # check evaluations done (the rest were reused): for tests and benchmarks

    def __call__(self, manifest: Manifest, today: date) -> list[Result]:
        evidence = Evidence(self.locker, manifest, self.objects)
        key = evidence_key(manifest)
        if key != self.key:
            self.key, self.timeless = key, {}
            self.tables = build_facts(evidence, tenants=self.config.tenants).tables
        facts = FactSet(evidence.as_of, self.tables)
        specs = all_checks()
        read: set[str] = set()
        todo = {i: _watching(s, read) for i, s in specs.items() if i not in self.timeless}
        fresh: dict[str, list[Result]] = {i: [] for i in todo}
        for result in evaluate(
            facts, self.config.policy, [], today, checks=todo, requirements=self.requirements
        ).results:
            fresh[result.check].append(result)
        self.evaluated += len(todo)
        self.timeless.update({i: found for i, found in fresh.items() if i not in read})
        results = [r for i in specs for r in (fresh[i] if i in fresh else self.timeless[i])]
        results.sort(key=lambda r: (r.check, r.account, r.region, r.resource))
        return apply_waivers(results, self.config.waiver, today).results
