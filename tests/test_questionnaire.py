"""`trustctl questionnaire fill` against a real locker (moto collected by the CLI as a subprocess): a
CAIQ-shaped and a HECVAT-shaped workbook made here with openpyxl (same column layout and ids, made-up
question text) come back with every answer the one the results give, every evidence hash an object of
the locker, no identifier in any answer, the blanks listed, and the questionnaire itself untouched.
Bad input is one line naming the file, exit 1, nothing written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from openpyxl import Workbook, load_workbook

from trustctl.controls.results import Result, Severity, Status
from trustctl.errors import InputError
from trustctl.evidence.locker import Locker
from trustctl.questionnaire.judge import judge
from trustctl.questionnaire.knowledge import load_knowledge
from trustctl.questionnaire.maps import SHAPES, Question, shipped

CANARY = "cnry7q"
ACCOUNT_ID = "123456789012"  # moto's account: must never reach an answer
CAIQ_IDS = ["BCR-08.1", "CEK-03.1", "IAM-14.1", "IAM-10.1", "IVS-03.1", "DSP-17.1", "SEF-01.1", "GRC-01.1"]
HECVAT_IDS = ["AAAI-02", "AAAI-06", "DATA-01", "DATA-06", "FIDP-01", "HFIH-01", "HFIH-02", "DOCU-01"]


def _caiq(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "CAIQv4.0.3"
    sheet.append(["Consensus Assessments Initiative Questionnaire (made up for a test)"])
    sheet.append(
        [
            "Question ID",
            "Question",
            "CSP CAIQ Answer",
            "SSRM Control Ownership",
            "CSP Implementation Description (Optional/Recommended)",
            "CSC Responsibilities (Optional/Recommended)",
        ]
    )
    for qid in CAIQ_IDS:
        sheet.append([qid, f"made-up question {qid}?", None, None, None, None])
    book.save(path)


def _hecvat(path: Path) -> None:
    book = Workbook()
    start = book.active
    assert start is not None
    start.title = "Start Here"
    start.append(["Instructions (made up)"])
    sheet = book.create_sheet("Questions")
    sheet.append(["HECVAT (made up for a test)"])
    sheet.append([])
    sheet.append(["ID", "Question", "Answer", "Additional Information", "Guidance"])
    for qid in HECVAT_IDS:
        sheet.append([qid, f"made-up question {qid}?", None, None, "made-up guidance"])
    book.save(path)


KNOWLEDGE = """
[[answer]]
id = "SEF-01.1"
answer = "Yes"
text = "Our incident response plan is approved yearly and exercised twice a year."
owner = "ciso@example.org"
reviewed = 2026-01-15
review_every = "10y"

[[answer]]
id = "HFIH-02"
answer = "Yes"
text = "Incident response is exercised every year."
owner = "ciso@example.org"
reviewed = 2001-01-01
review_every = "1y"
"""


def _seed() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=f"{CANARY}-public-docs")
    s3.create_bucket(Bucket=f"{CANARY}-private-data")
    s3.put_public_access_block(
        Bucket=f"{CANARY}-private-data",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    ec2 = boto3.client("ec2", region_name="us-east-1")
    group = ec2.create_security_group(GroupName=f"{CANARY}-ssh", Description="test")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )


@pytest.fixture
def collected(project: Path, aws: str, cli: Callable[..., Any]) -> dict[str, Any]:
    _seed()
    ran = cli("collect", "aws")
    assert ran.code in (0, 3), ran.stderr
    (project / "knowledge.toml").write_text(KNOWLEDGE)
    _caiq(project / "caiq.xlsx")
    _hecvat(project / "hecvat.xlsx")
    report: dict[str, Any] = json.loads(cli("check", "--format", "json", "--fail-on", "none").stdout)
    return report


def _expected(question_id: str, shape: str, results: list[dict[str, Any]]) -> tuple[str | None, set[str]]:
    """The answer and evidence the results give a mapped question, computed here from `check` JSON."""
    question = shipped(shape).questions.get(question_id)
    if question is None:
        return None, set()
    mine = [
        r
        for r in results
        if (r["control"] in question.controls or r["check"] in question.checks)
        and r["status"] != "not_applicable"
    ]
    statuses = [r["status"] for r in mine]
    passed = statuses.count("pass")
    bad = statuses.count("fail") + statuses.count("waived")
    if passed + bad == 0:
        return None, set()
    if passed == 0:
        answer = "No"
    elif bad == 0 and "error" not in statuses:
        answer = "Yes"
    else:
        answer = "Partial"
    return answer, {h for r in mine for h in r["evidence"]}


def _rows(path: Path, sheet: str, header: int, columns: dict[str, int]) -> dict[str, dict[str, Any]]:
    ws = load_workbook(path)[sheet]
    return {
        str(row[columns["id"]]): {k: row[c] for k, c in columns.items()}
        for row in ws.iter_rows(min_row=header + 1, values_only=True)
        if row[columns["id"]]
    }


@pytest.mark.parametrize(
    ("shape", "name", "sheet", "header", "columns", "kb_answered", "blank"),
    [
        (
            "caiq_v4",
            "caiq.xlsx",
            "CAIQv4.0.3",
            2,
            {"id": 0, "answer": 2, "comment": 4, "evidence": 6},
            {"SEF-01.1"},
            {"GRC-01.1"},
        ),
        (
            "hecvat_full",
            "hecvat.xlsx",
            "Questions",
            3,
            {"id": 0, "answer": 2, "comment": 3, "evidence": 5},
            set(),
            {"HFIH-01", "HFIH-02", "DOCU-01"},
        ),
    ],
)
def test_a_questionnaire_is_answered_from_the_evidence(
    collected: dict[str, Any],
    project: Path,
    cli: Callable[..., Any],
    shape: str,
    name: str,
    sheet: str,
    header: int,
    columns: dict[str, int],
    kb_answered: set[str],
    blank: set[str],
) -> None:
    source = project / name
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    ran = cli("questionnaire", "fill", name, "--map", shape, "--knowledge", "knowledge.toml")
    assert ran.code == 0, ran.stderr
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before  # never modified in place
    out = project / name.replace(".xlsx", "-filled.xlsx")
    rows = _rows(out, sheet, header, columns)
    locker = Locker.open(project / ".trustctl" / "locker")
    results = collected["results"]
    from_evidence, expected_blank, answers = 0, set(), set()
    for qid, row in rows.items():
        if qid in kb_answered:
            assert row["answer"] == "Yes" and "company statement, reviewed 15 Jan 2026" in row["comment"]
            assert row["evidence"] is None
            continue
        answer, evidence = _expected(qid, shape, results)
        assert row["answer"] == answer, qid
        if answer is None:
            assert row["comment"] is None and row["evidence"] is None
            expected_blank.add(qid)
            continue
        from_evidence += 1
        listed = set(row["evidence"].split("\n"))
        assert listed == evidence and evidence, qid
        for digest in listed:  # every hash is an object the locker holds and verifies
            assert locker.read_object_bytes(digest)
        day = datetime.fromisoformat(collected["run"]["completed_at"]).strftime("%-d %b %Y")
        assert row["comment"].endswith(f". Verified {day} from monitored evidence."), row["comment"]
        answers.add(answer)
        assert CANARY not in row["comment"] and ACCOUNT_ID not in row["comment"]
        assert "arn:" not in row["comment"]
    assert from_evidence >= 4
    assert answers <= {"Yes", "No", "Partial"} and answers
    book = load_workbook(out)
    unanswered = {r[0]: r[1] for r in book["trustctl unanswered"].iter_rows(min_row=2, values_only=True)}
    assert set(unanswered) == expected_blank and blank <= expected_blank
    for qid in expected_blank:
        assert f"unanswered {qid}: " in ran.stdout
    listed_hashes = {r[1] for r in book["trustctl evidence"].iter_rows(min_row=2, values_only=True)}
    assert listed_hashes == {h for row in rows.values() if row["evidence"] for h in row["evidence"].split()}
    if shape == "hecvat_full":  # past its review: not used, listed with why
        assert "expired HFIH-02: " in ran.stdout
        assert "due for review on 1 Jan 2002" in unanswered["HFIH-02"]
    text = "\n".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if c)
    assert CANARY not in text and ACCOUNT_ID not in text


BAD_MAP = "name: x\nlayout: {id: ID, answer: Answer}\nquestions: {}\n"
UNKNOWN_CONTROL = (
    "name: x\nlayout: {id: ID, answer: Answer, comment: Additional Information}\n"
    "questions: {Q-1: {controls: [ZZ-99]}}\n"
)
OTHER_SHEET = (
    "name: x\nlayout: {sheet: Missing, id: ID, answer: Answer, comment: Additional Information}\n"
    "questions_from: hecvat_full\n"
)
OTHER_COLUMN = (
    "name: x\nlayout: {id: ID, answer: Vendor Answer, comment: Notes}\nquestions_from: hecvat_full\n"
)
BAD_KNOWLEDGE = '[[answer]]\nid = "X"\nanswer = "Maybe"\ntext = "t"\nowner = "a@b.org"\nreviewed = 2026-01-01\nreview_every = "1y"\n'
NAMES_A_RESOURCE = KNOWLEDGE.replace("exercised twice a year", f"kept in account {ACCOUNT_ID}")


@pytest.mark.parametrize(
    ("files", "args", "said"),
    [
        ({"q.xlsx": b"not a workbook"}, ["q.xlsx", "--map", "hecvat_full"], "q.xlsx: not an .xlsx workbook"),
        ({}, ["h.xlsx", "--map", "nist_800_53"], "--map nist_800_53: no such shape"),
        ({"m.yaml": BAD_MAP}, ["h.xlsx", "--map", "m.yaml"], "m.yaml: field 'layout.comment'"),
        ({"m.yaml": "name: [unclosed"}, ["h.xlsx", "--map", "m.yaml"], "m.yaml: not valid YAML"),
        ({"m.yaml": UNKNOWN_CONTROL}, ["h.xlsx", "--map", "m.yaml"], "no control 'ZZ-99' in the catalog"),
        ({"m.yaml": OTHER_SHEET}, ["h.xlsx", "--map", "m.yaml"], "h.xlsx: no sheet 'Missing'"),
        ({"m.yaml": OTHER_COLUMN}, ["h.xlsx", "--map", "m.yaml"], "h.xlsx: no header row in any sheet"),
        (
            {"k.toml": BAD_KNOWLEDGE},
            ["h.xlsx", "--map", "hecvat_full", "--knowledge", "k.toml"],
            "k.toml: answer 1: field 'answer'",
        ),
        (
            {"k.toml": "[[answer]\n"},
            ["h.xlsx", "--map", "hecvat_full", "--knowledge", "k.toml"],
            "k.toml: not a TOML",
        ),
        (
            {"k.toml": NAMES_A_RESOURCE},
            ["h.xlsx", "--map", "hecvat_full", "--knowledge", "k.toml"],
            "names a cloud account",
        ),
        ({}, ["h.xlsx", "--map", "hecvat_full", "--out", "h.xlsx"], "is the questionnaire itself"),
    ],
)
def test_bad_input_is_one_line_naming_the_file(
    project: Path, cli: Callable[..., Any], files: dict[str, str | bytes], args: list[str], said: str
) -> None:
    _hecvat(project / "h.xlsx")
    for file_name, content in files.items():
        path = project / file_name
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    ran = cli("questionnaire", "fill", *args)
    assert ran.code == 1, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], ran.stderr
    assert not list(project.glob("*-filled.xlsx"))


def test_every_shipped_shape_loads_with_enough_ids_and_no_question_text() -> None:
    for shape in SHAPES:
        qmap = shipped(shape)
        assert 20 <= len(qmap.questions) <= 40, shape
        for qid, question in qmap.questions.items():
            assert len(question.about) <= 80 and "?" not in question.about, (shape, qid)


def _result(check: str, control: str, status: str, n: int) -> Result:
    return Result(
        check=check,
        control=control,
        status=Status(status),
        severity=Severity.HIGH,
        provider="aws",
        account=ACCOUNT_ID,
        region="us-east-1",
        resource=f"arn:aws:s3:::{CANARY}-{n}",
        reason="r",
        evidence=[f"sha256:{n:064x}"],
    )


@pytest.mark.parametrize(
    ("statuses", "answer"),
    [
        (["pass", "pass"], "Yes"),
        (["pass", "fail"], "Partial"),
        (["pass", "waived"], "Partial"),
        (["pass", "error"], "Partial"),
        (["fail", "fail"], "No"),
        (["fail", "error"], "No"),
        (["error"], None),
        (["not_applicable"], None),
        ([], None),
    ],
)
def test_the_answer_follows_the_linked_results(statuses: list[str], answer: str | None) -> None:
    results = [_result("aws.s3.default_encryption", "CRY-01", s, n) for n, s in enumerate(statuses)]
    results.append(_result("aws.iam.root_mfa", "AC-01", "fail", 99))  # not linked: never counted
    question = Question(controls=["CRY-01"])
    got = judge("CEK-03.1", question, results, date(2026, 12, 7))
    if answer is None:
        assert got is None
        return
    assert got is not None and got.answer == answer
    judged = [n for n, s in enumerate(statuses) if s != "not_applicable"]
    assert got.evidence == tuple(sorted(f"sha256:{n:064x}" for n in judged))
    passed = statuses.count("pass")
    assert got.comment.startswith(
        f"{'All' if answer == 'Yes' else passed} {'' if answer == 'Yes' else 'of '}"
    )
    assert got.comment.endswith("Verified 7 Dec 2026 from monitored evidence.")
    assert CANARY not in got.comment and ACCOUNT_ID not in got.comment


def test_a_knowledge_text_that_a_spreadsheet_would_run_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.toml"
    path.write_text(KNOWLEDGE.replace('"Our incident', '"=HYPERLINK(1)Our incident'))
    with pytest.raises(InputError, match=r"k\.toml: answer 1: field 'text'.*formula"):
        load_knowledge(path, date(2026, 12, 7))
    path.write_text(KNOWLEDGE)
    kb = load_knowledge(path, date(2026, 12, 7))
    assert set(kb.answers) == {"SEF-01.1"} and set(kb.expired) == {"HFIH-02"}
