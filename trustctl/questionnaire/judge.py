"""Answer questions from the results: Yes / No / Partial with the trust report's own sentences.

A question's results are those of the controls and checks its map names (not applicable ones aside).
All passing: Yes; none passing: No; some: Partial; none judged (no result, or only ones that could not
be verified): no answer from evidence, and the knowledge base is asked; failing that the question is
left blank and listed. The sentence is built from the checks' statements (the trust report's
allow-list), so it holds counts, nouns and a date only, never an account, resource or user name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from trustctl.controls.catalog import load_catalog
from trustctl.controls.results import Result, Status
from trustctl.questionnaire.knowledge import Knowledge
from trustctl.questionnaire.maps import Question, QuestionMap
from trustctl.trust.model import day, statement_lines
from trustctl.trust.statements import STATEMENTS


@dataclass(frozen=True)
class Answered:
    id: str
    answer: str  # Yes | No | Partial | N/A
    comment: str  # one line
    evidence: tuple[str, ...]  # sha256 digests of the locker objects behind the results
    source: str  # "evidence" | "knowledge"


@dataclass(frozen=True)
class Unanswered:
    id: str
    reason: str


def _results(question: Question, results: Sequence[Result]) -> list[Result]:
    controls, checks = set(question.controls), set(question.checks)
    return [
        r
        for r in results
        if (r.control in controls or r.check in checks) and r.status is not Status.NOT_APPLICABLE
    ]


def _sentence(mine: list[Result]) -> str:
    lines = [line.text for line in statement_lines(mine).values()]
    others = [r for r in mine if r.check not in STATEMENTS]
    if others:  # checks the trust report never quotes still judge the answer: say how they went
        catalog = load_catalog()
        names = sorted({catalog.get(r.control).name.lower() for r in others})
        passed = sum(r.status is Status.PASS for r in others)
        lead = "further " if lines else ""
        lines.append(f"{passed} of {len(others)} {lead}items checked for {', '.join(names)} pass")
    return "; ".join(lines)


def judge(question_id: str, question: Question, results: Sequence[Result], verified: date) -> Answered | None:
    """The answer from evidence, or None when no result judges the question."""
    mine = _results(question, results)
    counts = Counter(r.status for r in mine)
    passed = counts[Status.PASS]
    bad = counts[Status.FAIL] + counts[Status.WAIVED]
    if passed + bad == 0:
        return None
    if passed == 0:
        answer = "No"
    elif bad == 0 and not counts[Status.ERROR]:
        answer = "Yes"
    else:
        answer = "Partial"
    comment = f"{_sentence(mine)}. Verified {day(verified)} from monitored evidence."
    evidence = tuple(sorted({h for r in mine for h in r.evidence}))
    return Answered(question_id, answer, comment, evidence, "evidence")


def answer_all(
    ids: Iterable[str],
    qmap: QuestionMap,
    results: Sequence[Result],
    verified: date,
    knowledge: Knowledge | None,
) -> list[Answered | Unanswered]:
    """Each question id of the sheet, answered from evidence, else from the knowledge base, else listed."""
    out: list[Answered | Unanswered] = []
    for qid in ids:
        question = qmap.questions.get(qid)
        found = judge(qid, question, results, verified) if question is not None else None
        if found is not None:
            out.append(found)
            continue
        written = knowledge.answers.get(qid) if knowledge else None
        if written is not None:
            comment = f"{written.text} (company statement, reviewed {day(written.reviewed)})"
            out.append(Answered(qid, written.answer, comment, (), "knowledge"))
            continue
        if knowledge and qid in knowledge.expired:
            old = knowledge.expired[qid]
            reason = f"the knowledge base answer was due for review on {day(old.review_by)}"
        elif question is None:
            reason = "not in the map and not in the knowledge base"
        else:
            linked = ", ".join([*question.controls, *question.checks])
            unverified = len(_results(question, results))  # judge found none passing or failing
            reason = (
                f"the {unverified} result(s) of {linked} could not be verified, and not in the knowledge base"
                if unverified
                else f"no result in the latest evidence for {linked}, and not in the knowledge base"
            )
        out.append(Unanswered(qid, reason))
    return out
