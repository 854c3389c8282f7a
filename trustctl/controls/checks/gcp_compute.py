"""GCP Compute Engine checks: firewall rules opening administrative ports to the internet."""

from __future__ import annotations

from typing import Any

import pandas as pd

from trustctl.controls.registry import Context, Statement, Verdicts, check, verdicts

WORLD = frozenset({"0.0.0.0/0", "::/0"})
ALL_PROTOCOLS = frozenset({"all"})
PORTED = frozenset({"tcp", "udp", "sctp", "6", "17", "132"})


def _findings(facts: pd.DataFrame, values: list[Any]) -> pd.DataFrame:
    return facts.assign(findings=pd.Series(values, index=facts.index, dtype=object))


def _port_range(spec: str) -> tuple[int, int]:
    low, _, high = spec.partition("-")
    return int(low), int(high or low)


def open_ports(allowed: list[dict[str, Any]], ports: list[int]) -> list[str]:
    """The admin ports an allow rule's entries reach, as `protocol:port`."""
    hits = []
    for entry in allowed or []:
        protocol = entry["protocol"]
        if protocol not in ALL_PROTOCOLS and protocol not in PORTED:
            continue  # icmp, esp, ah...: no ports
        ranges = [_port_range(p) for p in entry["ports"]] or [(0, 65535)]
        covered = {p for low, high in ranges for p in ports if low <= p <= high}
        hits += [f"{protocol}:{p}" for p in ports if p in covered]
    return hits


@check(
    "gcp.compute.open_admin_ports",
    resource="gcp.compute.firewall",
    control="NET-02",
    severity="critical",
    title="No firewall rule opens an admin or database port to the internet",
    fix="Remove 0.0.0.0/0 from the rule's source ranges (or delete the rule); reach hosts through IAP "
    "TCP forwarding, a VPN or narrow ranges.",
    statement=Statement("network", "GCP firewall rules", "keep administrative ports closed to the internet"),
)
def open_admin_ports(firewalls: pd.DataFrame, ctx: Context) -> Verdicts:
    ports = sorted(set(ctx.policy.admin_ports))
    findings = [
        open_ports(r.allowed, ports)
        if r.direction == "INGRESS" and not r.disabled and set(r.source_ranges) & WORLD
        else []
        for r in firewalls.itertuples(index=False)
    ]
    rows = _findings(firewalls, findings)
    return verdicts(
        rows,
        rows.findings.map(len) == 0,
        passed="{resource} ({name}) opens no admin or database port (policy.admin_ports) to the internet",
        failed=lambda r: (
            f"{r.resource} ({r.name}, network {r.network}) allows {', '.join(r.findings)} from "
            f"{', '.join(sorted(set(r.source_ranges) & WORLD))}"
        ),
    )
