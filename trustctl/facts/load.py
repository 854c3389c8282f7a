"""Build every fact table of a run, then the tables derived from several of them.

Families are found, not listed: every module of `trustctl.facts` that defines `NORMALIZERS` (a tuple of
`Normalizer`, one per resource type) is a family, in module-name order, and may define `DATA_STORES`
(its resource types that hold customer data). A new family is a new module.

The derived tables stay explicit below: each reads several families' tables at once.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from types import ModuleType

import trustctl.facts
from trustctl.config import TenantConfig
from trustctl.facts.aws_datastores import DATASTORE, derive_datastores
from trustctl.facts.base import Evidence, FactSet, Normalizer, normalize
from trustctl.facts.identity import derive_identity
from trustctl.facts.tenants import TENANT, derive_tenants


def families() -> tuple[ModuleType, ...]:
    """Every module of trustctl.facts with NORMALIZERS, in name order (this one gathers them: not a family)."""
    names = sorted(m.name for m in pkgutil.iter_modules(trustctl.facts.__path__) if m.name != "load")
    modules = (importlib.import_module(f"{trustctl.facts.__name__}.{name}") for name in names)
    return tuple(m for m in modules if hasattr(m, "NORMALIZERS"))


FAMILIES = families()
NORMALIZERS: tuple[Normalizer, ...] = tuple(n for family in FAMILIES for n in family.NORMALIZERS)
# The order of data-store types is the order of the rows of aws.datastore and of each tenant's stores,
# which check reasons and the customer trust report quote: S3 first, as it has always been, then the
# other families in module-name order.
DATA_STORES: tuple[str, ...] = tuple(
    sorted(
        (t for family in FAMILIES for t in getattr(family, "DATA_STORES", ())),
        key=lambda t: (not t.startswith("aws.s3."), not t.startswith("aws.")),
    )
)


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
