"""The request list ("PBC": provided by client): per framework, the items an audit firm asks the company
for (populations, samples, configurations, policies, reports), each answered from what the packet holds.

The items ship as data in request_lists/<framework>.yaml (our own words; SOC 3 uses SOC 2's), extended by
`[[packet.requests]]` in trustctl.toml. Each item is marked:

- `evidence`: collected evidence answers it: the named controls have results that are not errors, the
  population's source was collected, or the auditor's sample of it was drawn;
- `document`: a document of a named kind is in force at the period's end;
- `missing`: nothing in the packet answers it, with what to do.

Every answer names the evidence hashes (files evidence/<hex> in packet.zip) and where in the packet to look.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from trustctl import yamlfile
from trustctl.config import Config, RequestItem
from trustctl.controls.catalog import load_catalog
from trustctl.controls.results import Result, Status
from trustctl.errors import CatalogError, ConfigError
from trustctl.evidence.documents import Document
from trustctl.frameworks.models import Framework

LISTS = "trustctl.packet.request_lists"
STATUSES = ("evidence", "document", "missing")
SAID = {"evidence": "provided by evidence", "document": "provided by a document", "missing": "missing"}


class RequestList(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    framework: str
    requests: list[RequestItem]


@dataclass(frozen=True)
class PopulationAnswer:
    """What the packet holds of one population: whether its source was collected, the hashes of the
    evidence its rows come from, and the hashes behind the rows the auditor sampled."""

    id: str
    collected: bool
    rows: int
    evidence: list[str]  # sha256 hex of the evidence objects behind its rows
    sampled: int = 0
    sample_evidence: list[str] = field(default_factory=list)
    where: str = ""  # e.g. "populations/new_hires.csv"
    note: str = ""  # why it was not collected


@dataclass(frozen=True)
class RequestAnswer:
    item: RequestItem
    status: str  # evidence | document | missing
    evidence: list[str]  # sha256 hex, sorted: the files evidence/<hex> in packet.zip
    where: list[str]  # where in the packet to look
    note: str  # what answers it, or what to do when it is missing
    requirements: list[str]  # the framework's requirements that link the item's controls
    source: str = "trustctl"  # trustctl (shipped) | config ([[packet.requests]])

    @property
    def said(self) -> str:
        return SAID[self.status]


def _hex(digest: str) -> str:
    return digest.removeprefix("sha256:")


def _list_name(framework: Framework) -> str:
    return framework.derived_from or framework.id


@cache
def shipped(framework_id: str) -> tuple[RequestItem, ...]:
    """The shipped request list of a framework (SOC 3: SOC 2's), validated against the catalogs."""
    source = f"{LISTS.replace('.', '/')}/{framework_id}.yaml"
    path = resources.files(LISTS).joinpath(f"{framework_id}.yaml")
    if not path.is_file():
        return ()
    try:
        data = RequestList.model_validate(yamlfile.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as e:
        raise CatalogError(f"{source}: not a valid request list ({str(e).splitlines()[0]}).") from None
    if data.framework != framework_id:
        raise CatalogError(f"{source}: names framework {data.framework}, expected {framework_id}.")
    problem = problems(data.requests)
    if problem:
        raise CatalogError(f"{source}: {problem}.")
    return tuple(data.requests)


def problems(items: Sequence[RequestItem]) -> str | None:
    """The first item naming a control or document kind the catalog does not hold, or a repeated id."""
    catalog = load_catalog()
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            return f"request {item.id} appears twice"
        seen.add(item.id)
        for control in item.controls:
            if control not in catalog.ids:
                return f"request {item.id} names unknown control {control}"
        for kind in item.documents:
            if kind not in catalog.document_kinds:
                return (
                    f"request {item.id} names unknown document kind '{kind}' "
                    f"(known: {', '.join(sorted(catalog.document_kinds))})"
                )
    return None


def validate(config: Config) -> None:
    """`[[packet.requests]]`: known controls and document kinds, ids that do not repeat a shipped one."""
    problem = problems(config.packet.requests)
    shipped_ids = {
        i.id for name in ("soc2", "iso27001_2022", "hipaa_security", "ferpa") for i in shipped(name)
    }
    clash = sorted({i.id for i in config.packet.requests} & shipped_ids)
    if problem is None and clash:
        problem = f"request {clash[0]} has the id of a shipped request"
    if problem is not None:
        raise ConfigError(
            config.source, f"[[packet.requests]]: {problem}", "See the README, section 'Request list'."
        )


def items_for(framework: Framework, config: Config) -> list[tuple[RequestItem, str]]:
    """The framework's request list: shipped items, then the config's, each with where it came from."""
    return [(i, "trustctl") for i in shipped(_list_name(framework))] + [
        (i, "config") for i in config.packet.requests
    ]


def _requirements(framework: Framework, controls: Sequence[str], in_scope: set[str]) -> list[str]:
    return [
        q.id
        for q in framework.requirements
        if q.id in in_scope and any(link.id in controls for link in q.controls)
    ]


def _controls_answer(item: RequestItem, results: Sequence[Result]) -> tuple[list[str], list[str], list[str]]:
    """(evidence hexes, controls evidenced, why the others are not) for the item's controls."""
    evidence: set[str] = set()
    evidenced, errors = [], []
    for control in item.controls:
        mine = [r for r in results if r.control == control]
        collected = [r for r in mine if r.status is not Status.ERROR]
        if collected:
            evidenced.append(control)
            evidence.update(_hex(e) for r in collected for e in r.evidence)
        elif mine:
            errors.append(f"{control}: could not be collected ({mine[0].reason})")
    return sorted(evidence), evidenced, errors


def _documents_answer(
    item: RequestItem, documents: Sequence[Document], end: date
) -> tuple[list[Document], list[Document]]:
    """(documents in force at the period's end, expired ones) of the item's kinds."""
    mine = [
        d for d in documents if d.kind in item.documents and (not item.controls or d.control in item.controls)
    ]
    mine = mine or [d for d in documents if d.kind in item.documents]
    in_force = [d for d in mine if d.state(end) in ("fresh", "due")]
    return in_force, [d for d in mine if d not in in_force]


def answer(
    item: RequestItem,
    framework: Framework,
    in_scope: set[str],
    results: Sequence[Result],
    documents: Sequence[Document],
    populations: Mapping[str, PopulationAnswer],
    end: date,
    source: str = "trustctl",
) -> RequestAnswer:
    """How the packet answers one item (see the module docstring)."""
    requirements = _requirements(framework, item.controls, in_scope)
    where = [f"Requirements: {', '.join(requirements)}"] if requirements else []
    if item.population is not None:
        population = populations.get(item.population)
        if item.kind == "sample":
            if population is not None and population.sampled:
                return RequestAnswer(
                    item,
                    "evidence",
                    sorted(set(population.sample_evidence)),
                    [f"Samples: {item.population}", *where],
                    f"{population.sampled} of {population.rows} row(s) sampled",
                    requirements,
                    source,
                )
            note = (
                f"no sample drawn: the auditor supplies `--sample-seed SEED` or `--samples FILE` "
                f"(population {item.population}"
                + (f", {population.rows} row(s))" if population is not None else ")")
            )
            if population is not None and population.collected and not population.rows:
                note = f"the population {item.population} is empty in the period: nothing to sample"
            return RequestAnswer(item, "missing", [], where, note, requirements, source)
        if population is not None and population.collected:
            evidence = sorted(set(population.evidence))
            note = f"{population.rows} row(s) in the period"
            if not evidence:
                # No event in the period: what shows that is the source the controls were judged on.
                evidence = _controls_answer(item, results)[0]
                note = "no event in the period; the collected source is the evidence of that"
            if evidence:
                return RequestAnswer(
                    item,
                    "evidence",
                    evidence,
                    [population.where or f"populations/{item.population}.csv", *where],
                    note,
                    requirements,
                    source,
                )
        if not item.documents:
            reason = population.note if population is not None and population.note else "not collected"
            if population is not None and population.collected:
                reason = "no event in the period, and no collected result of its controls to show it"
            return RequestAnswer(
                item, "missing", [], where, f"population {item.population}: {reason}", requirements, source
            )
    evidence, evidenced, errors = _controls_answer(item, results) if item.controls else ([], [], [])
    in_force, stale = _documents_answer(item, documents, end) if item.documents else ([], [])
    if evidenced and (evidence or not item.documents):
        note = f"collected results of {', '.join(evidenced)}"
        if errors:
            note += "; " + "; ".join(errors)
        return RequestAnswer(
            item, "evidence", evidence, [*where, "results.xlsx: results"], note, requirements, source
        )
    if in_force:
        return RequestAnswer(
            item,
            "document",
            sorted({_hex(d.sha256) for d in in_force}),
            [f"packet.zip evidence/{_hex(d.sha256)[:12]}… ({d.name})" for d in in_force] + where,
            "; ".join(f"{d.kind} {d.name} approved {d.approved} by {d.owner}" for d in in_force),
            requirements,
            source,
        )
    return RequestAnswer(item, "missing", [], where, _missing(item, stale, errors), requirements, source)


def _missing(item: RequestItem, stale: Sequence[Document], errors: Sequence[str]) -> str:
    parts = [f"{d.kind} {d.name} expired on {d.review_by}" for d in stale]
    parts += list(errors)
    if item.documents:
        control = item.controls[0] if item.controls else "CONTROL"
        parts.append(f"file one: `trustctl docs add FILE --kind {item.documents[0]} --control {control}`")
    elif item.controls and not errors:
        parts.append(f"no evidence collected for {', '.join(item.controls)}")
    return "; ".join(parts)


def request_list(
    framework: Framework,
    config: Config,
    in_scope: set[str],
    results: Sequence[Result],
    documents: Sequence[Document],
    populations: Mapping[str, PopulationAnswer],
    end: date,
) -> list[RequestAnswer]:
    """Every item of the framework's request list, answered."""
    return [
        answer(item, framework, in_scope, results, documents, populations, end, source)
        for item, source in items_for(framework, config)
    ]


COLUMNS = ("id", "kind", "title", "status", "source", "requirements", "where", "note", "evidence_sha256")


def row(a: RequestAnswer) -> tuple[str, ...]:
    """One item as a flat row (request-list.csv and the workbook): lists joined with "; ", hashes with
    spaces, in the order of COLUMNS."""
    return (
        a.item.id,
        a.item.kind,
        a.item.title,
        a.said,
        a.source,
        "; ".join(a.requirements),
        "; ".join(a.where),
        a.note,
        " ".join(a.evidence),
    )


def as_csv(answers: Sequence[RequestAnswer]) -> bytes:
    """request-list.csv: one row per item."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row(a) for a in answers)
    return out.getvalue().encode("utf-8")
