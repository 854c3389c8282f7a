"""Audit logging and detection evidence, per region: CloudTrail trails, AWS Config recorders and
GuardDuty detectors (AWS Backup has its own module, backup.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trustctl.collectors.aws.calls import call, paginate
from trustctl.collectors.base import Outcome, Response, Scope


class CloudTrailCollector:
    """Trails, with each trail's logging status and event selectors read in its home region."""

    service = "cloudtrail"
    is_global = False
    permissions = (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    )

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        # Without shadow trails a multi-region trail is listed once, in its home region, so it is
        # judged once; a single-region trail can never pass for one just because one region was read.
        listed = call(client, "describe_trails", scope, includeShadowTrails=False)
        yield listed
        if not isinstance(listed, Response):
            return
        for trail in listed.data.get("trailList", []):
            if trail.get("HomeRegion", scope.region) != scope.region:
                continue
            # The ARN, not the name: member accounts can only address an organization trail by ARN.
            arn = trail["TrailARN"]
            yield call(client, "get_trail_status", scope, Name=arn)
            yield call(client, "get_event_selectors", scope, TrailName=arn)


class ConfigRecorderCollector:
    """AWS Config configuration recorders and whether each is recording."""

    service = "config"
    is_global = False
    permissions = ("config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus")

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        yield call(client, "describe_configuration_recorders", scope)
        yield call(client, "describe_configuration_recorder_status", scope)


class GuardDutyCollector:
    """GuardDuty detectors and their status."""

    service = "guardduty"
    is_global = False
    permissions = ("guardduty:ListDetectors", "guardduty:GetDetector")

    def collect(self, client: Any, scope: Scope) -> Iterator[Outcome]:
        for page in paginate(client, "list_detectors", scope):
            yield page
            if isinstance(page, Response):
                for detector_id in page.data.get("DetectorIds", []):
                    yield call(client, "get_detector", scope, DetectorId=detector_id)


COLLECTORS: list[Any] = [CloudTrailCollector(), ConfigRecorderCollector(), GuardDutyCollector()]
