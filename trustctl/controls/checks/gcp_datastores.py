"""GCP data residency: every data store (buckets, SQL instances, datasets, disks) in an allowed location."""

from __future__ import annotations

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts


@check(
    "gcp.residency.allowed_regions",
    resource="gcp.datastore",
    control="ISO-01",
    severity="high",
    title="GCP data stays in the allowed locations",
    fix="Move the data store to an allowed location (or delete it), or add the location (a region such "
    "as europe-west1, or a multi-region such as EU) to policy.allowed_regions.",
    statement=Statement("isolation", "GCP data stores", "are in the regions we promise"),
)
def allowed_regions(stores: pd.DataFrame, ctx: Context) -> Verdicts:
    allowed = sorted(ctx.policy.allowed_regions)
    if not allowed:
        return Verdicts(
            ok=pd.Series([], dtype=object),
            reason=pd.Series([], dtype=object),
            not_applicable="policy.allowed_regions is empty: no residency promise to check",
        )
    lowered = {a.lower() for a in allowed}
    where = ", ".join(allowed)
    known = stores.region.ne("unknown")
    ok = stores.region.str.lower().isin(lowered).astype(object).where(known, None)
    return verdicts(
        stores,
        ok,
        passed=f"{{resource}} is in {{region}}, an allowed location ({where})",
        failed=f"{{resource}} is in {{region}}, outside the allowed locations ({where})",
        unknown="{resource}: its location is not in the evidence",
    )
