"""`trustctl questionnaire fill`: a customer's spreadsheet questionnaire answered from the evidence."""

from __future__ import annotations

from pathlib import Path

import click

from trustctl import pipeline
from trustctl.cli.base import config_option, main


@main.group()
def questionnaire() -> None:
    """Security questionnaires (CAIQ, HECVAT, SIG Lite, any spreadsheet) answered from the evidence."""


@questionnaire.command("fill")
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option(
    "--map",
    "map_name",
    required=True,
    help="A shipped shape (caiq_v4, hecvat_lite, hecvat_full, sig_lite) or a YAML map file.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="The filled copy (default: WORKBOOK-filled.xlsx beside it; the questionnaire is never modified).",
)
@click.option(
    "--knowledge",
    type=click.Path(path_type=Path),
    help="A TOML knowledge base of answers the company writes itself ([[answer]] id, answer, text, "
    "owner, reviewed, review_every).",
)
@config_option
def questionnaire_fill(
    workbook: Path, map_name: str, out: Path | None, knowledge: Path | None, config_path: Path | None
) -> None:
    """Fill the answer, comment and evidence columns of WORKBOOK (.xlsx) from the latest evidence:
    Yes / No / Partial with a one-line answer from the trust report's statements, the date it was
    verified and the sha256 of the evidence objects behind it. A question no evidence judges is answered
    from --knowledge, else left blank and listed (on stdout and in the sheet "trustctl unanswered"),
    never guessed. Exits 1, writing nothing, for a file that is not an .xlsx, a missing sheet or column,
    an unknown shape, or a bad map or knowledge file.

    Example: trustctl questionnaire fill caiq.xlsx --map caiq_v4 --knowledge answers.toml
    """
    config = pipeline.load(config_path)
    filled = pipeline.fill_questionnaire(config, workbook, map_name, out=out, knowledge_path=knowledge)
    counts: dict[str, int] = {}
    for _, answer, _, _ in filled.answered:
        counts[answer] = counts.get(answer, 0) + 1
    said = ", ".join(f"{n} {answer}" for answer, n in sorted(counts.items())) or "none"
    from_kb = sum(source == "knowledge" for _, _, source, _ in filled.answered)
    click.echo(
        f"wrote {filled.out}: {len(filled.answered)} answered ({said}; {from_kb} from the knowledge base), "
        f"{len(filled.unanswered)} left blank; evidence observed {filled.verified.isoformat()}"
    )
    for qid, why in filled.unanswered:
        click.echo(f"unanswered {qid}: {why}")
    for qid, owner, due in filled.expired:
        click.echo(
            f"expired {qid}: knowledge base answer due for review {due.isoformat()} (owner {owner}); not used"
        )
