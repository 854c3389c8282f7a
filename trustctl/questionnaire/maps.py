"""Question maps: where a questionnaire's answers go, and which controls or checks answer each question.

A map is data (YAML): the layout of the spreadsheet (its sheet, header row and the headers of the id,
answer, comment and evidence columns) and, per question id, the catalog controls or checks whose
results answer it. Shipped shapes live in maps/*.yaml (ids and our own words only: no questionnaire
text is copied); any other spreadsheet is answered through a map file of the same form, which may
reuse a shipped shape's questions (`questions_from: caiq_v4`) under its own column headers.
Every control and check is validated at load: an unknown id is an error naming the file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trustctl import yamlfile
from trustctl.controls.catalog import load_catalog
from trustctl.controls.registry import all_checks
from trustctl.errors import InputError

PACKAGE = "trustctl.questionnaire"
SHAPES = ("caiq_v4", "hecvat_lite", "hecvat_full", "sig_lite")
MAX_MAP_BYTES = 2 * 2**20


class Layout(BaseModel):
    """Where the questions and answers are: column headers as the header row spells them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sheet: str | None = None  # None: the first sheet holding the headers
    header_row: int | None = Field(default=None, ge=1, le=1000)  # None: the first of rows 1-30 holding them
    id: str
    answer: str
    comment: str
    evidence: str | None = None  # added after the last header when the sheet lacks it


class Question(BaseModel):
    """Which results answer one question id; `about` is our own few words, for the reader of the map."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    about: str = ""
    controls: list[str] = []
    checks: list[str] = []


class QuestionMap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    layout: Layout
    questions_from: str | None = None  # a shipped shape whose questions this map reuses
    questions: dict[str, Question] = {}


def _parse(text: str, source: str) -> QuestionMap:
    try:
        data = yamlfile.safe_load(text)
    except yaml.YAMLError as e:
        raise InputError(f"{source}: not valid YAML ({getattr(e, 'problem', e)}).") from None
    try:
        qmap = QuestionMap.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputError(
            f"{source}: field '{where}': {first['msg']}.",
            "See `trustctl questionnaire fill --help` and the shipped maps for the form.",
        ) from None
    _check_ids(qmap, source)
    return qmap


def _check_ids(qmap: QuestionMap, source: str) -> None:
    catalog = {c.id for c in load_catalog().controls}
    checks = all_checks()
    for qid, question in qmap.questions.items():
        if not question.controls and not question.checks:
            raise InputError(f"{source}: question {qid} names no control and no check.")
        for control in question.controls:
            if control not in catalog:
                raise InputError(
                    f"{source}: question {qid}: no control {control!r} in the catalog; "
                    "see `trustctl controls list`."
                )
        for check in question.checks:
            if check not in checks:
                raise InputError(
                    f"{source}: question {qid}: no check {check!r}; see `trustctl controls list`."
                )


def shipped(shape: str) -> QuestionMap:
    """A shipped shape by name."""
    if shape not in SHAPES:
        raise InputError(
            f"--map {shape}: no such shape and no such file.",
            f"Give one of {', '.join(SHAPES)} or a YAML map file.",
        )
    text = resources.files(PACKAGE).joinpath("maps", f"{shape}.yaml").read_text(encoding="utf-8")
    return _parse(text, f"{shape} (shipped map)")


def load_map(name_or_path: str) -> QuestionMap:
    """A shipped shape (caiq_v4, ...) or a YAML map file; a file's `questions_from` adds a shape's
    questions under the file's layout (the file's own questions win)."""
    if name_or_path in SHAPES:
        return shipped(name_or_path)
    path = Path(name_or_path)
    if not path.is_file():
        return shipped(name_or_path)  # says which shapes exist
    if path.stat().st_size > MAX_MAP_BYTES:
        raise InputError(f"{path}: larger than {MAX_MAP_BYTES // 2**20} MiB; not a question map.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot be read as UTF-8 text ({e}).") from None
    qmap = _parse(text, str(path))
    if qmap.questions_from is not None:
        if qmap.questions_from not in SHAPES:
            raise InputError(
                f"{path}: questions_from {qmap.questions_from!r} is not a shipped shape "
                f"({', '.join(SHAPES)})."
            )
        base = shipped(qmap.questions_from)
        qmap = qmap.model_copy(update={"questions": {**base.questions, **qmap.questions}})
    if not qmap.questions:
        raise InputError(f"{path}: maps no question; add `questions:` or `questions_from: SHAPE`.")
    return qmap
