"""AWS compute checks: EBS and EFS encryption at rest, admin ports open to the internet, load balancer TLS."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts
from trustctl.facts.aws_compute import TLS_PROTOCOLS, tls_rank

PORTED = frozenset({"tcp", "udp", "6", "17"})
ALL_TRAFFIC = frozenset({"-1", "all"})


def _key(key_id: Any) -> str:
    return f" with KMS key {key_id}" if isinstance(key_id, str) and key_id else ""


def _default_key(r: Any) -> str:
    if isinstance(r.default_kms_key_unread, str):
        return f" (with which KMS key is unknown: {r.default_kms_key_unread})"
    return _key(r.default_kms_key)


@check(
    "aws.ebs.default_encryption",
    resource="aws.ebs.encryption_default",
    control="CRY-01",
    severity="medium",
    title="EBS encryption by default is on in every region",
    fix="Turn on EBS encryption by default in every region (`aws ec2 enable-ebs-encryption-by-default`).",
)
def ebs_default_encryption(regions: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        regions,
        regions.enabled.astype(bool),
        passed=lambda r: (
            f"{r.resource}: new EBS volumes and snapshot copies are encrypted by default" + _default_key(r)
        ),
        failed="{resource}: EBS encryption by default is off, so new volumes are unencrypted unless "
        "each request asks for encryption",
    )


@check(
    "aws.ebs.volume_encrypted",
    resource="aws.ebs.volume",
    control="CRY-01",
    severity="high",
    title="EBS volumes are encrypted",
    fix="Snapshot the volume, copy the snapshot with encryption, create a volume from the copy and swap "
    "it in; turn on EBS encryption by default.",
    statement=Statement("encryption", "disk volumes", "are encrypted at rest"),
)
def ebs_volume_encrypted(volumes: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        volumes,
        volumes.encrypted.astype(bool),
        passed=lambda r: f"{r.resource} is encrypted{_key(r.kms_key_id)}",
        failed="{resource} ({size_gib} GiB) is not encrypted",
    )


@check(
    "aws.ebs.snapshot_encrypted",
    resource="aws.ebs.snapshot",
    control="CRY-01",
    severity="high",
    title="EBS snapshots are encrypted",
    fix="Copy the snapshot with Encrypted=true (`aws ec2 copy-snapshot --encrypted`), then delete the "
    "unencrypted one.",
    statement=Statement("encryption", "disk snapshots", "are encrypted at rest"),
)
def ebs_snapshot_encrypted(snapshots: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        snapshots,
        snapshots.encrypted.astype(bool),
        passed=lambda r: f"{r.resource} is encrypted{_key(r.kms_key_id)}",
        failed="{resource} (of volume {volume_id}) is not encrypted",
    )


def exposed_ports(rule: dict[str, Any], ports: list[int]) -> list[int]:
    """The admin ports a world-open rule reaches: all of them for all traffic, those in its range else."""
    protocol = str(rule.get("protocol"))
    if protocol in ALL_TRAFFIC:
        return list(ports)
    if protocol not in PORTED:
        return []  # ICMP and other protocols without ports
    low, high = rule.get("from_port"), rule.get("to_port")
    return [p for p in ports if _bound(low, 0) <= p <= _bound(high, 65535)]


def _bound(port: Any, unbounded: int) -> int:
    return unbounded if port is None or pd.isna(port) or port < 0 else int(port)


def _describe(rule: dict[str, Any], ports: list[int]) -> str:
    protocol = str(rule["protocol"])
    low, high = _bound(rule.get("from_port"), 0), _bound(rule.get("to_port"), 65535)
    name = {"6": "tcp", "17": "udp"}.get(protocol, protocol)
    if protocol in ALL_TRAFFIC:
        how = "all protocols and ports"
    elif (low, high) == (0, 65535):
        how = f"{name}, all ports"
    else:
        how = f"{name} {low}" if low == high else f"{name} {low}-{high}"
    return f"{', '.join(map(str, ports))} to {rule['cidr']} ({how})"


@check(
    "aws.ec2.open_admin_ports",
    resource="aws.ec2.security_group",
    control="NET-02",
    severity="critical",
    title="No admin or database port is open to the internet",
    fix="Remove the 0.0.0.0/0 and ::/0 ingress rules for admin and database ports; reach hosts through "
    "SSM Session Manager, a VPN or a narrow CIDR.",
    statement=Statement("network", "firewall groups", "keep administrative ports closed to the internet"),
)
def open_admin_ports(groups: pd.DataFrame, ctx: Context) -> Verdicts:
    ports = sorted(set(ctx.policy.admin_ports))
    findings = pd.Series(
        [
            [_describe(rule, hit) for rule in rules if (hit := exposed_ports(rule, ports))]
            for rules in groups.world_ingress
        ],
        index=groups.index,
        dtype=object,
    )
    groups = groups.assign(findings=findings)
    return verdicts(
        groups,
        groups.findings.map(len) == 0,
        passed="{resource} ({name}) opens no admin or database port (policy.admin_ports) to the internet",
        failed=lambda r: (
            f"{r.resource} ({r.name}) opens admin ports to the internet: {'; '.join(r.findings)}"
        ),
    )


@check(
    "aws.elb.tls_policy",
    resource="aws.elb.listener",
    control="CRY-02",
    severity="high",
    title="Load balancer listeners use TLS at or above the policy minimum",
    fix="Set the listener's SSL policy to one whose lowest protocol meets policy.min_tls_version "
    "(e.g. ELBSecurityPolicy-TLS13-1-2-2021-06); make HTTP listeners redirect to HTTPS.",
    statement=Statement("encryption", "load balancer listeners", "require TLS 1.2 or later"),
)
def elb_tls_policy(listeners: pd.DataFrame, ctx: Context) -> Verdicts:
    minimum = ctx.policy.min_tls_version
    tls = listeners.protocol.isin(TLS_PROTOCOLS)
    http = listeners.protocol.eq("HTTP")
    applicable = listeners[tls | http]
    strong = applicable.min_protocol.map(
        lambda p: tls_rank(p) >= tls_rank(minimum) if isinstance(p, str) else None
    )
    ok = applicable.redirects_to_https.astype(bool).where(applicable.protocol.eq("HTTP"), strong)

    def passed(r: Any) -> str:
        if r.protocol == "HTTP":
            return f"{r.resource} (HTTP:{r.port} on {r.load_balancer_name}) redirects to HTTPS"
        return (
            f"{r.resource} ({r.protocol}:{r.port} on {r.load_balancer_name}) uses {r.ssl_policy}, "
            f"which allows {r.min_protocol} and above (policy: at least {minimum})"
        )

    def failed(r: Any) -> str:
        if r.protocol == "HTTP":
            return f"{r.resource} (HTTP:{r.port} on {r.load_balancer_name}) serves plain HTTP without redirecting to HTTPS"
        return (
            f"{r.resource} ({r.protocol}:{r.port} on {r.load_balancer_name}) uses {r.ssl_policy}, "
            f"which allows {r.min_protocol} (policy: at least {minimum})"
        )

    return verdicts(
        applicable,
        ok,
        passed=passed,
        failed=failed,
        unknown=lambda r: (
            f"{r.resource}: the protocols of SSL policy {r.ssl_policy} were not described; collect again"
        ),
    )


@check(
    "aws.efs.encrypted",
    resource="aws.efs.file_system",
    control="CRY-01",
    severity="high",
    title="EFS file systems are encrypted at rest",
    fix="EFS encryption is chosen at creation: create an encrypted file system, copy the data (AWS DataSync) "
    "and delete the unencrypted one.",
    statement=Statement("encryption", "file systems", "are encrypted at rest"),
)
def efs_encrypted(file_systems: pd.DataFrame, ctx: Context) -> Verdicts:
    return verdicts(
        file_systems,
        file_systems.encrypted.astype(bool),
        passed=lambda r: f"{r.resource} is encrypted at rest{_key(r.kms_key_id)}",
        failed="{resource} is not encrypted at rest",
    )
