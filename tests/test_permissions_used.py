"""The packet's methodology states the permissions its runs used, read from the recorded requests."""

from __future__ import annotations

from typing import Any

from trustctl.collectors.aws.runner import required_permissions
from trustctl.collectors.permissions import EXPORT_FILES, SCIM, used_permissions
from trustctl.evidence.records import Call, RequestRecord


def _record(
    provider: str, service: str, operation: str, account: str = "1", **parameters: Any
) -> RequestRecord:
    call = Call(
        provider=provider,
        account=account,
        region="eu-west-1",
        service=service,
        operation=operation,
        parameters=parameters,
    )
    return RequestRecord(call=call, object="sha256:" + "0" * 64, observed_at="2026-12-07T00:00:00Z")


def test_recorded_operations_become_the_actions_that_authorize_them() -> None:
    used = used_permissions(
        [
            _record("aws", "s3", "GetBucketEncryption"),
            _record("aws", "s3", "GetPublicAccessBlock"),
            _record("aws", "s3control", "GetPublicAccessBlock"),
            _record("aws", "sso-admin", "ListInstances"),
            _record("aws", "iam", "GetAccountSummary"),
            _record("aws", "iam", "GetAccountSummary"),
        ]
    )
    assert used == {
        "aws": (
            "iam:GetAccountSummary",
            "s3:GetAccountPublicAccessBlock",
            "s3:GetBucketPublicAccessBlock",
            "s3:GetEncryptionConfiguration",
            "sso:ListInstances",
        )
    }
    assert set(used["aws"]) <= set(required_permissions())  # nothing the policy would not grant


def test_gcp_api_export_files_and_identity_sources_are_told_apart() -> None:
    used = used_permissions(
        [
            _record("gcp", "cloudasset", "ListAssets", "organizations/1", content_type="IAM_POLICY"),
            _record("gcp", "cloudasset", "ImportExport", "export:assets.json"),
            _record("identity", "scim", "ListUsers", "scim:slack"),
            _record("documents", "documents", "AddDocument", "documents"),
        ]
    )
    assert used["gcp"] == ("roles/cloudasset.viewer", "cloudasset.assets.listIamPolicy", EXPORT_FILES)
    assert used["identity"] == (SCIM,)
    assert "documents" not in used  # a document needs no permission
    assert used_permissions([_record("gcp", "cloudasset", "ImportExport", "export:a.json")]) == {
        "gcp": (EXPORT_FILES,)
    }


def test_signing_names_known_without_botocore_match_its_models() -> None:
    """The table that spares `check` loading botocore's models agrees with them for every service the
    collectors (and their companions and the scope calls) record."""
    import botocore.session

    from trustctl.collectors.aws.runner import client_services
    from trustctl.collectors.permissions import SAME_NAME, SIGNING_NAMES, _signing_name

    recorded = set(client_services())
    assert recorded <= set(SIGNING_NAMES) | SAME_NAME, "a collector's service is missing from the table"
    session = botocore.session.get_session()
    for service in sorted(set(SIGNING_NAMES) | SAME_NAME):
        assert _signing_name(service) == session.get_service_model(service).signing_name, service
