"""Build every fact table of a run."""

from __future__ import annotations

from trustctl.facts import aws_compute, aws_databases, aws_iam, aws_monitoring, aws_storage
from trustctl.facts.base import Evidence, FactSet, Normalizer, normalize

NORMALIZERS: tuple[Normalizer, ...] = (
    *aws_iam.NORMALIZERS,
    *aws_storage.NORMALIZERS,
    *aws_compute.NORMALIZERS,
    *aws_databases.NORMALIZERS,
    *aws_monitoring.NORMALIZERS,
)


def build_facts(evidence: Evidence, normalizers: tuple[Normalizer, ...] = NORMALIZERS) -> FactSet:
    return FactSet(evidence.as_of, {n.resource_type: normalize(evidence, n) for n in normalizers})
