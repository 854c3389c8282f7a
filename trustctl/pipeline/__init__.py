"""The one orchestrator: every command is composed here, free of CLI concerns.

It opens the locker, collects, evaluates once into an Assessment (trustctl.assessment) and hands that to
the reports, which only render. The CLI and the demo call these; each step takes its inputs (config,
clock, progress) as arguments.

steps: init, collect, verify, documents, exception responses (writing and checking the locker)
assess: the latest evidence, evaluated once, the check report, and responses to its exceptions
outputs: status, leavers, trust report, OSCAL, roadmap, packet
questionnaire: a customer's questionnaire answered from the evidence
share: signed per-recipient links to the trust center's documents, each share recorded in the locker
"""

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
