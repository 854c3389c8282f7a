"""Build every fact table of a run, then the tables derived from several of them."""

from __future__ import annotations

from collections.abc import Sequence

from trustctl.config import TenantConfig
from trustctl.facts import aws_compute, aws_databases, aws_iam, aws_monitoring, aws_storage, gcp
from trustctl.facts.aws_datastores import DATASTORE, derive_datastores
from trustctl.facts.base import Evidence, FactSet, Normalizer, normalize
from trustctl.facts.identity import derive_identity
from trustctl.facts.tenants import TENANT, derive_tenants

FAMILIES = (aws_iam, aws_storage, aws_compute, aws_databases, aws_monitoring, gcp)
NORMALIZERS: tuple[Normalizer, ...] = tuple(n for family in FAMILIES for n in family.NORMALIZERS)
DATA_STORES: tuple[str, ...] = tuple(t for family in FAMILIES for t in getattr(family, "DATA_STORES", ()))


def build_facts(
    evidence: Evidence,
    normalizers: tuple[Normalizer, ...] = NORMALIZERS,
    tenants: Sequence[TenantConfig] = (),
) -> FactSet:
    tables = {n.resource_type: normalize(evidence, n) for n in normalizers}
    # AWS's derived table holds AWS stores only (backup plans are AWS Backup's); GCP has gcp.datastore.
    tables[DATASTORE] = derive_datastores(tables, tuple(t for t in DATA_STORES if t.startswith("aws.")))
    # People across every system, joined to the HR roster (only when an identity run is in the evidence).
    tables.update(derive_identity(evidence, tables))
    # Each configured tenant's data stores, keys, backups and neighbours (isolation checks, trust report).
    tables[TENANT] = derive_tenants(tables, tenants, DATA_STORES)
    return FactSet(evidence.as_of, tables)
