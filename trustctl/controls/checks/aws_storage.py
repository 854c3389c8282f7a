"""AWS S3 checks: encryption at rest and in transit, versioning, and blocking public access."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts

KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})
BLOCK_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
S3_DEFAULT = (
    "the S3 default applied to every bucket since January 2023 (the bucket has no encryption "
    "configuration of its own; this is not an explicit setting)"
)


def _required_tags(ctx: Context) -> list[tuple[str, str]]:
    return [(tag.split("=", 1)[0], tag.split("=", 1)[1]) for tag in ctx.policy.kms_required_tags]


def _encryption(row: Any) -> str:
    if row.sse_algorithm in KMS_ALGORITHMS:
        key = f", key {row.kms_key}" if row.kms_key else ", the AWS managed key aws/s3"
        return f"SSE-KMS ({row.sse_algorithm}{key})"
    if not row.sse_explicit:
        return f"SSE-S3 (AES256), {S3_DEFAULT}"
    return f"{'SSE-S3' if row.sse_algorithm == 'AES256' else 'server-side encryption'} ({row.sse_algorithm})"


@check(
    "aws.s3.default_encryption",
    resource="aws.s3.bucket",
    control="CRY-01",
    severity="high",
    title="S3 buckets encrypt new objects, with SSE-KMS where policy requires it",
    fix="Set default encryption to SSE-KMS (aws:kms) with a customer managed key on buckets carrying "
    "a tag in policy.kms_required_tags.",
    needs=("GetBucketEncryption",),
    statement=Statement("encryption", "storage buckets", "are encrypted at rest"),
)
def s3_default_encryption(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    required = _required_tags(ctx)
    matched = buckets.tags.map(lambda tags: [f"{k}={v}" for k, v in required if (tags or {}).get(k) == v])
    kms = buckets.sse_algorithm.isin(KMS_ALGORITHMS)
    # Without its tags, whether a bucket must use SSE-KMS is unknown (unless it already does).
    tags_unknown = buckets.detail_errors.map(lambda errors: "GetBucketTagging" in (errors or {}))
    unknown_need = tags_unknown & ~kms & bool(required)
    ok = (kms | matched.map(len).eq(0)).astype(object).where(~unknown_need, None)
    rows = buckets.assign(matched=matched)

    def passed(r: Any) -> str:
        needed = f"; it carries {', '.join(r.matched)}, which requires SSE-KMS" if r.matched else ""
        return f"{r.resource} encrypts new objects with {_encryption(r)}{needed}"

    def failed(r: Any) -> str:
        return (
            f"{r.resource} carries {', '.join(r.matched)}, for which policy.kms_required_tags requires "
            f"SSE-KMS, but encrypts new objects with {_encryption(r)}"
        )

    def unknown(r: Any) -> str:
        return (
            f"{r.resource}: its tags could not be read, so whether policy.kms_required_tags requires "
            f"SSE-KMS is unknown: {r.detail_errors['GetBucketTagging']}"
        )

    return verdicts(rows, ok, passed=passed, failed=failed, unknown=unknown)


@check(
    "aws.s3.tls_only",
    resource="aws.s3.bucket",
    control="CRY-02",
    severity="medium",
    title="S3 buckets refuse requests made without TLS",
    fix='Add a bucket policy statement: Effect Deny, Principal "*", Action "s3:*", Resource the bucket '
    'and bucket/*, Condition {"Bool": {"aws:SecureTransport": "false"}}.',
    needs=("GetBucketPolicy",),
    statement=Statement("encryption", "storage buckets", "refuse unencrypted connections"),
)
def s3_tls_only(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    def failed(r: Any) -> str:
        if not r.policy_present:
            return f"{r.resource} has no bucket policy, so requests over plain HTTP are not denied"
        if r.tls_only_bucket or r.tls_only_objects:
            covered, missing = (
                ("the bucket", "its objects") if r.tls_only_bucket else ("its objects", "the bucket")
            )
            return (
                f"{r.resource}'s bucket policy denies requests without TLS on {covered} but not on {missing}"
            )
        return (
            f"{r.resource}'s bucket policy has no Deny for everyone on s3:* when aws:SecureTransport "
            "is false, so requests over plain HTTP are not denied"
        )

    return verdicts(
        buckets,
        buckets.tls_only_bucket.astype(bool) & buckets.tls_only_objects.astype(bool),
        passed="{resource}'s bucket policy denies every request made without TLS "
        "(aws:SecureTransport = false) on the bucket and its objects",
        failed=failed,
    )


@check(
    "aws.s3.versioning",
    resource="aws.s3.bucket",
    control="BCK-01",
    severity="medium",
    title="S3 buckets keep previous versions of objects",
    fix="Enable versioning on the bucket (and a lifecycle rule to expire noncurrent versions).",
    needs=("GetBucketVersioning",),
)
def s3_versioning(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    def failed(r: Any) -> str:
        state = (
            "has versioning suspended" if r.versioning == "Suspended" else "has never had versioning enabled"
        )
        return f"{r.resource} {state}: overwritten or deleted objects cannot be recovered"

    return verdicts(
        buckets,
        buckets.versioning.eq("Enabled"),
        passed="{resource} has versioning enabled",
        failed=failed,
    )


def _off(settings: dict[str, bool] | None) -> set[str]:
    """Block settings that are off; every setting when they could not be read."""
    return {s for s in BLOCK_SETTINGS if not (settings or {}).get(s)}


def _public_access(r: Any) -> tuple[bool | None, str]:
    bucket, account = r.public_access_block, r.account_public_access_block
    bucket_off, account_off = _off(bucket), _off(account)
    still_off = [s for s in BLOCK_SETTINGS if s in bucket_off and s in account_off]
    if not still_off:
        if bucket is not None and not bucket_off:
            also = " (the account-level block is also on)" if account is not None and not account_off else ""
            return True, f"{r.resource} blocks all public access with its own public access block{also}"
        if account is not None and not account_off:
            return True, (
                f"{r.resource} is covered by the account-level public access block of {r.account} "
                "(all four settings on), whatever the bucket's own settings"
            )
        return (
            True,
            f"{r.resource} blocks all public access through its own and the account's settings together",
        )
    unknown = [r.detail_errors.get("GetPublicAccessBlock", "the bucket's block was not collected")]
    unknown = (unknown if bucket is None else []) + (
        [f"the account-level block is unknown: {r.account_block_error}"] if account is None else []
    )
    if unknown:
        return None, f"{r.resource}: " + "; ".join(unknown)
    return False, (
        f"{r.resource} does not block all public access: {', '.join(still_off)} "
        f"{'is' if len(still_off) == 1 else 'are'} off both on the bucket and for account {r.account}"
    )


@check(
    "aws.s3.public_access_block",
    resource="aws.s3.bucket",
    control="NET-01",
    severity="high",
    title="S3 buckets block public access",
    fix="Turn on all four S3 Block Public Access settings for the account (preferred) or the bucket.",
    # Either block can be enough on its own, so a failed read of one is weighed in the check.
    needs=(),
    statement=Statement("network", "storage buckets", "block public access"),
)
def s3_public_access_block(buckets: pd.DataFrame, ctx: Context) -> Verdicts:
    found = [_public_access(r) for r in buckets.itertuples(index=False)]
    ok = pd.Series([ok for ok, _ in found], index=buckets.index, dtype=object)
    rows = buckets.assign(why=[why for _, why in found])
    return verdicts(rows, ok, passed="{why}", failed="{why}", unknown="{why}")


@check(
    "aws.s3.account_public_access_block",
    resource="aws.s3.account_public_access_block",
    control="NET-01",
    severity="high",
    title="The account blocks public access to S3",
    fix="In S3 > Block Public Access settings for this account, turn on all four settings.",
)
def s3_account_public_access_block(accounts: pd.DataFrame, ctx: Context) -> Verdicts:
    columns = ["block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets"]

    def failed(r: Any) -> str:
        if not r.configured:
            return f"account {r.account} has no account-level S3 public access block"
        off = [name for name, column in zip(BLOCK_SETTINGS, columns, strict=True) if not getattr(r, column)]
        return f"account {r.account}'s S3 public access block leaves {', '.join(off)} off"

    return verdicts(
        accounts,
        accounts[columns].astype(bool).all(axis=1),
        passed="account {account} blocks public access to S3 with all four account-level settings",
        failed=failed,
    )
