"""The one orchestrator: every command is composed here, free of CLI concerns.

It opens the locker, collects, evaluates once into an Assessment (trustctl.assessment) and hands that to
the reports, which only render. The CLI and the demo call these; each step takes its inputs (config,
clock, progress) as arguments.

steps: init, collect, verify, documents, exception responses (writing and checking the locker)
assess: the latest evidence, evaluated once, the check report, and responses to its exceptions
outputs: status, leavers, trust report, OSCAL, roadmap, packet
questionnaire: a customer's questionnaire answered from the evidence
share: signed per-recipient links to the trust center's documents, each share recorded in the locker

Its names load on first use (PEP 562): importing the package costs nothing, so `trustctl --help` and
commands that never collect do not import boto3, pandas or the SCIM client.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from trustctl.pipeline.assess import (
        assess,
        assessment,
        check_report,
        evaluate_run,
        latest_evidence,
        respond_to_exception,
    )
    from trustctl.pipeline.outputs import (
        export_oscal,
        leavers,
        packet,
        packet_model,
        roadmap,
        status,
        trust_report,
        trust_site,
    )
    from trustctl.pipeline.questionnaire import Filled, fill_questionnaire
    from trustctl.pipeline.share import (
        Shared,
        read_shares,
        share_documents,
        verifier_page,
        verify_share,
    )
    from trustctl.pipeline.steps import (
        Collected,
        Initialized,
        add_document,
        add_response,
        check_head,
        collect,
        init,
        key_fingerprint,
        load,
        open_locker,
        providers_to_collect,
        read_documents,
        read_responses,
        verify,
        verify_packet,
        with_aws_overrides,
    )

# name -> the submodule that defines it
_WHERE = {
    **dict.fromkeys(
        ("assess", "assessment", "check_report", "evaluate_run", "latest_evidence", "respond_to_exception"),
        "assess",
    ),
    **dict.fromkeys(
        (
            "export_oscal",
            "leavers",
            "packet",
            "packet_model",
            "roadmap",
            "status",
            "trust_report",
            "trust_site",
        ),
        "outputs",
    ),
    **dict.fromkeys(("Filled", "fill_questionnaire"), "questionnaire"),
    **dict.fromkeys(("Shared", "read_shares", "share_documents", "verifier_page", "verify_share"), "share"),
    **dict.fromkeys(
        (
            "Collected",
            "Initialized",
            "add_document",
            "add_response",
            "check_head",
            "collect",
            "init",
            "key_fingerprint",
            "load",
            "open_locker",
            "providers_to_collect",
            "read_documents",
            "read_responses",
            "verify",
            "verify_packet",
            "with_aws_overrides",
        ),
        "steps",
    ),
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value
    return value


class _Package(ModuleType):
    """Importing the submodule `assess` must not hide the function `assess` (as the eager imports did)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _WHERE.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


importlib.import_module(__name__).__class__ = _Package

__all__ = [
    "Collected",
    "Filled",
    "Initialized",
    "Shared",
    "add_document",
    "add_response",
    "assess",
    "assessment",
    "check_head",
    "check_report",
    "collect",
    "evaluate_run",
    "export_oscal",
    "fill_questionnaire",
    "init",
    "key_fingerprint",
    "latest_evidence",
    "leavers",
    "load",
    "open_locker",
    "packet",
    "packet_model",
    "providers_to_collect",
    "read_documents",
    "read_responses",
    "read_shares",
    "respond_to_exception",
    "roadmap",
    "share_documents",
    "status",
    "trust_report",
    "trust_site",
    "verifier_page",
    "verify",
    "verify_packet",
    "verify_share",
    "with_aws_overrides",
]
