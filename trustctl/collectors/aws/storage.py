"""S3 evidence: every bucket's protection settings, and the account-level public access block.

S3 is listed once per account (ListBuckets is global); the per-bucket reads (eight, or seven where the
listing names the bucket's region, as AWS's has since 2024) run on a bounded pool because accounts
with hundreds of buckets are common and each read is one round trip. They are most of an account's
requests, so the runner starts this collector first (`long_running`).
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from trustctl.collectors.aws.calls import call, paginate
from trustctl.collectors.aws.clients import honour_host_prefix_setting
from trustctl.collectors.base import Failure, Outcome, Response, Scope
from trustctl.evidence.records import CallError

# S3's IAM actions are not named after its API operations; errors must name the action to grant.
IAM_ACTIONS = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "GetBucketLogging": "s3:GetBucketLogging",
    "GetBucketTagging": "s3:GetBucketTagging",
}
ACCOUNT_BLOCK_ACTION = "s3:GetAccountPublicAccessBlock"
NO_PUBLIC_ACCESS_BLOCK = frozenset({"NoSuchPublicAccessBlockConfiguration"})

# (method, error codes that mean "not configured") for each bucket, in the order they are recorded.
BUCKET_CALLS: tuple[tuple[str, frozenset[str]], ...] = (
    ("get_bucket_location", frozenset()),
    ("get_bucket_encryption", frozenset({"ServerSideEncryptionConfigurationNotFoundError"})),
    ("get_bucket_versioning", frozenset()),
    ("get_object_lock_configuration", frozenset({"ObjectLockConfigurationNotFoundError"})),
    ("get_public_access_block", NO_PUBLIC_ACCESS_BLOCK),
    ("get_bucket_policy", frozenset({"NoSuchBucketPolicy"})),
    ("get_bucket_logging", frozenset()),
    ("get_bucket_tagging", frozenset({"NoSuchTagSet"})),
)


def with_iam_action(outcome: Outcome, action: str) -> Outcome:
    """A failure that names the real IAM action (s3:GetEncryptionConfiguration, not s3:GetBucketEncryption)."""
    if isinstance(outcome, Response) or outcome.error.permission in (None, action):
        return outcome
    wrong = outcome.error.permission
    error = CallError(
        code=outcome.error.code,
        message=outcome.error.message.replace(wrong, action),
        permission=action,
    )
    return Failure(outcome.call, error, outcome.observed_at)


class S3BucketCollector:
    """Every bucket: location, default encryption, versioning, object lock, public access block,
    bucket policy, access logging and tags."""

    service = "s3"
    is_global = True
    permissions = tuple(IAM_ACTIONS.values())
    operations = tuple(f"s3:{operation}" for operation in IAM_ACTIONS)
    long_running = True  # eight reads per bucket: started before the other tasks (runner.collect_aws)

    def __init__(self, workers: int = 16) -> None:
        # workers=1 keeps the calls in a fixed order (botocore's Stubber expects one).
        self.workers = workers

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        buckets: list[dict[str, Any]] = []
        # AWS rejects unpaginated listings in accounts whose bucket quota is above 10,000.
        for page in paginate(client, "list_buckets", scope, PaginationConfig={"PageSize": 1000}):
            yield with_iam_action(page, IAM_ACTIONS["ListBuckets"])
            if isinstance(page, Response):
                buckets += page.data.get("Buckets", [])
        if self.workers == 1:
            for bucket in buckets:
                yield from self._bucket(client, scope, bucket)
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="s3-bucket") as pool:
            for outcomes in pool.map(lambda bucket: self._bucket(client, scope, bucket), buckets):
                yield from outcomes

    @staticmethod
    def _bucket(client: Any, scope: Scope, bucket: dict[str, Any]) -> list[Outcome]:
        outcomes = []
        name = bucket["Name"]
        for method, absent in BUCKET_CALLS:
            if method == "get_bucket_location" and bucket.get("BucketRegion"):
                continue  # ListBuckets names each bucket's region (AWS since 2024): one request fewer
            outcome = call(client, method, scope, absent=absent, Bucket=name)
            action = IAM_ACTIONS[outcome.call.operation]
            outcomes.append(with_iam_action(outcome, action))
        return outcomes


class S3AccountPublicAccessBlockCollector:
    """The account-wide S3 public access block, which overrides every bucket's own settings."""

    service = "s3control"
    is_global = True
    permissions = (ACCOUNT_BLOCK_ACTION,)
    operations = ("s3:GetPublicAccessBlock",)  # S3 Control signs as s3

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        honour_host_prefix_setting(client)  # also for clients not made by ClientFactory (tests)
        outcome = call(
            client, "get_public_access_block", scope, absent=NO_PUBLIC_ACCESS_BLOCK, AccountId=scope.account
        )
        yield with_iam_action(outcome, ACCOUNT_BLOCK_ACTION)


COLLECTORS: list[Any] = [S3BucketCollector(), S3AccountPublicAccessBlockCollector()]
