"""The sales pipeline CSV: one open deal per row, with the certifications it waits on.

Default columns `deal,amount,probability,close_date,requires`; presets map the column names of
Salesforce and HubSpot opportunity exports, and `--column FIELD=HEADER` overrides any of them.
Every bad cell is an InputError naming the file, the row (the header is row 1, as in a spreadsheet)
and what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from trustctl.errors import InputError
from trustctl.ids import CERTIFICATION_IDS
from trustctl.inputs import EARLIEST, LATEST, csv_records
from trustctl.roadmap.certifications import normalise

FIELDS = ("deal", "amount", "probability", "close_date", "requires")
OPTIONAL = ("stage",)  # when mapped, rows in a closed stage (won or lost) are skipped
MAX_AMOUNT = 1e15  # far beyond any deal, and small enough that sums over deals stay finite
ISO_DATES = ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Preset:
    columns: dict[str, str]  # our field -> the export's header
    date_formats: tuple[str, ...]


PRESETS: dict[str, Preset] = {
    "default": Preset({f: f for f in FIELDS}, ISO_DATES),
    # Salesforce opportunity report export; the certifications are a custom multi-select picklist,
    # which Salesforce exports with ';' between values.
    "salesforce": Preset(
        {
            "deal": "Opportunity Name",
            "amount": "Amount",
            "probability": "Probability (%)",
            "close_date": "Close Date",
            "requires": "Required Certifications",
            "stage": "Stage",
        },
        ("%m/%d/%Y", *ISO_DATES),
    ),
    # HubSpot deals export; the certifications are a custom multiple-checkbox property (';'-separated).
    "hubspot": Preset(
        {
            "deal": "Deal Name",
            "amount": "Amount",
            "probability": "Deal probability",
            "close_date": "Close Date",
            "requires": "Required Certifications",
            "stage": "Deal Stage",
        },
        (*ISO_DATES, "%m/%d/%Y"),
    ),
}


@dataclass(frozen=True)
class Deal:
    name: str
    amount: float
    probability: float  # 0..1
    close_date: date
    requires: frozenset[str]
    row: int


@dataclass(frozen=True)
class Pipeline:
    source: str
    deals: tuple[Deal, ...]
    skipped_closed: int  # rows in a closed stage
    without_requirements: int  # open deals that wait on no certification


def parse_columns(pairs: list[str]) -> dict[str, str]:
    """`--column FIELD=HEADER` options -> {field: header}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        field = field.strip()
        if not sep or not header.strip() or field not in (*FIELDS, *OPTIONAL):
            raise InputError(
                f"--column {pair!r}: give FIELD=HEADER with FIELD one of {', '.join((*FIELDS, *OPTIONAL))}."
            )
        mapping[field] = header.strip()
    return mapping


def _amount(text: str, where: str) -> float:
    cleaned = re.sub(r"^(?:[A-Z]{3}\s*|[$€£¥])", "", text.strip()).replace(",", "").replace(" ", "")
    try:
        value = float(cleaned)
    except ValueError:
        raise InputError(
            f"{where}: amount {text!r} is not a number; write it as digits, e.g. 120000 or 120,000.00."
        ) from None
    if not 0 <= value <= MAX_AMOUNT:  # also refuses nan and inf
        raise InputError(
            f"{where}: amount {text!r} must be a non-negative number, at most {MAX_AMOUNT:,.0f}."
        )
    return value


def _probability(text: str, where: str) -> float:
    cleaned = text.strip()
    percent = cleaned.endswith("%")
    try:
        value = float(cleaned.rstrip("%").strip())
    except ValueError:
        raise InputError(
            f"{where}: probability {text!r} is not a number; give 0-1 (0.6) or a percentage (60 or 60%)."
        ) from None
    if percent or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise InputError(
            f"{where}: probability {text!r} is out of range; give 0-1 (0.6) or a percentage 0-100 (60)."
        )
    return value


def _date(text: str, formats: tuple[str, ...], where: str) -> date:
    for fmt in formats:
        try:
            day = datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
        if not EARLIEST <= day <= LATEST:
            raise InputError(
                f"{where}: close date {text!r} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}; "
                "give the deal's expected close date."
            )
        return day
    shown = ", ".join(f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD") for f in formats[:2])
    raise InputError(f"{where}: close date {text!r} is not a date; write it as {shown}.")


def _requires(text: str, where: str) -> frozenset[str]:
    found = set()
    for part in text.split(";"):
        if not part.strip():
            continue
        certification = normalise(part)
        if certification is None:
            raise InputError(
                f"{where}: unknown certification {part.strip()!r} in requires; use "
                f"{', '.join(CERTIFICATION_IDS)} separated by ';'."
            )
        found.add(certification)
    return frozenset(found)


def _header_index(header: list[str], columns: dict[str, str], source: str) -> dict[str, int]:
    folded = {h.strip().lower(): i for i, h in enumerate(header)}
    index: dict[str, int] = {}
    for field, name in columns.items():
        if name.strip().lower() in folded:
            index[field] = folded[name.strip().lower()]
        elif field in FIELDS:
            raise InputError(
                f"{source}: row 1: missing column {name!r} (the deal's {field}); the header has "
                f"{', '.join(repr(h) for h in header) or 'nothing'}. Add the column, or map it with "
                f"--column {field}=HEADER (or --preset salesforce|hubspot)."
            )
    return index


def read_pipeline(
    text: str, source: str, preset: str = "default", columns: dict[str, str] | None = None
) -> Pipeline:
    """Parse pipeline CSV text; `source` names the file in errors."""
    if preset not in PRESETS:
        raise InputError(f"--preset {preset}: one of {', '.join(PRESETS)}.")
    chosen = PRESETS[preset]
    mapping = {**chosen.columns, **(columns or {})}
    rows = [row for _, row in csv_records(text.lstrip("\ufeff"), source)]
    numbered = [(n, row) for n, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise InputError(
            f"{source}: the file is empty; give a header row ({','.join(FIELDS)}) and one row per open deal."
        )
    (_, header), body = numbered[0], numbered[1:]
    index = _header_index(header, mapping, source)
    deals: list[Deal] = []
    closed = unrequired = 0
    for number, row in body:
        where = f"{source}: row {number}"

        def cell(field: str, row: list[str] = row) -> str:
            i = index[field]
            return row[i] if i < len(row) else ""

        if "stage" in index and cell("stage").strip().lower().replace(" ", "").startswith("closed"):
            closed += 1
            continue
        name = cell("deal").strip()
        if not name:
            raise InputError(f"{where}: the deal has no name; fill in the {mapping['deal']!r} column.")
        if not cell("close_date").strip():
            raise InputError(f"{where}: deal {name!r} has no close date; fill in {mapping['close_date']!r}.")
        deal = Deal(
            name,
            _amount(cell("amount"), where),
            _probability(cell("probability"), where),
            _date(cell("close_date"), chosen.date_formats, where),
            _requires(cell("requires"), where),
            number,
        )
        if not deal.requires:
            unrequired += 1
        deals.append(deal)
    return Pipeline(source, tuple(deals), closed, unrequired)


def load_pipeline(path: Path, preset: str = "default", columns: dict[str, str] | None = None) -> Pipeline:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read ({e}).") from None
    return read_pipeline(text, str(path), preset, columns)
