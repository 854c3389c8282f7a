"""EC2/EBS, security group, load balancer listener and EFS facts, one row per resource and region.

Tables: aws.ebs.encryption_default (one row per account and region), aws.ebs.volume,
aws.ebs.snapshot, aws.ec2.security_group, aws.elb.listener and aws.efs.file_system. Volumes,
snapshots and file systems hold customer data: they carry `tags` and their region (DATA_STORES).
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import Any

import pandas as pd

from trustctl.evidence.records import RequestRecord
from trustctl.facts.base import DETAIL_ERRORS, Evidence, Normalizer, error_text, frame

EBS_DEFAULT = ("ec2", "GetEbsEncryptionByDefault")
EBS_KEY = ("ec2", "GetEbsDefaultKmsKeyId")
VOLUMES = ("ec2", "DescribeVolumes")
SNAPSHOTS = ("ec2", "DescribeSnapshots")
GROUPS = ("ec2", "DescribeSecurityGroups")
BALANCERS = ("elbv2", "DescribeLoadBalancers")
LISTENERS = ("elbv2", "DescribeListeners")
SSL_POLICIES = ("elbv2", "DescribeSSLPolicies")
FILE_SYSTEMS = ("efs", "DescribeFileSystems")

DATA_STORES: tuple[str, ...] = ("aws.ebs.volume", "aws.ebs.snapshot", "aws.efs.file_system")
# Protocols an SSL policy can allow, weakest first.
TLS_VERSIONS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
TLS_PROTOCOLS = frozenset({"HTTPS", "TLS"})


def tls_rank(protocol: str) -> int:
    return TLS_VERSIONS.index(protocol) if protocol in TLS_VERSIONS else -1


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def tag_dict(tags: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def _base(record: RequestRecord, resource: str, *extra: str | None) -> dict[str, Any]:
    evidence = [h for h in (record.object, *extra) if h]
    return {
        "provider": "aws",
        "account": record.call.account,
        "region": record.call.region,
        "resource": resource,
        "evidence": evidence,
    }


def build_encryption_default(ev: Evidence) -> pd.DataFrame:
    keys = {
        (r.call.account, r.call.region): (data.get("KmsKeyId"), r.object)
        for r, data in ev.responses("aws", *EBS_KEY)
    }
    # Only named in reasons (the verdict is whether encryption is on), so a failure is said, not judged.
    unread = {(r.call.account, r.call.region): error_text(r) for r in ev.failures_of("aws", *EBS_KEY)}
    rows = []
    for record, data in ev.responses("aws", *EBS_DEFAULT):
        account, region = record.call.account, record.call.region
        key, key_hash = keys.get((account, region), (None, None))
        rows.append(
            {
                **_base(record, f"{account}/{region}", key_hash),
                "enabled": bool(data.get("EbsEncryptionByDefault")),
                "default_kms_key": key,
                "default_kms_key_unread": unread.get((account, region)),
            }
        )
    return frame(rows, ["enabled", "default_kms_key", "default_kms_key_unread"])


def build_volumes(ev: Evidence) -> pd.DataFrame:
    rows = []
    for record, data in ev.responses("aws", *VOLUMES):
        account, region = record.call.account, record.call.region
        for volume in data.get("Volumes", []):
            tags = tag_dict(volume.get("Tags"))
            rows.append(
                {
                    **_base(
                        record, f"arn:{partition(region)}:ec2:{region}:{account}:volume/{volume['VolumeId']}"
                    ),
                    "id": volume["VolumeId"],
                    "name": tags.get("Name", ""),
                    "encrypted": bool(volume.get("Encrypted")),
                    "kms_key_id": volume.get("KmsKeyId"),
                    "state": volume.get("State"),
                    "size_gib": volume.get("Size"),
                    "attached_to": [
                        a["InstanceId"] for a in volume.get("Attachments", []) if "InstanceId" in a
                    ],
                    "created": pd.to_datetime(volume.get("CreateTime"), utc=True),
                    "tags": tags,
                }
            )
    columns = ["id", "name", "encrypted", "kms_key_id", "state", "size_gib", "attached_to", "created", "tags"]
    return frame(rows, columns)


def build_snapshots(ev: Evidence) -> pd.DataFrame:
    rows = []
    for record, data in ev.responses("aws", *SNAPSHOTS):
        region = record.call.region
        for snapshot in data.get("Snapshots", []):
            tags = tag_dict(snapshot.get("Tags"))
            rows.append(
                {
                    # Snapshot ARNs have no account field.
                    **_base(
                        record, f"arn:{partition(region)}:ec2:{region}::snapshot/{snapshot['SnapshotId']}"
                    ),
                    "id": snapshot["SnapshotId"],
                    "name": tags.get("Name", ""),
                    "encrypted": bool(snapshot.get("Encrypted")),
                    "kms_key_id": snapshot.get("KmsKeyId"),
                    "volume_id": snapshot.get("VolumeId"),
                    "started": pd.to_datetime(snapshot.get("StartTime"), utc=True),
                    "tags": tags,
                }
            )
    return frame(rows, ["id", "name", "encrypted", "kms_key_id", "volume_id", "started", "tags"])


def is_world(cidr: str) -> bool:
    """0.0.0.0/0 and ::/0, however they are spelled."""
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def world_ingress(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ingress rules open to every address, one per (rule, CIDR); ports are None for all ports."""
    rules = []
    for perm in permissions:
        cidrs = [r.get("CidrIp", "") for r in perm.get("IpRanges", [])]
        cidrs += [r.get("CidrIpv6", "") for r in perm.get("Ipv6Ranges", [])]
        for cidr in filter(is_world, cidrs):
            rules.append(
                {
                    "protocol": str(perm.get("IpProtocol", "-1")).lower(),
                    "from_port": perm.get("FromPort"),
                    "to_port": perm.get("ToPort"),
                    "cidr": cidr,
                }
            )
    return rules


def build_security_groups(ev: Evidence) -> pd.DataFrame:
    rows = []
    for record, data in ev.responses("aws", *GROUPS):
        for group in data.get("SecurityGroups", []):
            rows.append(
                {
                    **_base(record, group["GroupId"]),
                    "id": group["GroupId"],
                    "name": group.get("GroupName", ""),
                    "vpc_id": group.get("VpcId"),
                    "world_ingress": world_ingress(group.get("IpPermissions", [])),
                    "tags": tag_dict(group.get("Tags")),
                }
            )
    return frame(rows, ["id", "name", "vpc_id", "world_ingress", "tags"])


def _ssl_policies(ev: Evidence) -> dict[tuple[str, str], dict[str, tuple[list[str], str | None]]]:
    """Per (account, region): policy name -> (its protocols, evidence hash)."""
    found: dict[tuple[str, str], dict[str, tuple[list[str], str | None]]] = defaultdict(dict)
    for record, data in ev.responses("aws", *SSL_POLICIES):
        for policy in data.get("SslPolicies", []):
            found[(record.call.account, record.call.region)][policy["Name"]] = (
                list(policy.get("SslProtocols", [])),
                record.object,
            )
    return found


def _redirects_to_https(actions: list[dict[str, Any]]) -> bool:
    return any(
        a.get("Type") == "redirect" and a.get("RedirectConfig", {}).get("Protocol") == "HTTPS"
        for a in actions
    )


def build_listeners(ev: Evidence) -> pd.DataFrame:
    """One row per listener; a load balancer whose listeners could not be read is one row of its own."""
    balancers = {
        lb["LoadBalancerArn"]: (lb, record.object)
        for record, data in ev.responses("aws", *BALANCERS)
        for lb in data.get("LoadBalancers", [])
    }
    policies = _ssl_policies(ev)
    policy_errors: dict[tuple[str, str], str] = {}
    for failed in ev.failures_of("aws", *SSL_POLICIES):
        policy_errors[(failed.call.account, failed.call.region)] = error_text(failed)
    rows = []
    for record, data in ev.responses("aws", *LISTENERS):
        scope = (record.call.account, record.call.region)
        for listener in data.get("Listeners", []):
            lb, lb_hash = balancers.get(listener["LoadBalancerArn"], ({}, None))
            protocol = listener.get("Protocol")
            tls = protocol in TLS_PROTOCOLS
            policy = listener.get("SslPolicy") if tls else None
            protocols, policy_hash = (
                policies.get(scope, {}).get(policy, (None, None)) if policy else (None, None)
            )
            errors = {}
            if tls and protocols is None and scope in policy_errors:
                errors[SSL_POLICIES[1]] = policy_errors[scope]
            rows.append(
                {
                    **_base(record, listener["ListenerArn"], lb_hash, policy_hash),
                    "load_balancer": listener["LoadBalancerArn"],
                    "load_balancer_name": lb.get("LoadBalancerName", ""),
                    "scheme": lb.get("Scheme"),
                    "protocol": protocol,
                    "port": listener.get("Port"),
                    "ssl_policy": policy,
                    "ssl_protocols": protocols,
                    "min_protocol": min(protocols, key=tls_rank) if protocols else None,
                    "redirects_to_https": _redirects_to_https(listener.get("DefaultActions", [])),
                    DETAIL_ERRORS: errors,
                }
            )
    for failed in ev.failures_of("aws", *LISTENERS):
        arn = str(failed.call.parameters.get("LoadBalancerArn"))
        lb, lb_hash = balancers.get(arn, ({}, None))
        rows.append(
            {
                "provider": "aws",
                "account": failed.call.account,
                "region": failed.call.region,
                "resource": arn,
                "evidence": [lb_hash] if lb_hash else [],
                "load_balancer": arn,
                "load_balancer_name": lb.get("LoadBalancerName", ""),
                "scheme": lb.get("Scheme"),
                DETAIL_ERRORS: {LISTENERS[1]: error_text(failed)},
            }
        )
    columns = [
        "load_balancer",
        "load_balancer_name",
        "scheme",
        "protocol",
        "port",
        "ssl_policy",
        "ssl_protocols",
        "min_protocol",
        "redirects_to_https",
        DETAIL_ERRORS,
    ]
    return frame(rows, columns)


def build_file_systems(ev: Evidence) -> pd.DataFrame:
    rows = []
    for record, data in ev.responses("aws", *FILE_SYSTEMS):
        account, region = record.call.account, record.call.region
        for fs in data.get("FileSystems", []):
            fs_id = fs["FileSystemId"]
            arn = fs.get("FileSystemArn") or (
                f"arn:{partition(region)}:elasticfilesystem:{region}:{account}:file-system/{fs_id}"
            )
            tags = tag_dict(fs.get("Tags"))
            rows.append(
                {
                    **_base(record, arn),
                    "id": fs_id,
                    "name": fs.get("Name") or tags.get("Name", ""),
                    "encrypted": bool(fs.get("Encrypted")),
                    "kms_key_id": fs.get("KmsKeyId"),
                    "state": fs.get("LifeCycleState"),
                    "tags": tags,
                }
            )
    return frame(rows, ["id", "name", "encrypted", "kms_key_id", "state", "tags"])


NORMALIZERS = (
    Normalizer("aws.ebs.encryption_default", "aws", (EBS_DEFAULT,), build_encryption_default, regional=True),
    Normalizer("aws.ebs.volume", "aws", (VOLUMES,), build_volumes, regional=True),
    Normalizer("aws.ebs.snapshot", "aws", (SNAPSHOTS,), build_snapshots, regional=True),
    Normalizer("aws.ec2.security_group", "aws", (GROUPS,), build_security_groups, regional=True),
    Normalizer("aws.elb.listener", "aws", (BALANCERS,), build_listeners, regional=True),
    Normalizer("aws.efs.file_system", "aws", (FILE_SYSTEMS,), build_file_systems, regional=True),
)
