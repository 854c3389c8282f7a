"""GCP Cloud Storage checks: uniform bucket-level access, public access prevention, versioning."""

from __future__ import annotations

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts


@check(
    # IAM-02, not NET-01: uniform access removes per-object ACLs so that every grant is an IAM role on
    # the bucket, reviewed in one place; public exposure itself is what the two NET-01 checks test.
    "gcp.storage.uniform_access",
    resource="gcp.storage.bucket",
    control="IAM-02",
    severity="medium",
    title="Buckets grant access through IAM only (uniform bucket-level access)",
    fix="Turn on uniform bucket-level access (`gcloud storage buckets update gs://BUCKET "
    "--uniform-bucket-level-access`) after moving any ACL grants to IAM roles.",
)
def storage_uniform_access(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        buckets,
        buckets.uniform_access.astype(bool),
        passed="{resource} uses uniform bucket-level access: access is granted by IAM only",
        failed="{resource} allows object ACLs (uniform bucket-level access is off), so access can be "
        "granted object by object outside IAM",
    )


@check(
    "gcp.storage.public_access_prevention",
    resource="gcp.storage.bucket",
    control="NET-01",
    severity="high",
    title="Buckets enforce public access prevention",
    fix="Set public access prevention to enforced on the bucket (`gcloud storage buckets update "
    "gs://BUCKET --public-access-prevention`), or enforce storage.publicAccessPrevention for the organization.",
    statement=Statement("network", "GCP buckets", "prevent public access"),
)
def storage_public_access_prevention(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        buckets,
        buckets.public_access_prevention.eq("enforced"),
        passed="{resource} enforces public access prevention",
        failed="{resource} has public access prevention '{public_access_prevention}', not enforced "
        "(an inherited organization policy is not part of the collected evidence)",
    )


@check(
    "gcp.storage.versioning",
    resource="gcp.storage.bucket",
    control="BCK-01",
    severity="medium",
    title="Buckets keep previous versions of objects",
    fix="Enable object versioning on the bucket (and a lifecycle rule to delete old noncurrent versions).",
)
def storage_versioning(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        buckets,
        buckets.versioning.astype(bool),
        passed="{resource} has object versioning enabled",
        failed="{resource} has object versioning off: overwritten or deleted objects cannot be recovered",
    )
