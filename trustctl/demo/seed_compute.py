"""Demo company: EBS volumes and snapshots, security groups, load balancers and EFS file systems.

The management account is run well (encryption by default in eu-west-1, modern TLS, no open admin
ports); the
production account has the usual drift: an unencrypted database volume and its snapshot, SSH and
database ports open to the internet, a load balancer allowing TLS 1.0 and plain HTTP, an
unencrypted file system, and a disaster-recovery copy of the database snapshot in us-east-1 that
is as unencrypted as its source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3

REGION = "eu-west-1"
DR_REGION = "us-east-1"
MODERN_TLS = "ELBSecurityPolicy-TLS13-1-2-2021-06"
LEGACY_TLS = "ELBSecurityPolicy-2016-08"  # still the console default; allows TLS 1.0


def _tags(name: str, **extra: str) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in {"Name": name, "environment": "production", **extra}.items()]


def _answer_default_kms_key_id() -> None:
    """moto (5.x) lacks GetEbsDefaultKmsKeyId; answer it on the in-process server as AWS does.

    Demo only: the server runs in this process (trustctl.demo.server). Without this, every demo
    collection would record an error for a call AWS always answers.
    """
    from moto.core.responses import ActionResult
    from moto.ec2.responses import EC2Response

    if "get_ebs_default_kms_key_id" in vars(EC2Response):
        return

    def get_ebs_default_kms_key_id(self: Any) -> ActionResult:
        backend = self.ec2_backend
        return ActionResult(
            {"KmsKeyId": backend.default_kms_key_id or backend._create_default_encryption_key()}
        )

    EC2Response.get_ebs_default_kms_key_id = get_ebs_default_kms_key_id  # type: ignore[attr-defined]


class _Region:
    """One account's clients in the demo region, made once: client creation dominates seeding time."""

    def __init__(self, session: boto3.Session) -> None:
        self.session = session
        self.ec2 = session.client("ec2", region_name=REGION)
        self.elb = session.client("elbv2", region_name=REGION)
        self.efs = session.client("efs", region_name=REGION)
        self.zone = self.ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
        default = [{"Name": "default-for-az", "Values": ["true"]}]
        self.subnets = [s["SubnetId"] for s in self.ec2.describe_subnets(Filters=default)["Subnets"][:2]]
        self.vpc = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0][
            "VpcId"
        ]

    def volume(self, name: str, size: int, *, encrypted: bool, snapshot: bool) -> str | None:
        tags = [{"ResourceType": "volume", "Tags": _tags(name, data="customer")}]
        volume = self.ec2.create_volume(
            AvailabilityZone=self.zone, Size=size, Encrypted=encrypted, TagSpecifications=tags
        )
        if not snapshot:
            return None
        snap_tags = [{"ResourceType": "snapshot", "Tags": _tags(f"{name}-nightly", data="customer")}]
        made = self.ec2.create_snapshot(
            VolumeId=volume["VolumeId"], Description=f"{name} nightly", TagSpecifications=snap_tags
        )
        return str(made["SnapshotId"])

    def group(self, name: str, *rules: dict[str, Any]) -> str:
        group = self.ec2.create_security_group(GroupName=name, Description=f"{name} (demo)", VpcId=self.vpc)
        if rules:
            self.ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=list(rules))
        return str(group["GroupId"])

    def load_balancer(self, name: str, group: str, *, tls_policy: str, redirect: bool) -> None:
        lb = self.elb.create_load_balancer(
            Name=name, Subnets=self.subnets, SecurityGroups=[group], Scheme="internet-facing"
        )["LoadBalancers"][0]["LoadBalancerArn"]
        targets = self.elb.create_target_group(Name=f"{name}-app", Protocol="HTTP", Port=8080, VpcId=self.vpc)
        forward = [{"Type": "forward", "TargetGroupArn": targets["TargetGroups"][0]["TargetGroupArn"]}]
        acm = self.session.client("acm", region_name=REGION)
        certificate = acm.request_certificate(DomainName=f"{name}.acme.example")["CertificateArn"]
        self.elb.create_listener(
            LoadBalancerArn=lb,
            Protocol="HTTPS",
            Port=443,
            SslPolicy=tls_policy,
            Certificates=[{"CertificateArn": certificate}],
            DefaultActions=forward,
        )
        to_https = [
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ]
        self.elb.create_listener(
            LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=to_https if redirect else forward
        )

    def file_system(self, name: str, *, encrypted: bool) -> None:
        self.efs.create_file_system(
            CreationToken=name, Encrypted=encrypted, Tags=_tags(name, data="customer")
        )


def _tcp(low: int, high: int, cidr: str) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": low, "ToPort": high, "IpRanges": [{"CidrIp": cidr}]}


def _seed_management(session: boto3.Session) -> None:
    region = _Region(session)
    # Turned on where the company works, forgotten in the region nobody uses yet.
    region.ec2.enable_ebs_encryption_by_default()
    region.volume("portal-db", 100, encrypted=True, snapshot=True)
    web = region.group("portal-web", _tcp(443, 443, "0.0.0.0/0"), _tcp(22, 22, "10.20.0.0/16"))
    region.load_balancer("portal", web, tls_policy=MODERN_TLS, redirect=True)
    region.file_system("portal-shared", encrypted=True)


def _seed_production(session: boto3.Session) -> None:
    region = _Region(session)
    region.volume("scratch", 20, encrypted=True, snapshot=False)
    orders = region.volume("orders-db", 500, encrypted=False, snapshot=True)
    # A copy stays unencrypted unless the copy request asks for encryption (or the default is on).
    session.client("ec2", region_name=DR_REGION).copy_snapshot(
        SourceRegion=REGION,
        SourceSnapshotId=str(orders),
        Description="orders-db DR copy",
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": _tags("orders-db-dr", data="customer")}],
    )
    region.group("bastion", _tcp(22, 22, "0.0.0.0/0"))
    region.group("reporting", _tcp(3000, 3400, "0.0.0.0/0"))  # a range that happens to include 3306 and 3389
    region.group("analytics-db", {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
    shop = region.group("shop-web", _tcp(443, 443, "0.0.0.0/0"), _tcp(80, 80, "0.0.0.0/0"))
    region.load_balancer("shop", shop, tls_policy=LEGACY_TLS, redirect=False)
    region.file_system("media", encrypted=False)


def seed(management: boto3.Session, production: boto3.Session, now: datetime) -> None:
    """Create resources in both accounts so every compute check has a passing and a failing one."""
    _answer_default_kms_key_id()
    _seed_management(management)
    _seed_production(production)
