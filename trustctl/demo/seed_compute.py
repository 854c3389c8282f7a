"""Demo company: compute resources (filled in by the issue 3 work)."""

from __future__ import annotations

from datetime import datetime

import boto3


def seed(management: boto3.Session, production: boto3.Session, now: datetime) -> None:
    """Create resources in both accounts so every compute check has a passing and a failing one."""
