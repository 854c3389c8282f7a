"""Read a questionnaire workbook's question ids and write the answers into a copy of it.

The map's layout names the columns by their header text; the header row is the given one, or the first
of rows 1-30 holding the id, answer and comment headers (editions move the title rows). An evidence
header the sheet lacks is added after its last header. Two sheets are added: the questions left blank
with why ("trustctl unanswered"; Excel forbids ':' in a sheet name) and every evidence hash per
question ("trustctl evidence"), since a cell holds at most 32,767 characters.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.worksheet import Worksheet

from trustctl.errors import InputError
from trustctl.questionnaire.judge import Answered, Unanswered
from trustctl.questionnaire.maps import Layout

UNANSWERED_SHEET = "trustctl unanswered"
EVIDENCE_SHEET = "trustctl evidence"
SEARCH_ROWS = 30
CELL_LIMIT = 32_767
MAX_BYTES = 50 * 2**20


@dataclass
class Sheet:
    """The questionnaire's sheet and where its columns are (1-based), with each question's row."""

    book: Workbook
    sheet: Worksheet
    header_row: int
    columns: dict[str, int]  # id | answer | comment | evidence -> column
    rows: dict[str, int]  # question id -> row


def open_workbook(path: Path) -> Workbook:
    if not path.is_file():
        raise InputError(f"{path}: no such file.")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; not a questionnaire.")
    try:
        return load_workbook(path)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise InputError(
            f"{path}: not an .xlsx workbook ({type(e).__name__}).", "Save the questionnaire as .xlsx."
        ) from None


def _headers(sheet: Worksheet, row: int) -> dict[str, int]:
    return {
        str(cell.value).strip(): cell.column
        for cell in sheet[row]
        if cell.value is not None and str(cell.value).strip()
    }


def _match(headers: dict[str, int], name: str) -> int | None:
    """The column headed `name`, or else the one header starting with it (case aside): editions add
    suffixes such as "(Optional/Recommended)"; two such headers are no match."""
    if name in headers:
        return headers[name]
    starting = [c for h, c in headers.items() if h.casefold().startswith(name.casefold())]
    return starting[0] if len(starting) == 1 else None


def find_sheet(book: Workbook, layout: Layout, source: Path) -> Sheet:
    """The sheet and header row holding the layout's headers; InputError naming what is missing."""
    wanted = [layout.id, layout.answer, layout.comment]
    if layout.sheet is not None and layout.sheet not in book.sheetnames:
        raise InputError(
            f"{source}: no sheet {layout.sheet!r} (sheets: {', '.join(book.sheetnames)}).",
            "Give a map whose layout names the questionnaire's sheet.",
        )
    sheets = [book[layout.sheet]] if layout.sheet is not None else list(book.worksheets)
    for sheet in sheets:
        rows = [layout.header_row] if layout.header_row else range(1, SEARCH_ROWS + 1)
        for row in rows:
            headers = _headers(sheet, row)
            if all(_match(headers, h) is not None for h in wanted):
                return _located(book, sheet, row, headers, layout)
    where = f"sheet {layout.sheet!r}" if layout.sheet else "any sheet"
    at = f"row {layout.header_row}" if layout.header_row else f"rows 1-{SEARCH_ROWS}"
    raise InputError(
        f"{source}: no header row in {where} ({at}) holds the columns "
        + ", ".join(repr(h) for h in wanted)
        + ".",
        "Give a map (--map FILE) whose layout spells the questionnaire's headers.",
    )


def _located(book: Workbook, sheet: Worksheet, row: int, headers: dict[str, int], layout: Layout) -> Sheet:
    columns = {
        key: column
        for key, name in (("id", layout.id), ("answer", layout.answer), ("comment", layout.comment))
        if (column := _match(headers, name)) is not None
    }
    if layout.evidence is not None:
        evidence = _match(headers, layout.evidence)
        if evidence is None:
            evidence = max(headers.values()) + 1
            sheet.cell(row=row, column=evidence, value=layout.evidence)
        columns["evidence"] = evidence
    rows: dict[str, int] = {}
    for r in range(row + 1, sheet.max_row + 1):
        value = sheet.cell(row=r, column=columns["id"]).value
        qid = str(value).strip() if value is not None else ""
        if qid and qid not in rows:
            rows[qid] = r
    return Sheet(book, sheet, row, columns, rows)


def write_answers(found: Sheet, answers: list[Answered | Unanswered], out: Path) -> None:
    """The answers into the question rows, the two sheets added, saved to `out`."""
    sheet = found.sheet
    evidence_rows: list[tuple[str, str]] = []
    for a in answers:
        if not isinstance(a, Answered):
            continue
        row = found.rows[a.id]
        sheet.cell(row=row, column=found.columns["answer"], value=a.answer)
        hashes = "\n".join(a.evidence)
        comment = a.comment
        if "evidence" in found.columns:
            cell = (
                hashes
                if len(hashes) <= CELL_LIMIT
                else f"{len(a.evidence)} evidence objects: see sheet '{EVIDENCE_SHEET}'"
            )
            sheet.cell(row=row, column=found.columns["evidence"], value=cell or None)
        elif a.evidence:
            comment += f" Evidence: {len(a.evidence)} objects, listed in sheet '{EVIDENCE_SHEET}'."
        sheet.cell(row=row, column=found.columns["comment"], value=comment)
        evidence_rows.extend((a.id, h) for h in a.evidence)
    book = found.book
    for title in (UNANSWERED_SHEET, EVIDENCE_SHEET):
        if title in book.sheetnames:
            del book[title]
    blank = book.create_sheet(UNANSWERED_SHEET)
    blank.append(["Question ID", "Why it is blank"])
    for a in answers:
        if isinstance(a, Unanswered):
            blank.append([a.id, a.reason])
    listed = book.create_sheet(EVIDENCE_SHEET)
    listed.append(["Question ID", "Evidence object (sha256, in the evidence locker)"])
    for qid, digest in evidence_rows:
        listed.append([qid, digest])
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
