"""Registration by discovery forgets nothing: every check, fact and AWS collector module is found and
contributes, and every trust-report statement names a known area."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from trustctl.collectors.aws import runner
from trustctl.collectors.base import Collector
from trustctl.collectors.gcp.assets import CloudAssetCollector
from trustctl.collectors.identity.runner import idp_file, records_file, roster_file
from trustctl.collectors.identity.scim import ScimCollector
from trustctl.config import GcpConfig, IdpExport, PeopleRecords, ScimApp
from trustctl.controls.registry import all_checks, check_modules
from trustctl.facts import load
from trustctl.trust.statements import AREAS, STATEMENTS


def test_every_check_module_registers_a_check() -> None:
    checks = all_checks()
    by_module = {spec.func.__module__ for spec in checks.values()}
    modules = [m for m in check_modules() if not m.endswith(".__init__")]
    assert modules and set(modules) == by_module


def test_every_fact_module_with_normalizers_is_loaded() -> None:
    import pkgutil

    import trustctl.facts

    names = sorted(m.name for m in pkgutil.iter_modules(trustctl.facts.__path__) if m.name != "load")
    with_normalizers = [
        f"trustctl.facts.{n}"
        for n in names
        if hasattr(importlib.import_module(f"trustctl.facts.{n}"), "NORMALIZERS")
    ]
    assert [f.__name__ for f in load.FAMILIES] == with_normalizers
    loaded = {n.resource_type for n in load.NORMALIZERS}
    for family in load.FAMILIES:
        assert {n.resource_type for n in family.NORMALIZERS} <= loaded
        assert set(getattr(family, "DATA_STORES", ())) <= loaded
    assert len(loaded) == len(load.NORMALIZERS), "a resource type is built by two normalizers"


def test_every_aws_collector_class_is_run() -> None:
    run = {type(c) for c in runner.default_collectors()}
    for name in runner.collector_modules():
        module = importlib.import_module(name)
        declared = {type(c) for c in getattr(module, "COLLECTORS", [])}
        assert declared <= run
        # A collector class defined in a module must be in some module's COLLECTORS.
        defined = {
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if cls.__module__ == name and name.rsplit(".", 1)[1] != "runner" and hasattr(cls, "collect")
        }
        assert defined <= run, f"{name} defines collectors it does not list in COLLECTORS"
    assert len(run) == len(runner.default_collectors()), "a collector is listed twice"


def test_every_provider_implements_the_collector_protocol(tmp_path: Path) -> None:
    collectors: list[object] = [
        *runner.default_collectors(),
        CloudAssetCollector(GcpConfig()),
        roster_file(tmp_path / "roster.csv", b"", []),
        idp_file(IdpExport(name="okta", path="okta.json", preset="okta"), tmp_path, b"", []),
        ScimCollector(ScimApp(name="app", url="https://app.example", token_env="APP_TOKEN")),
        records_file(PeopleRecords(name="lms", kind="training", path="t.csv"), tmp_path, b"", []),
    ]
    for collector in collectors:
        assert isinstance(collector, Collector), collector
        assert isinstance(collector.service, str) and collector.service
        assert isinstance(collector.permissions, tuple)


def test_statements_come_from_the_checks_and_name_known_areas() -> None:
    checks = all_checks()
    assert {i: s.statement for i, s in checks.items() if s.statement is not None} == STATEMENTS
    assert {s.area for s in STATEMENTS.values()} <= set(AREAS)
