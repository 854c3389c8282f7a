"""`questionnaire fill`: a customer's questionnaire answered from the latest evidence, into a copy.

Every input (the map, the workbook and its columns, the knowledge base) is read and checked before the
locker is opened, so bad input stops with one line and nothing written. The results are judged on the
day the evidence was observed, as the trust report's are; the knowledge base on today, the day the
answers are sent. The input file is never written: the answers go to --out (default NAME-filled.xlsx).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from trustctl.assessment import Assessment
from trustctl.config import Config
from trustctl.errors import InputError
from trustctl.pipeline.assess import assessment


@dataclass(frozen=True)
class Filled:
    out: Path
    answered: list[tuple[str, str, str, int]]  # id, answer, source (evidence | knowledge), evidence hashes
    unanswered: list[tuple[str, str]]  # id, why
    expired: list[tuple[str, str, date]]  # knowledge answers past review: id, owner, review date
    verified: date  # the day the evidence was observed


def default_out(path: Path) -> Path:
    return path.with_name(f"{path.stem}-filled.xlsx")


def fill_questionnaire(
    config: Config,
    path: Path,
    map_name: str,
    *,
    out: Path | None = None,
    knowledge_path: Path | None = None,
    today: date | None = None,
    assessed: Assessment | None = None,
) -> Filled:
    from trustctl.questionnaire import judge, knowledge, maps, workbook

    out = out or default_out(path)
    if out.resolve() == path.resolve():
        raise InputError(
            f"--out {out}: is the questionnaire itself; give another file (it is never modified)."
        )
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"--out {out}: give a file name ending in .xlsx.")
    today = today or datetime.now(UTC).date()
    qmap = maps.load_map(map_name)
    book = workbook.open_workbook(path)
    found = workbook.find_sheet(book, qmap.layout, path)
    kb = knowledge.load_knowledge(knowledge_path, today) if knowledge_path is not None else None
    assessed = assessed or assessment(config, [], judge_on_evidence_day=True)
    verified = assessed.run.as_of.date()
    answers = judge.answer_all(found.rows, qmap, list(assessed.results), verified, kb)
    workbook.write_answers(found, answers, out)
    return Filled(
        out=out,
        answered=[
            (a.id, a.answer, a.source, len(a.evidence)) for a in answers if isinstance(a, judge.Answered)
        ],
        unanswered=[(a.id, a.reason) for a in answers if isinstance(a, judge.Unanswered)],
        expired=[(e.id, e.owner, e.review_by) for e in (kb.expired.values() if kb else [])],
        verified=verified,
    )
