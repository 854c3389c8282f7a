"""`trustctl packet`: the packet model from every run of the period (each evaluated as the orchestrator
says), and packet.html, packet.pdf, results.xlsx, packet.json and the signed packet.zip in one directory."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trustctl import __version__
from trustctl.config import Config
from trustctl.controls.registry import all_checks
from trustctl.errors import SigningKeyError
from trustctl.evidence import documents as docs
from trustctl.evidence import index, responses, signing
from trustctl.evidence.locker import PUBLIC_KEY, Locker, utc_now
from trustctl.evidence.records import RequestRecord
from trustctl.frameworks.loader import get_framework
from trustctl.frameworks.readiness import readiness
from trustctl.frameworks.rules import rules_of
from trustctl.frameworks.scope import scoped_requirements
from trustctl.packet import bundle, html, management, model, period, populations, request_list, sampling
from trustctl.packet.soa import statement_of_applicability
from trustctl.packet.workbook import write_workbook
from trustctl.timeutil import parse_utc, utc_iso

REQUEST_LIST = "request-list.csv"
VERIFY_TEXT = """How to verify this packet offline
=================================

With trustctl:   trustctl verify packet.zip --key public-key-you-trust.pem

By hand (OpenSSL 3), in the directory the archive was extracted to:

  openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig
  sha256sum -c SHA256SUMS
  openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin \\
      -in runs/RUN/manifest.json -sigfile runs/RUN/manifest.json.sig

Compare the key's fingerprint with the one the organization gave you out of band:

  openssl pkey -pubin -in public-key.pem -outform DER | tail -c 32 | sha256sum
  expected: {key}

evidence/<sha256> holds each evidence object's canonical bytes: the file name is its own SHA-256.
Each manifest names two of them, "requests" (every request with its evidence object or error) and
"times" (microseconds from the run's start, one per request), so its signature covers both.
"""


@dataclass(frozen=True)
class BuiltPacket:
    out: Path
    packet: model.Packet
    files: dict[str, Path]
    bundle: bundle.Bundle


def signing_key(config: Config, locker: Locker) -> Any:
    """The configured signing key, refused unless it is the locker's own."""
    key = signing.signing_key(config.key_path)
    locker.public_key()  # a damaged public-key.pem is named as such, not as a key mismatch
    if signing.public_pem(key) != locker.public_key_pem():
        raise SigningKeyError(
            f"{config.key_path}: this key did not create the locker {locker.root} (public keys differ).",
            "Point [locker] key in trustctl.toml at the locker's own signing key.",
        )
    return key


def _included_runs(
    runs: list[period.RunPoint], inside: list[period.RunPoint], document_runs: list[period.RunPoint]
) -> list[period.RunPoint]:
    position = {p.run_id: i for i, p in enumerate(runs)}
    chosen = {p.run_id: p for point in inside for p in period.sources(runs, position[point.run_id])}
    chosen.update({p.run_id: p for p in document_runs})
    return sorted(chosen.values(), key=lambda p: p.manifest.sequence)


def as_json(p: model.Packet) -> dict[str, Any]:
    """packet.json: what the packet says, for machines."""
    return {
        "tool": {"name": "trustctl", "version": p.tool_version},
        "organization": p.organization,
        "framework": {
            "id": p.framework.id,
            "name": p.framework.name,
            "version": p.framework.version,
            "kind": p.framework.kind,
        },
        "period": {
            "start": p.period.start.isoformat(),
            "end": p.period.end.isoformat(),
            "days": p.period.days,
        },
        "generated_at": utc_iso(p.generated_at),
        "locker_head": p.locker_head,
        "key": p.key,
        "summary": {
            "requirements": len(p.requirements),
            **p.readiness.counts,
            "met_basis": p.readiness.basis,
            "exceptions": len(p.readiness.exceptions),
            "automated_percent": p.readiness.automated_percent,
            "documents_percent": p.readiness.documents_percent,
        },
        "requirements": [
            {
                "id": q.id,
                "name": q.name,
                "status": q.status,
                "basis": q.basis,
                "reason": q.reason,
                "exceptions": q.exceptions,
                "justification": q.justification,
                "decision": q.decision,
                "results": q.results,
                "evidence_objects": q.evidence_objects,
                "failing": len(q.failing),
                "controls": [
                    {"id": c.id, "coverage": c.coverage, "status": c.status, "results": c.counts}
                    for c in q.controls
                ],
                "documents": [
                    {
                        "kind": d.kind,
                        "status": d.status,
                        "name": d.name or None,
                        "sha256": d.sha256 or None,
                        "owner": d.owner or None,
                        "approved": d.approved.isoformat() if d.approved else None,
                    }
                    for d in q.documents
                ],
            }
            for q in p.requirements
        ],
        "coverage": [
            {
                "control": c.control,
                "evidenced_by": c.kind,
                "runs": c.runs,
                "days_evidenced": c.days_evidenced,
                "days": c.days,
                "failing": [
                    {"from": utc_iso(i.start), "until": utc_iso(i.end) if i.end else None} for i in c.failing
                ],
            }
            for c in p.coverage
        ],
        "samples": [
            {
                "date": s.day.isoformat(),
                "as_of_run": s.as_of,
                "runs": s.runs,
                "status": s.status,
                "evidenced": s.evidenced,
            }
            for s in p.samples
        ],
        "runs": [
            {
                "run": r.run_id,
                "sequence": r.sequence,
                "at": utc_iso(r.at),
                "providers": r.providers,
                "in_period": r.in_period,
                "manifest": r.digest,
            }
            for r in p.runs
        ],
        "leavers": p.leavers,
        "exceptions": [
            {"check": r.check, "resource": r.resource, "control": r.control, "reason": r.reason}
            for r in p.readiness.exceptions
        ],
        "statement_of_applicability": [dataclasses.asdict(row) for row in p.soa],
        "request_list": [
            {
                "id": a.item.id,
                "title": a.item.title,
                "kind": a.item.kind,
                "status": a.status,
                "source": a.source,
                "requirements": a.requirements,
                "evidence": a.evidence,
                "where": a.where,
                "note": a.note,
            }
            for a in p.requests
        ],
        "populations": [
            {
                "id": pop.id,
                "title": pop.title,
                "controls": pop.controls,
                "source": pop.source,
                "collected": pop.collected,
                "rows": len(pop.rows),
                "csv": pop.csv_path,
                "note": pop.note or None,
            }
            for pop in p.populations
        ],
        "sampling": _sampling_json(p.sampling),
        **management.as_json(p.system, p.narratives, p.responses, p.unanswered, general_use=p.general_use),
    }


def _sampling_json(s: sampling.Sampling | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "method": s.method,
        "statement": s.statement,
        "size": s.size,
        "sampled_by": s.sampled_by,
        "seed": s.seed,
        "file": s.file,
        "file_sha256": s.file_sha256,
        "dates": [d.isoformat() for d in s.dates],
        "rows": s.rows,
        "unsampled": s.unsampled,
    }


def population_answers(
    found: Sequence[populations.Population], drawn: sampling.Sampling
) -> dict[str, request_list.PopulationAnswer]:
    """What the request list needs of each population: collected or not, and the evidence behind its rows
    and behind the rows the auditor sampled."""
    answers = {}
    for pop in found:
        sampled = [row for row_id in drawn.rows.get(pop.id, []) if (row := pop.row(row_id)) is not None]
        answers[pop.id] = request_list.PopulationAnswer(
            pop.id,
            pop.collected,
            len(pop.rows),
            sorted({r.evidence.removeprefix("sha256:") for r in pop.rows if r.evidence}),
            len(sampled),
            sorted({r.evidence.removeprefix("sha256:") for r in sampled if r.evidence}),
            pop.csv_path,
            pop.note if not pop.collected else "",
        )
    return answers


def population_files(packet: model.Packet) -> dict[str, bytes]:
    """populations/ID.csv for every population (a header only when it has no rows)."""
    files = {}
    for pop in packet.populations:
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(populations.csv_rows(pop))
        files[pop.csv_path] = text.getvalue().encode()
    return files


Permissions = Callable[[Sequence[RequestRecord]], Mapping[str, Sequence[str]]]
Stage = Callable[[str], None]  # told each stage of a long packet as it starts (the CLI prints to stderr)


def _quiet(_: str) -> None:
    return None


def build_model(
    config: Config,
    framework_id: str,
    locker: Locker,
    evaluate: period.Evaluate,
    permissions: Permissions,
    *,
    period_text: str | None = None,
    sample: int = 0,
    leavers: Sequence[dict[str, Any]] = (),
    now: datetime | None = None,
    stage: Stage | None = None,
    request: sampling.Request | None = None,
) -> tuple[model.Packet, list[period.RunPoint]]:
    """The packet model and the runs it draws on (the zip's manifests). The orchestrator gives how a run
    is evaluated (exactly as `check` does) and which permissions a set of requests used. `request`: how
    to sample (an auditor's seed or file); without it, `sample` rows and dates derived by trustctl."""
    framework = get_framework(framework_id)
    request = sampling.check_request(request or sampling.Request(size=sample))
    if request.file is not None:
        sampling.read_selection(request.file)  # a bad file fails before the period is evaluated
    now = now or utc_now()
    runs = period.collection_runs(locker)
    chosen = period.parse_period(period_text, now.date(), runs[0].at.date() if runs else None)
    inside = period.require_runs(chosen, runs, str(locker.root))
    stage = stage or _quiet
    stage(f"evaluating the evidence after each of the {len(inside)} run(s) in {chosen}")
    observations = period.observe(runs, inside, evaluate)
    document_runs = [
        period.RunPoint(m, parse_utc(m.completed_at), locker.manifest_digest(m.run_id))
        for m in locker.document_runs()
    ]
    stage("judging readiness, coverage and the request list")
    rules = rules_of(config)
    effective = [
        d
        for d in docs.documents_in(locker, [p.manifest for p in document_runs], rules.review_limits)
        if d.approved <= chosen.end
    ]
    citing = [
        p for p in document_runs if any(d in effective for d in docs.documents_in(locker, [p.manifest]))
    ]
    final = observations[-1]
    state = readiness(framework, rules, final.results, effective, chosen.end)
    results = [r for r in final.results if r.requirements.get(framework.id)]
    in_scope = scoped_requirements(framework, config.frameworks)
    controls = sorted({link.id for q in in_scope for link in q.controls})
    automated = {spec.control for spec in all_checks().values()}
    coverage = [
        period.control_coverage(chosen, observations, c)
        if c in automated
        else period.document_coverage(chosen, c, effective)
        for c in controls
    ]
    answered = management.response_views(
        results, responses.read_responses(locker, [p.manifest for p in document_runs])
    )
    responding = [p for p in document_runs if any(v.run_id == p.run_id for v in answered)]
    included = _included_runs(runs, inside, citing + responding)
    found = populations.build_populations(
        chosen,
        runs,
        inside,
        populations.filed_documents(locker, document_runs, effective),
        populations.snapshot_reader(locker, runs),
    )
    drawn = sampling.draw(request, found, chosen, framework.id)
    notes = []
    if runs[0].at.date() > chosen.start:
        notes.append(
            f"The period starts before the locker's first run ({runs[0].at.date()}): "
            "the days before it are not evidenced."
        )
    if any(not chosen.contains(p.at) for p in included if p not in document_runs):
        notes.append("Some evidence standing during the period was collected before it (see Evidence runs).")
    packet = model.Packet(
        organization=config.organization.name,
        framework=framework,
        period=chosen,
        generated_at=now,
        tool_version=__version__,
        locker_head=locker.manifest_digest(index.ordered_runs(locker)[-1]),
        key=signing.fingerprint(locker.public_key()),
        scope=model.scope(observations, effective),
        readiness=state,
        requirements=model.requirement_views(state, results, chosen),
        coverage=coverage,
        samples=model.sample_rows(drawn.dates, observations, controls),
        waivers=model.waiver_views(config.waiver, final.results, chosen.end),
        methodology=model.methodology(
            observations, permissions([r for o in observations for r in o.point.manifest.requests])
        ),
        results=results,
        documents=effective,
        runs=model.run_views(included, chosen),
        leavers=list(leavers or []),
        notes=notes,
        soa=statement_of_applicability(state),
        requests=request_list.request_list(
            framework,
            config,
            {q.id for q in in_scope},
            final.results,
            effective,
            population_answers(found, drawn),
            chosen.end,
        ),
        populations=found,
        sampling=drawn,
        system=config.system,
        narratives=management.narrative_views(controls, config.controls),
        responses=answered,
        unanswered=management.unanswered(results, answered),
    )
    return packet, included


def write_packet(
    packet: model.Packet,
    locker: Locker,
    included: list[period.RunPoint],
    key: Any,
    out: Path | None = None,
    stage: Stage | None = None,
) -> BuiltPacket:
    """packet.html, packet.pdf, results.xlsx, packet.json and the signed packet.zip into one directory."""
    out = out or Path("packets") / f"{packet.framework.id}-{packet.period.end.isoformat()}"
    out.mkdir(parents=True, exist_ok=True)
    stage = stage or _quiet
    stage("typesetting packet.html and packet.pdf")
    html_path, pdf_path = html.write(packet, out)
    stage("writing results.xlsx, packet.json and request-list.csv")
    workbook = write_workbook(packet, out / "results.xlsx")
    json_path = out / "packet.json"
    json_path.write_text(json.dumps(as_json(packet), indent=2) + "\n", encoding="utf-8")
    requests_path = out / REQUEST_LIST
    requests_path.write_bytes(request_list.as_csv(packet.requests))
    tables = population_files(packet)
    for name, data in tables.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    # The runs' evidence, and each population row's (a removal's evidence may be a later run's).
    objects = {o for p in included for o in p.manifest.objects}
    objects |= {r.evidence for pop in packet.populations for r in pop.rows if r.evidence}
    stage(f"signing packet.zip ({len(included)} run manifests, {len(objects)} evidence objects)")
    files = {
        "packet.pdf": pdf_path.read_bytes(),
        "packet.html": html_path.read_bytes(),
        "results.xlsx": workbook.read_bytes(),
        "packet.json": json_path.read_bytes(),
        REQUEST_LIST: requests_path.read_bytes(),
        "VERIFY.txt": VERIFY_TEXT.format(key=packet.key).encode(),
        PUBLIC_KEY: locker.public_key_pem(),
        **bundle.run_files(locker, [p.run_id for p in included]),
        **tables,
        **bundle.evidence_files(locker, objects),
    }
    made = bundle.write_zip(out / "packet.zip", files, key, packet.generated_at)
    paths = {
        "pdf": pdf_path,
        "html": html_path,
        "workbook": workbook,
        "json": json_path,
        "requests": requests_path,
        "zip": made.path,
    }
    return BuiltPacket(out, packet, paths, made)
