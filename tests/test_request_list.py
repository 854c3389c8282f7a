"""The request list: the shipped lists name only what the catalogs hold, a firm's own items come from
`[[packet.requests]]` (refused with one line when they name what does not exist), and each item is
answered by evidence, a document, or marked missing with what to do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from trustctl.config import Config, RequestItem
from trustctl.controls.results import Result, Severity, Status
from trustctl.errors import ConfigError
from trustctl.evidence.documents import Document
from trustctl.frameworks.loader import get_framework, load_frameworks
from trustctl.ids import POPULATION_IDS
from trustctl.packet import request_list
from trustctl.packet.request_list import PopulationAnswer, answer, shipped
from trustctl.pipeline import load

END = date(2026, 9, 30)
SOC2 = get_framework("soc2")
SCOPE = {q.id for q in SOC2.requirements}


def _result(control: str, status: Status, evidence: str = "a" * 64) -> Result:
    return Result(
        check="x.y",
        control=control,
        status=status,
        severity=Severity.MEDIUM,
        provider="aws",
        account="1",
        region="global",
        resource="r",
        reason="could not list users" if status is Status.ERROR else "ok",
        evidence=[] if status is Status.ERROR else [f"sha256:{evidence}"],
    )


def _document(kind: str, control: str, approved: date, days: int = 365) -> Document:
    return Document(
        name=f"{kind}.pdf",
        sha256="sha256:" + "b" * 64,
        size=1,
        kind=kind,
        control=control,
        owner="ciso@example.com",
        approved=approved,
        review_every_days=days,
        added_at="2026-09-01T00:00:00Z",
    )


def test_every_framework_has_a_list_naming_known_things() -> None:
    lists = {f.id: shipped(f.derived_from or f.id) for f in load_frameworks().values()}
    assert all(len(items) >= 10 for items in lists.values()), {k: len(v) for k, v in lists.items()}
    for items in lists.values():
        assert request_list.problems(items) is None
        # Every population is asked for somewhere, and every sample draws on a population.
    asked = {i.population for items in lists.values() for i in items if i.population}
    assert asked == set(POPULATION_IDS)


def test_a_configuration_is_answered_by_collected_results_even_when_they_fail() -> None:
    item = RequestItem(id="X-1", title="MFA", kind="configuration", controls=["AC-02"])
    got = answer(item, SOC2, SCOPE, [_result("AC-02", Status.FAIL, "c" * 64)], [], {}, END)
    assert got.status == "evidence" and got.evidence == ["c" * 64] and "CC6.1" in got.requirements
    errored = answer(item, SOC2, SCOPE, [_result("AC-02", Status.ERROR)], [], {}, END)
    assert errored.status == "missing" and "could not be collected (could not list users)" in errored.note


def test_a_policy_is_answered_by_a_document_in_force_and_missing_once_expired() -> None:
    item = RequestItem(id="X-2", title="Policy", kind="policy", documents=["policy"], controls=["GOV-01"])
    fresh = answer(item, SOC2, SCOPE, [], [_document("policy", "GOV-01", date(2026, 1, 1))], {}, END)
    assert fresh.status == "document" and fresh.evidence == ["b" * 64] and "policy.pdf" in fresh.note
    stale = answer(item, SOC2, SCOPE, [], [_document("policy", "GOV-01", date(2025, 1, 1))], {}, END)
    assert stale.status == "missing" and "expired on 2026-01-01" in stale.note
    none = answer(item, SOC2, SCOPE, [], [], {}, END)
    assert none.status == "missing" and "trustctl docs add FILE --kind policy --control GOV-01" in none.note


def test_populations_and_samples() -> None:
    population = RequestItem(id="X-3", title="Leavers", kind="population", population="leavers")
    sample = RequestItem(id="X-4", title="Leavers sampled", kind="sample", population="leavers")
    held = {"leavers": PopulationAnswer("leavers", True, 3, ["d" * 64, "e" * 64])}
    got = answer(population, SOC2, SCOPE, [], [], held, END)
    assert got.status == "evidence" and got.evidence == ["d" * 64, "e" * 64] and "3 row(s)" in got.note
    assert answer(population, SOC2, SCOPE, [], [], {}, END).status == "missing"
    undrawn = answer(sample, SOC2, SCOPE, [], [], held, END)
    assert undrawn.status == "missing" and "--sample-seed" in undrawn.note
    drawn = {"leavers": PopulationAnswer("leavers", True, 3, ["d" * 64], 1, ["d" * 64])}
    assert answer(sample, SOC2, SCOPE, [], [], drawn, END).note == "1 of 3 row(s) sampled"


def _config(tmp_path: Path, requests: str) -> Path:
    path = tmp_path / "trustctl.toml"
    path.write_text('[organization]\nname = "Co"\n' + requests, encoding="utf-8")
    return path


def test_a_firms_items_are_added_and_bad_ones_refused_in_one_line(tmp_path: Path) -> None:
    good = _config(
        tmp_path,
        '[[packet.requests]]\nid = "FIRM-1"\ntitle = "Vendor SOC reports"\nkind = "report"\n'
        'documents = ["vendor-review"]\n',
    )
    config: Config = load(good)
    items = request_list.items_for(SOC2, config)
    assert items[-1] == (config.packet.requests[0], "config") and len(items) == len(shipped("soc2")) + 1
    for body, said in (
        ('kind = "report"\ncontrols = ["ZZ-99"]\n', "names unknown control ZZ-99"),
        ('kind = "report"\ndocuments = ["memo"]\n', "unknown document kind 'memo'"),
        ('kind = "sample"\ncontrols = ["AC-02"]\n', "names its population"),
        ('kind = "population"\npopulation = "hires"\n', "population"),
    ):
        bad = _config(tmp_path, f'[[packet.requests]]\nid = "FIRM-2"\ntitle = "T"\n{body}')
        with pytest.raises(ConfigError) as raised:
            load(bad)
        message = str(raised.value)
        assert str(bad) in message and said in message and "\n" not in message.split(" Fix:")[0], message
    clash = _config(
        tmp_path, '[[packet.requests]]\nid = "SOC-C01"\ntitle = "T"\nkind = "report"\ncontrols = ["AC-02"]\n'
    )
    with pytest.raises(ConfigError, match="has the id of a shipped request"):
        load(clash)


def test_an_empty_population_is_shown_by_the_source_its_controls_were_judged_on() -> None:
    item = RequestItem(id="X-5", title="Hires", kind="population", population="new_hires", controls=["HR-03"])
    empty = {"new_hires": PopulationAnswer("new_hires", True, 0, [])}
    got = answer(item, SOC2, SCOPE, [_result("HR-03", Status.PASS, "f" * 64)], [], empty, END)
    assert got.status == "evidence" and got.evidence == ["f" * 64] and "no event in the period" in got.note
    bare = answer(item, SOC2, SCOPE, [], [], empty, END)
    assert bare.status == "missing" and "no event in the period" in bare.note and not bare.evidence
