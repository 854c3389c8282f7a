"""Samples an auditor tests: rows of each population and dates of the period, drawn one of three ways.

- `trustctl` (the default): seeded with the framework and the period. Reproducible, but derived by the
  company's own tool, so not independent of the company; the packet says so.
- `seed`: `--sample-seed SEED`, a seed the auditor supplies; the same seed draws the same sample.
- `file`: `--samples FILE`, the auditor's own selection drawn with any tool, a CSV with the columns
  `population,row` (a row id of populations/ID.csv) or `population,date` (population `dates`: a date of
  the period for the sampled-dates chapter). The packet records the file's SHA-256.

`--sample N` is how many rows per population and how many dates. Asking for more than a population (or
the period's days) holds is an InputError, never a smaller sample; an empty population, or one whose
source was not collected, has nothing to draw and the packet says which.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from trustctl.errors import InputError
from trustctl.evidence.canonical import sha256_hex
from trustctl.inputs import BoundsError, csv_records, single_line
from trustctl.packet.period import Period
from trustctl.packet.populations import POPULATIONS, Population

DATES = "dates"  # the population column's value for a sampled date in a samples file
METHODS = ("trustctl", "seed", "file")
T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """What the command line asked for."""

    size: int = 0
    seed: str | None = None
    file: Path | None = None
    sampled_by: str | None = None


@dataclass(frozen=True)
class Selection:
    """A samples file as read: (line, population, row id) and (line, date), in file order."""

    path: Path
    sha256: str
    rows: list[tuple[int, str, str]]
    dates: list[tuple[int, date]]


@dataclass(frozen=True)
class Sampling:
    method: str  # one of METHODS
    size: int  # per population and of dates (the file's own counts for `file`)
    sampled_by: str | None
    seed: str | None  # the auditor's seed (`seed`), or what trustctl derived it from (`trustctl`)
    file: str | None
    file_sha256: str | None
    rows: dict[str, list[str]] = field(default_factory=dict)  # population -> sampled row ids
    dates: list[date] = field(default_factory=list)
    unsampled: dict[str, str] = field(default_factory=dict)  # population -> why nothing was drawn

    @property
    def statement(self) -> str:
        if self.method == "seed":
            return (
                f"Drawn by trustctl from the seed {self.seed!r} supplied by {self.sampled_by}: "
                "the same seed and evidence draw the same sample."
            )
        if self.method == "file":
            return (
                f"Selected by {self.sampled_by} outside trustctl, in {self.file} "
                f"(SHA-256 {self.file_sha256})."
            )
        return (
            f"Derived by trustctl from the framework and the period ({self.seed}): reproducible, but not "
            "independent of the company. An auditor supplies a seed (--sample-seed) or a selection "
            "(--samples) for a sample of their own."
        )


def check_request(request: Request) -> Request:
    """The options' combinations, before any work: one method, and who supplied an auditor's sample."""
    if request.seed is not None and request.file is not None:
        raise InputError(
            "--sample-seed and --samples: give one (a seed to draw from, or the drawn selection)."
        )
    if request.file is not None and request.size:
        raise InputError(
            f"--samples {request.file} with --sample {request.size}: the file is the sample; drop --sample."
        )
    if request.seed is not None and not request.size:
        raise InputError("--sample-seed needs --sample N: how many rows per population and dates to draw.")
    auditor = request.seed is not None or request.file is not None
    if auditor and not request.sampled_by:
        raise InputError(
            "--sampled-by is required with --sample-seed or --samples: name who supplied them.",
            'e.g. --sampled-by "Jane Roe, Example Audit LLP"',
        )
    if not auditor and request.sampled_by:
        raise InputError(
            "--sampled-by names who supplied --sample-seed or --samples; without them trustctl draws the sample."
        )
    for option, text in (("--sample-seed", request.seed), ("--sampled-by", request.sampled_by)):
        if text is not None:
            try:
                single_line(text)
            except BoundsError as e:
                raise InputError(f"{option} {e}.") from None
    return request


def read_selection(path: Path) -> Selection:
    """A samples file, checked line by line (populations and dates; row ids are checked in `draw`)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read the samples file ({e.strerror or e}).") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{path}: the samples file is not UTF-8 text ({e.reason} at byte {e.start})."
        ) from None
    records = [(line, [c.strip() for c in cells]) for line, cells in csv_records(text, str(path))]
    records = [(line, cells) for line, cells in records if any(cells)]
    if not records:
        raise InputError(
            f"{path}: the samples file is empty.", "Give a header population,row or population,date."
        )
    header = [h.lower() for h in records[0][1]]
    if "population" not in header or not {"row", "date"} & set(header):
        raise InputError(
            f"{path} line {records[0][0]}: the header must name the columns population and row (or date); "
            f"found {', '.join(records[0][1])}."
        )
    rows: list[tuple[int, str, str]] = []
    dates: list[tuple[int, date]] = []
    for line, cells in records[1:]:
        value = dict(zip(header, cells, strict=False))
        population, row, day = value.get("population", ""), value.get("row", ""), value.get("date", "")
        where = f"{path} line {line}"
        if population == DATES:
            try:
                dates.append((line, date.fromisoformat(day)))
            except ValueError:
                raise InputError(f"{where}: date {day!r} is not an ISO date (YYYY-MM-DD).") from None
        elif population in POPULATIONS:
            if not row:
                raise InputError(
                    f"{where}: no row id for population {population} (a row of populations/{population}.csv)."
                )
            rows.append((line, population, row))
        else:
            raise InputError(
                f"{where}: unknown population {population!r}.",
                f"Populations: {', '.join(POPULATIONS)}, or {DATES} for a date of the period.",
            )
    return Selection(path, sha256_hex(data), rows, dates)


def _rng(text: str) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


def _draw(items: Sequence[T], n: int, seed_text: str) -> list[T]:
    """n of `items`, kept in their order."""
    chosen = set(_rng(seed_text).sample(range(len(items)), n))
    return [item for i, item in enumerate(items) if i in chosen]


def sample_dates(period: Period, framework_id: str, n: int, seed: str | None = None) -> list[date]:
    """N distinct dates of the period: the same for the same seed, or (without one) for the same framework
    and period. More dates than the period has is an InputError."""
    if n <= 0:
        return []
    if n > period.days:
        raise InputError(
            f"--sample {n}: the period {period} has {period.days} day(s); ask for at most {period.days}."
        )
    seed_text = f"seed:{seed}:{DATES}" if seed is not None else f"{framework_id}:{period}"
    return _draw(period.dates(), n, seed_text)


def _file_sample(
    selection: Selection, populations: Mapping[str, Population], period: Period, sampled_by: str | None
) -> Sampling:
    rows: dict[str, list[str]] = {}
    seen: dict[tuple[str, str], int] = {}
    for line, population, row in selection.rows:
        where = f"{selection.path} line {line}"
        found = populations[population]
        if not found.collected:
            raise InputError(f"{where}: population {population} was not collected ({found.source}).")
        if found.row(row) is None:
            raise InputError(
                f"{where}: population {population} has no row {row!r} "
                f"({len(found.rows)} row(s): see {found.csv_path})."
            )
        if (population, row) in seen:
            raise InputError(f"{where}: row {row} repeats line {seen[(population, row)]}.")
        seen[(population, row)] = line
        rows.setdefault(population, []).append(row)
    days: dict[date, int] = {}
    for line, day in selection.dates:
        where = f"{selection.path} line {line}"
        if not period.start <= day <= period.end:
            raise InputError(f"{where}: date {day} is outside the period {period}.")
        if day in days:
            raise InputError(f"{where}: date {day} repeats line {days[day]}.")
        days[day] = line
    ordered = {}
    for population, ids in rows.items():  # in the population's order, as a seed's draw is
        position = {r.id: i for i, r in enumerate(populations[population].rows)}
        ordered[population] = sorted(ids, key=position.__getitem__)
    return Sampling(
        "file",
        0,
        sampled_by,
        None,
        selection.path.name,
        selection.sha256,
        ordered,
        sorted(days),
        _unsampled(list(populations.values()), ordered),
    )


def draw(request: Request, populations: Sequence[Population], period: Period, framework_id: str) -> Sampling:
    """The sample the request asks for, from these populations and the period's dates."""
    found = {p.id: p for p in populations}
    if request.file is not None:
        return _file_sample(read_selection(request.file), found, period, request.sampled_by)
    n = request.size
    short = [p for p in populations if p.collected and 0 < len(p.rows) < n]
    if short:
        held = ", ".join(f"{p.id} holds {len(p.rows)}" for p in short)
        raise InputError(
            f"--sample {n}: more rows than a population holds ({held}).",
            f"Ask for at most {min(len(p.rows) for p in short)}, or give the selection with --samples FILE "
            "(any number per population).",
        )
    dates = sample_dates(period, framework_id, n, request.seed)
    derived = f"{framework_id}:{period}"
    rows = {}
    for p in populations:
        if n and p.collected and p.rows:
            seed_text = f"seed:{request.seed}:{p.id}" if request.seed is not None else f"{derived}:{p.id}"
            rows[p.id] = [r.id for r in _draw(p.rows, n, seed_text)]
    return Sampling(
        "seed" if request.seed is not None else "trustctl",
        n,
        request.sampled_by,
        request.seed if request.seed is not None else derived,
        None,
        None,
        rows,
        dates,
        _unsampled(populations, rows) if n else {},
    )


def _unsampled(populations: Sequence[Population], rows: Mapping[str, list[str]]) -> dict[str, str]:
    why = {}
    for p in populations:
        if p.id in rows:
            continue
        why[p.id] = "not collected" if not p.collected else ("empty" if not p.rows else "not selected")
    return why
