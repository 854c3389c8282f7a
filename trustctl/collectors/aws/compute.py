"""EC2/EBS, security group, load balancer (ELBv2) and EFS evidence, per account and region.

Listings are paginated; per-resource detail calls (the listeners of one load balancer) carry the
resource's identifier as a parameter, so a failure is attributed to that resource. SSL policies are
described by name rather than guessed from the name: a policy's real protocols decide the TLS check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trustctl.collectors.aws.calls import call, paginate
from trustctl.collectors.base import Outcome, Response, Scope


class Ec2Collector:
    """EBS encryption by default, volumes, own snapshots and security groups of one region."""

    service = "ec2"
    is_global = False
    permissions = (
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSecurityGroups",
    )

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        default = call(client, "get_ebs_encryption_by_default", scope)
        yield default
        # The default key only matters (and is only shown) where encryption by default is on.
        if isinstance(default, Response) and default.data.get("EbsEncryptionByDefault"):
            yield call(client, "get_ebs_default_kms_key_id", scope)
        yield from paginate(client, "describe_volumes", scope, PaginationConfig={"PageSize": 500})
        # Without OwnerIds, DescribeSnapshots also lists every public snapshot in the region.
        yield from paginate(
            client, "describe_snapshots", scope, OwnerIds=["self"], PaginationConfig={"PageSize": 1000}
        )
        yield from paginate(client, "describe_security_groups", scope, PaginationConfig={"PageSize": 1000})


class Elbv2Collector:
    """Application, network and gateway load balancers, their listeners, and the SSL policies in use."""

    service = "elbv2"
    is_global = False
    permissions = (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeSSLPolicies",
    )

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        balancers: list[str] = []
        for outcome in paginate(client, "describe_load_balancers", scope, PaginationConfig={"PageSize": 400}):
            yield outcome
            if isinstance(outcome, Response):
                balancers += [lb["LoadBalancerArn"] for lb in outcome.data.get("LoadBalancers", [])]
        policies: set[str] = set()
        for arn in balancers:
            for outcome in paginate(client, "describe_listeners", scope, LoadBalancerArn=arn):
                yield outcome
                if isinstance(outcome, Response):
                    policies |= {
                        listener["SslPolicy"]
                        for listener in outcome.data.get("Listeners", [])
                        if listener.get("SslPolicy")
                    }
        if policies:
            yield from paginate(client, "describe_ssl_policies", scope, Names=sorted(policies))


class EfsCollector:
    """EFS file systems of one region (encryption, KMS key, tags)."""

    service = "efs"
    is_global = False
    permissions = ("elasticfilesystem:DescribeFileSystems",)

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        yield from paginate(client, "describe_file_systems", scope, PaginationConfig={"PageSize": 100})


COLLECTORS: list[Any] = [Ec2Collector(), Elbv2Collector(), EfsCollector()]
