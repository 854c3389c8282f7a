"""What a trust report says, built only from aggregates: counts per statement and area, framework
status, and (for one customer) where its data lives and what protects it. Nothing here carries an
account id, ARN, resource, user or key name: every field is a count, a date, a region, a status or
text from the configuration and the statements allow-list."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal

from trustctl.assessment import Assessment, TenantFigures
from trustctl.config import Config
from trustctl.config_declared import AUDITED, HeldCertification, InObservation
from trustctl.controls.catalog import load_catalog
from trustctl.controls.results import Result, Status
from trustctl.facts.base import MEMBERS
from trustctl.frameworks.readiness import Readiness
from trustctl.ids import CERTIFICATION_NAMES, FRAMEWORK_CERTIFICATIONS
from trustctl.trust.statements import AREAS, FAMILY_AREA, STATEMENTS

Level = Literal["public", "nda"]


@dataclass(frozen=True)
class Line:
    """`12 of 14 production databases are encrypted at rest`."""

    passed: int
    total: int
    unverified: int
    noun: str
    predicate: str
    unlisted: bool = False  # some of the population could not even be listed: the total is a floor

    @property
    def ok(self) -> bool:
        return self.passed == self.total and not self.unverified and not self.unlisted

    @property
    def in_place(self) -> str:
        """The public wording of a statement that holds everywhere: no counts."""
        return f"{self.noun[:1].upper()}{self.noun[1:]} {self.predicate}"

    @property
    def text(self) -> str:
        whole = self.passed == self.total and self.total > 1 and not self.unlisted
        count = f"All {self.total}" if whole else f"{self.passed} of {self.total}"
        tails = [f"{self.unverified} could not be verified"] if self.unverified else []
        if self.unlisted:
            tails.append("more could not be listed, so the count is incomplete")
        tail = f" ({'; '.join(tails)})" if tails else ""
        if self.passed == self.total == 1 and not tail:
            return f"{self.in_place} (1 of 1)"  # not "1 of 1 customers ... have": the noun is plural
        return f"{count} {self.noun} {self.predicate}{tail}"


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    status: str  # passing | attention | no_evidence
    lines: list[Line]
    passed: int
    failed: int  # failing or not verifiable (error); waived findings are not among them
    exceptions: int = 0  # waived findings: accepted exceptions, counted apart from passes and failures

    @property
    def in_place(self) -> list[str]:
        """What the public level says of the area: the statements that hold for everything they cover."""
        return [line.in_place for line in self.lines if line.ok and line.total]


@dataclass(frozen=True)
class ControlRow:
    id: str
    name: str
    status: str
    passed: int
    failed: int


@dataclass(frozen=True)
class CustomerView:
    name: str
    regions: list[str]
    isolation_promised: str
    isolation_reached: str
    stores: int
    cmk_stores: int
    rotating_keys: int
    dedicated_keys: bool
    backed_up: int
    last_recovery_point: str | None
    statuses: dict[str, str]  # check -> status for this tenant


@dataclass(frozen=True)
class LibraryDocument:
    """A document in the trust center's library (NDA level): its kind, title and dates, never its owner."""

    kind: str
    title: str
    approved: str
    review_by: str


@dataclass(frozen=True)
class Exceptions:
    """NDA level: open findings and accepted exceptions as counts, with the date the last one ends."""

    findings: int  # failing or unverifiable results being remediated
    accepted: int  # waived results: owned, time-limited exceptions
    accepted_until: str | None  # the latest expiry of the waivers behind them


@dataclass(frozen=True)
class TrustReport:
    organization: str
    level: Level
    checked: str  # the date the evidence was observed, "24 Nov 2026"
    generated: str
    run_id: str
    run_digest: str
    key: str  # the fingerprint of the key that signed the run, to compare with what `init` printed
    packet_digest: str | None
    frameworks: list[FrameworkStatus]
    areas: list[Area]
    controls: list[ControlRow] = field(default_factory=list)
    customer: CustomerView | None = None
    contact: str = ""
    subprocessors: list[dict[str, str]] = field(default_factory=list)
    library: list[LibraryDocument] = field(default_factory=list)  # NDA: the documents in force
    exceptions: Exceptions | None = None  # NDA: open findings and accepted exceptions
    tests: dict[str, str] = field(default_factory=dict)  # NDA: "penetration test" -> its date

    @property
    def shown_areas(self) -> list[Area]:
        """Public: only areas with something in place (never an area shown as failing). NDA: every area."""
        if self.level == "nda":
            return self.areas
        return [a for a in self.areas if a.in_place]


def day(value: date | datetime) -> str:
    return f"{value.day} {value.strftime('%b %Y')}"


def statement_lines(results: list[Result]) -> dict[str, Line]:
    """check -> its statement's line over these results (checks without a statement are left out)."""
    by_check: dict[str, Counter[str]] = {}
    for r in results:
        if r.check in STATEMENTS:
            # An unlisted population is not one more item: it is an unknown number of them.
            status = "unlisted" if r.region == MEMBERS else r.status.value
            by_check.setdefault(r.check, Counter())[status] += 1
    lines: dict[str, Line] = {}
    for check, counts in sorted(by_check.items()):
        statement = STATEMENTS[check]
        total = sum(n for status, n in counts.items() if status != "unlisted")
        lines[check] = Line(
            counts["pass"],
            total,
            counts["error"],
            statement.noun,
            statement.predicate,
            unlisted=bool(counts["unlisted"]),
        )
    return lines


def _lines(results: list[Result]) -> dict[str, list[Line]]:
    """area -> the lines of its statements (not-applicable results aside)."""
    lines: dict[str, list[Line]] = {}
    judged = [r for r in results if r.status is not Status.NOT_APPLICABLE]
    for check, line in statement_lines(judged).items():
        lines.setdefault(STATEMENTS[check].area, []).append(line)
    return lines


def area_of(result: Result) -> str | None:
    """The control area a result counts towards: its statement's, else its control family's."""
    if result.check in STATEMENTS:
        return STATEMENTS[result.check].area
    return FAMILY_AREA.get(result.control.split("-")[0])


def _areas(results: list[Result], omit: list[str]) -> list[Area]:
    lines = _lines(results)
    areas = []
    for key, title in AREAS.items():
        mine = [r for r in results if area_of(r) == key and r.status is not Status.NOT_APPLICABLE]
        passed = sum(r.status is Status.PASS for r in mine)
        waived = sum(r.status is Status.WAIVED for r in mine)
        failed = len(mine) - passed - waived
        status = "no_evidence" if not mine else ("passing" if failed == 0 and not waived else "attention")
        if status == "attention" and key in omit:
            continue  # omitted by configuration: never shown as passing
        areas.append(Area(key, title, status, lines.get(key, []), passed, failed, waived))
    return areas


@dataclass(frozen=True)
class FrameworkStatus:
    name: str
    status: str  # certified | attested | observation | in_progress | expired
    detail: str

    @property
    def badge(self) -> str:
        return BADGES[self.status]


BADGES = {
    "certified": "held",
    "attested": "attested",
    "observation": "in observation",
    "in_progress": "in progress",
    "expired": "expired",
}


def held_wording(cert: str, holding: HeldCertification, today: date) -> FrameworkStatus:
    """The honest word for a held certification: audited (a report, or for ISO a certificate, with its
    date and firm); HIPAA and FERPA self-attested or assessed by a named third party, never a 'report'."""
    name, issued, expires = CERTIFICATION_NAMES[cert], day(holding.issued), holding.expires
    lapsed = day(expires) if expires is not None and expires < today else None
    if cert not in AUDITED:
        said = (
            f"assessed by {holding.assessed_by} on {issued}"
            if holding.assessed_by
            else f"self-attested on {issued}"
        )
        if lapsed:
            return FrameworkStatus(name, "expired", f"{said}; lapsed {lapsed}")
        until = f"; next attestation due by {day(expires)}" if expires is not None else ""
        return FrameworkStatus(name, "attested", said + until)
    by = f" by {holding.auditor}" if holding.auditor else ""
    if cert == "iso27001":
        said = f"certified{by}; certificate issued {issued}"
    else:
        said = f"audited{by}; report dated {issued}"
    if lapsed:
        return FrameworkStatus(name, "expired", f"{said}; expired {lapsed}")
    until = f"; valid until {day(expires)}" if expires is not None else ""
    return FrameworkStatus(name, "certified", said + until)


def observation_wording(cert: str, audit: InObservation, today: date) -> FrameworkStatus:
    """An audit under way: the window's end, and once it has passed, that the report is being prepared."""
    by = f"; auditor {audit.auditor}" if audit.auditor else ""
    since = f" from {day(audit.observation_from)}" if audit.observation_from else ""
    if audit.observation_until < today:
        said = f"observation window ended {day(audit.observation_until)}; report in preparation{by}"
    else:
        said = f"in observation{since} until {day(audit.observation_until)}; the report follows{by}"
    return FrameworkStatus(CERTIFICATION_NAMES[cert], "observation", said)


def _frameworks(
    config: Config, readiness: list[Readiness], today: date, level: Level
) -> list[FrameworkStatus]:
    """Held certifications with the honest word, audits in observation with their date, and for the
    other frameworks, work in progress: with counts at the NDA level, without them in public."""
    held = config.certifications.held()
    observed = config.certifications.in_observation()
    pursued = config.trust.in_progress
    out = [held_wording(cert, holding, today) for cert, holding in held.items()]
    out += [observation_wording(cert, audit, today) for cert, audit in observed.items()]
    for r in readiness:
        if any(c in held or c in observed for c in FRAMEWORK_CERTIFICATIONS.get(r.framework.id, ())):
            continue
        if pursued is not None and r.framework.id not in pursued:
            continue  # not claimed as in progress where the organization is not working toward it
        if level != "nda":
            audited = any(c in AUDITED for c in FRAMEWORK_CERTIFICATIONS.get(r.framework.id, ()))
            yet = "no report issued yet" if audited else "not yet attested"  # HIPAA, FERPA: no report
            out.append(
                FrameworkStatus(r.framework.name, "in_progress", f"controls mapped and monitored; {yet}")
            )
            continue
        total = sum(n for s, n in r.counts.items() if s != "not_applicable")
        met = r.counts.get("met", 0)
        by_checks = r.basis.get("evidenced", 0) + r.basis.get("mixed", 0)
        out.append(
            FrameworkStatus(
                r.framework.name,
                "in_progress",
                f"in progress: {met} of {total} requirements met"
                + (f" ({100 * met // total}%)" if total else "")
                + (
                    f": {by_checks} verified by automated checks, {r.basis.get('declared', 0)} on documents alone"
                    if met
                    else ""
                ),
            )
        )
    return out


def _controls(results: list[Result]) -> list[ControlRow]:
    catalog = load_catalog()
    counts: dict[str, Counter[str]] = {}
    for r in results:
        if r.status is not Status.NOT_APPLICABLE:
            counts.setdefault(r.control, Counter())[r.status.value] += 1
    rows = []
    for control_id, c in sorted(counts.items()):
        failed = sum(v for k, v in c.items() if k != "pass")
        status = "passing" if failed == 0 else ("failing" if c["fail"] or c["waived"] else "not verified")
        rows.append(ControlRow(control_id, catalog.get(control_id).name, status, c["pass"], failed))
    return rows


def customer_view(figures: TenantFigures, display_name: str = "") -> CustomerView:
    """One tenant's view, from the figures the assessment judged (a report judges nothing again)."""
    statuses = dict(figures.statuses)
    promised = figures.isolation_promised
    reached = promised if statuses.get("isolation.tenant_dedicated") == "pass" else "shared"
    point = figures.last_recovery_point
    return CustomerView(
        name=display_name or figures.name,
        regions=list(figures.regions),
        isolation_promised=promised,
        isolation_reached=reached,
        stores=figures.stores,
        cmk_stores=figures.cmk_stores,
        rotating_keys=figures.rotating_keys,
        dedicated_keys=figures.dedicated_keys,
        backed_up=figures.backed_up,
        last_recovery_point=None if point is None else point.astimezone(UTC).strftime("%d %b %Y %H:%M UTC"),
        statuses=statuses,
    )


TENANT_CHECKS = "isolation.tenant_"  # one result per tenant: facts about each customer
TESTS = {"pen-test-report": "penetration test", "bcp-test-record": "continuity test"}


def library(assessed: Assessment) -> list[LibraryDocument]:
    today = assessed.today
    return [
        LibraryDocument(d.kind, d.name, day(d.approved), day(d.review_by))
        for d in sorted(assessed.documents, key=lambda d: (d.kind, d.name))
        if d.state(today) in ("fresh", "due")
    ]


def _tests(assessed: Assessment) -> dict[str, str]:
    """The date of the latest penetration and continuity tests on record (documents), by name."""
    found: dict[str, str] = {}
    for kind, name in TESTS.items():
        dates = [d.approved for d in assessed.documents if d.kind == kind]
        found[name] = day(max(dates)) if dates else "none on record"
    return found


def _exceptions(config: Config, results: list[Result], today: date) -> Exceptions:
    waived = [r for r in results if r.status is Status.WAIVED]
    ends = [
        w.expires
        for w in config.waiver
        if w.expires >= today and any(w.matches(r.check, r.resource) for r in waived)
    ]
    findings = sum(r.status in (Status.FAIL, Status.ERROR) for r in results)
    return Exceptions(findings, len(waived), day(max(ends)) if ends else None)


def build_report(
    config: Config,
    assessed: Assessment,
    *,
    level: Level = "public",
    packet_digest: str | None = None,
    customer: str | None = None,
) -> TrustReport:
    """The report from one assessment; `customer`: a tenant's own view besides the shared areas (and
    then nothing about any other tenant: the per-tenant checks leave the shared areas)."""
    as_of = assessed.run.as_of
    results = list(assessed.results)
    view = None
    if customer is not None:
        tenant = next((t for t in config.tenants if t.name == customer), None)
        view = customer_view(assessed.tenants[customer], tenant.display_name if tenant else "")
        results = [r for r in results if not r.check.startswith(TENANT_CHECKS)]
    nda = level == "nda"
    return TrustReport(
        organization=config.organization.name,
        level=level,
        checked=day(as_of),
        generated=datetime.now(UTC).strftime("%d %b %Y %H:%M UTC"),
        run_id=assessed.run.run_id,
        run_digest=assessed.run.digest,
        key=assessed.run.key,
        packet_digest=packet_digest,
        frameworks=_frameworks(config, list(assessed.readiness.values()), as_of.date(), level),
        areas=_areas(results, list(config.trust.omit_areas)),
        controls=_controls(results) if nda else [],
        customer=view,
        contact=config.trust.contact,
        subprocessors=[s.model_dump() for s in config.trust.subprocessors],
        library=library(assessed) if nda else [],
        exceptions=_exceptions(config, results, assessed.today) if nda else None,
        tests=_tests(assessed) if nda else {},
    )
