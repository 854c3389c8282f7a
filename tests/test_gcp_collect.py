"""GCP collection with the real AssetServiceClient (REST) against a local endpoint, and export import."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.auth.exceptions import DefaultCredentialsError
from google.cloud.asset_v1 import AssetServiceClient

from tests.gcp_server import SEARCH, GcpAssetApi, gcp_asset_server
from trustctl.collectors.gcp import assets as gcp_assets
from trustctl.collectors.gcp import exports
from trustctl.collectors.gcp.assets import GCP_PERMISSIONS, ROLES, collect_gcp
from trustctl.collectors.gcp.exports import import_exports
from trustctl.config import GcpConfig
from trustctl.errors import InputError
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call, CallError

ETAG = base64.b64encode(b"etag-1").decode()
BUCKET = {
    "name": "//storage.googleapis.com/acme-logs",
    "assetType": "storage.googleapis.com/Bucket",
    "ancestors": ["projects/123", "folders/45", "organizations/678"],
    "updateTime": "2025-01-01T00:00:00Z",
    "resource": {
        "version": "v1",
        "discoveryDocumentUri": "https://www.googleapis.com/discovery/v1/apis/storage/v1/rest",
        "discoveryName": "Bucket",
        "parent": "//cloudresourcemanager.googleapis.com/projects/123",
        "location": "us",
        "data": {
            "name": "acme-logs",
            "iamConfiguration": {
                "uniformBucketLevelAccess": {"enabled": True},
                "publicAccessPrevention": "enforced",
            },
            "versioning": {"enabled": False},
        },
    },
}
KEY = {
    "name": "//cloudkms.googleapis.com/projects/acme-prod/locations/us/keyRings/r/cryptoKeys/k",
    "assetType": "cloudkms.googleapis.com/CryptoKey",
    "ancestors": ["projects/123", "organizations/678"],
    "resource": {"version": "v1", "discoveryName": "CryptoKey", "data": {"rotationPeriod": "7776000s"}},
}
POLICY = {
    "version": 1,
    "bindings": [{"role": "roles/owner", "members": ["user:bob@acme.com"]}],
    "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}],
    "etag": ETAG,
}
PROJECT_POLICY = {
    "name": "//cloudresourcemanager.googleapis.com/projects/123",
    "assetType": "cloudresourcemanager.googleapis.com/Project",
    "ancestors": ["projects/123", "organizations/678"],
    "iamPolicy": POLICY,
}
SEARCH_RESULT = {
    "resource": "//cloudresourcemanager.googleapis.com/projects/acme-prod",
    "assetType": "cloudresourcemanager.googleapis.com/Project",
    "project": "projects/123",
    "organization": "organizations/678",
    "policy": {"bindings": [{"role": "roles/editor", "members": ["group:dev@acme.com"]}]},
}
SCOPE = "projects/acme-prod"


class MemorySink:
    """Collects what a run writer would be given."""

    def __init__(self) -> None:
        self.responses: list[tuple[Call, Any]] = []
        self.errors: list[tuple[Call, CallError]] = []
        self.blobs: list[tuple[Call, bytes]] = []

    def record_response(self, call: Call, data: Any, observed_at: datetime) -> str:
        self.responses.append((call, data))
        return f"sha256:{len(self.responses)}"

    def record_error(self, call: Call, error: CallError, observed_at: datetime) -> None:
        self.errors.append((call, error))

    def record_bytes(self, call: Call, data: bytes, observed_at: datetime) -> str:
        self.blobs.append((call, data))
        return "sha256:blob"

    def pages(self, operation: str, content_type: str | None = None) -> list[tuple[Call, Any]]:
        return [
            (c, d)
            for c, d in self.responses
            if c.operation == operation
            and (content_type is None or c.parameters.get("content_type") == content_type)
        ]


@pytest.fixture
def api() -> GcpAssetApi:
    return GcpAssetApi(
        pages={"RESOURCE": [[BUCKET], [KEY]], "IAM_POLICY": [[PROJECT_POLICY]], SEARCH: [[SEARCH_RESULT]]}
    )


@pytest.fixture
def endpoint(api: GcpAssetApi, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    with gcp_asset_server(api) as url:
        yield url


def client(endpoint: str) -> AssetServiceClient:
    return AssetServiceClient(
        transport="rest", credentials=AnonymousCredentials(), client_options={"api_endpoint": endpoint}
    )


def settings(**kwargs: Any) -> GcpConfig:
    return GcpConfig(scope=SCOPE, page_size=2, **kwargs)


def test_every_page_is_stored_in_export_shape(endpoint: str, api: GcpAssetApi) -> None:
    sink = MemorySink()
    assert collect_gcp(settings(), sink, client=client(endpoint)) == 0
    assert sink.errors == []
    resources = sink.pages("ListAssets", "RESOURCE")
    assert [c.page for c, _ in resources] == [1, 2]
    assert [d["assets"][0]["name"] for _, d in resources] == [BUCKET["name"], KEY["name"]]
    call, data = resources[0]
    assert (call.provider, call.account, call.region, call.service) == ("gcp", SCOPE, "global", "cloudasset")
    assert "storage.googleapis.com/Bucket" in call.parameters["asset_types"]
    bucket = data["assets"][0]
    assert set(bucket) == {"name", "asset_type", "ancestors", "update_time", "resource"}
    assert bucket["asset_type"] == "storage.googleapis.com/Bucket"
    assert bucket["update_time"] == "2025-01-01T00:00:00Z"
    assert bucket["resource"]["discovery_name"] == "Bucket"
    assert bucket["resource"]["discovery_document_uri"].startswith("https://")
    assert bucket["resource"]["data"] == BUCKET["resource"]["data"]  # camelCase kept inside data
    assert any("pageToken=1" in r for r in api.requests)
    [(_, policies)] = sink.pages("ListAssets", "IAM_POLICY")
    policy = policies["assets"][0]["iam_policy"]
    assert policy["bindings"] == POLICY["bindings"]
    assert policy["auditConfigs"] == POLICY["auditConfigs"]
    assert policy["etag"] == ETAG
    [(search_call, search)] = sink.pages("SearchAllIamPolicies")
    assert search_call.account == SCOPE
    assert search["results"][0]["asset_type"] == "cloudresourcemanager.googleapis.com/Project"
    assert search["results"][0]["policy"] == SEARCH_RESULT["policy"]


def test_permission_denied_names_the_permission_and_the_rest_runs(endpoint: str, api: GcpAssetApi) -> None:
    api.deny.add("IAM_POLICY")
    sink = MemorySink()
    assert collect_gcp(settings(), sink, client=client(endpoint)) == 1
    [(call, error)] = sink.errors
    assert call.operation == "ListAssets" and call.parameters["content_type"] == "IAM_POLICY"
    assert error.code == "PermissionDenied"
    assert error.permission == "cloudasset.assets.listIamPolicy"
    assert "cloudasset.assets.listIamPolicy" in error.message and SCOPE in error.message
    assert len(sink.pages("ListAssets", "RESOURCE")) == 2
    assert len(sink.pages("SearchAllIamPolicies")) == 1


def test_denied_search_names_its_permission(endpoint: str, api: GcpAssetApi) -> None:
    api.deny.add(SEARCH)
    sink = MemorySink()
    assert collect_gcp(settings(), sink, client=client(endpoint)) == 1
    [(_, error)] = sink.errors
    assert error.permission == "cloudasset.assets.searchAllIamPolicies"


def test_transient_errors_are_retried(endpoint: str, api: GcpAssetApi) -> None:
    api.unavailable["RESOURCE"] = 1
    sink = MemorySink()
    assert collect_gcp(settings(), sink, client=client(endpoint)) == 0
    assert len(sink.pages("ListAssets", "RESOURCE")) == 2


def test_retries_exhausted_is_an_error(endpoint: str, api: GcpAssetApi) -> None:
    api.unavailable[SEARCH] = 1000
    sink = MemorySink()
    assert collect_gcp(settings(timeout=1), sink, client=client(endpoint)) == 1
    [(call, error)] = sink.errors
    assert call.operation == "SearchAllIamPolicies"
    assert error.code == "RetriesExhausted"
    assert len(sink.pages("ListAssets")) == 3


def test_unreachable_endpoint_records_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_GCE_CHECK", "true")
    with gcp_asset_server(GcpAssetApi()) as url:
        pass  # the port is closed again
    sink = MemorySink()
    assert collect_gcp(settings(), sink, client=client(url)) == 3
    assert {e.permission for _, e in sink.errors} == set(GCP_PERMISSIONS)
    assert all(SCOPE in e.message for _, e in sink.errors)


def test_no_credentials_is_one_error_per_call(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_adc() -> AssetServiceClient:
        raise DefaultCredentialsError("Your default credentials were not found.")

    monkeypatch.setattr(gcp_assets, "_default_client", no_adc)
    sink = MemorySink()
    assert collect_gcp(settings(), sink) == 3
    assert {e.code for _, e in sink.errors} == {"NoCredentials"}
    assert "application-default login" in sink.errors[0][1].message


def test_no_scope_collects_nothing() -> None:
    sink = MemorySink()
    assert collect_gcp(GcpConfig(), sink) == 0
    assert sink.responses == sink.errors == []


def test_permissions_and_roles() -> None:
    assert GCP_PERMISSIONS == (
        "cloudasset.assets.listResource",
        "cloudasset.assets.listIamPolicy",
        "cloudasset.assets.searchAllIamPolicies",
    )
    assert ROLES == ("roles/cloudasset.viewer",)


# -- export import ----------------------------------------------------------------------------


def snake_line(asset: dict[str, Any]) -> str:
    return json.dumps(exports.normalize_asset(asset))


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_text(end.join(lines) + end, encoding="utf-8")
    return path


def test_export_both_spellings_load_the_same(tmp_path: Path) -> None:
    path = write(
        tmp_path / "export.json", [json.dumps(BUCKET), snake_line(BUCKET), json.dumps(PROJECT_POLICY)]
    )
    sink = MemorySink()
    assert import_exports([path], sink) == 0
    [(call, data)] = sink.responses
    assert call.account == "export:export.json" and call.operation == "ImportExport"
    assert call.parameters == {"file": "export.json", "first_line": 1, "last_line": 3}
    camel, snake, project = data["assets"]
    assert camel == snake
    assert camel["asset_type"] == "storage.googleapis.com/Bucket"
    assert camel["resource"]["discovery_name"] == "Bucket"
    assert camel["resource"]["data"]["iamConfiguration"]["uniformBucketLevelAccess"] == {"enabled": True}
    assert project["iam_policy"]["auditConfigs"] == POLICY["auditConfigs"]
    [(blob_call, blob)] = sink.blobs
    assert blob_call.operation == "ExportFile" and blob_call.parameters == {"file": "export.json"}
    assert blob == path.read_bytes()


def test_snake_case_policy_keys_are_normalized(tmp_path: Path) -> None:
    line = {
        "name": "//cloudresourcemanager.googleapis.com/organizations/678",
        "asset_type": "cloudresourcemanager.googleapis.com/Organization",
        "iam_policy": {
            "audit_configs": [{"service": "allServices", "audit_log_configs": [{"log_type": "DATA_WRITE"}]}]
        },
    }
    sink = MemorySink()
    import_exports([write(tmp_path / "org.json", [json.dumps(line)])], sink)
    policy = sink.responses[0][1]["assets"][0]["iam_policy"]
    assert policy == {
        "auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_WRITE"}]}]
    }


def test_malformed_lines_are_errors_and_the_rest_loads(tmp_path: Path) -> None:
    lines = [json.dumps(BUCKET), "{not json", "[1, 2]", json.dumps({"foo": 1}), json.dumps(KEY)]
    path = write(tmp_path / "export.json", lines)
    sink = MemorySink()
    assert import_exports([path], sink) == 3
    assert [c.parameters for c, _ in sink.errors] == [
        {"file": "export.json", "line": 2},
        {"file": "export.json", "line": 3},
        {"file": "export.json", "line": 4},
    ]
    for _, error in sink.errors:
        assert error.code == "MalformedLine"
        assert str(path) in error.message
    assert "line 2: not valid JSON" in sink.errors[0][1].message
    [(_, data)] = sink.responses
    assert [a["name"] for a in data["assets"]] == [BUCKET["name"], KEY["name"]]


def test_blank_and_zero_byte_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"\n" + json.dumps(BUCKET).encode() + b"\r\n\r\n   \n" + json.dumps(KEY).encode())
    sink = MemorySink()
    assert import_exports([path], sink) == 0
    assert sink.errors == []
    assert len(sink.responses[0][1]["assets"]) == 2


def test_empty_file_is_an_input_error(tmp_path: Path) -> None:
    good = write(tmp_path / "good.json", [json.dumps(BUCKET)])
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    sink = MemorySink()
    with pytest.raises(InputError, match=r"empty\.json"):
        import_exports([good, empty], sink)
    assert sink.responses == sink.blobs == []  # every file is checked before any is read
    blank = tmp_path / "blank.json"
    blank.write_bytes(b"\n\n")
    with pytest.raises(InputError, match=r"blank\.json"):
        import_exports([blank], sink)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nope\.json"):
        import_exports([tmp_path / "nope.json"], MemorySink())


def test_chunks_cover_every_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "CHUNK_LINES", 2)
    path = write(tmp_path / "export.json", [json.dumps(BUCKET), json.dumps(KEY), "", json.dumps(BUCKET)])
    sink = MemorySink()
    import_exports([path], sink)
    assert [(c.page, c.parameters["first_line"], c.parameters["last_line"]) for c, _ in sink.responses] == [
        (1, 1, 2),
        (2, 3, 4),
    ]
    assert [len(d["assets"]) for _, d in sink.responses] == [2, 1]


def test_import_into_a_real_locker(tmp_path: Path) -> None:
    key = signing.create_key(tmp_path / "key.pem")
    locker = Locker.create(tmp_path / "locker", key)
    path = write(tmp_path / "export.json", [json.dumps(BUCKET), "oops"])
    writer = locker.begin_run(key, "Acme", "sha256:config")
    try:
        assert import_exports([path], writer) == 1
        manifest = writer.commit(["gcp"])
    finally:
        writer.close()
    by_operation: dict[str, Any] = {r.call.operation: r for r in manifest.requests if r.object}
    assert locker.read_object_bytes(by_operation["ExportFile"].object) == path.read_bytes()
    stored = locker.get_object(by_operation["ImportExport"].object)
    assert stored["assets"][0]["asset_type"] == "storage.googleapis.com/Bucket"
    [error] = manifest.errors
    assert error.error is not None and error.error.code == "MalformedLine"


def _import_to_locker(tmp_path: Path, name: str, path: Path) -> tuple[Locker, list[Any]]:
    key = signing.create_key(tmp_path / f"{name}.pem")
    locker = Locker.create(tmp_path / name, key)
    writer = locker.begin_run(key, "Acme", "sha256:config")
    try:
        malformed = import_exports([path], writer)
        manifest = writer.commit(["gcp"])
    finally:
        writer.close()
    requests = [(r.call, r.object, r.error) for r in manifest.requests]
    return locker, [malformed, requests]


def test_worker_processes_store_what_the_plain_path_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large export is parsed in forked workers, by orjson where it is exact: the stored objects and
    records are byte for byte those of the in-process `json` path, floats, big integers, secrets and
    malformed lines included."""
    monkeypatch.setattr(exports, "CHUNK_LINES", 2)
    monkeypatch.setattr(exports, "POOL_MIN_CHUNKS", 2)
    odd = {
        **BUCKET,
        "resource": {**BUCKET["resource"], "data": {"ratio": 0.1, "big": 2**70, "Password": "x"}},
    }
    lines = [json.dumps(BUCKET), json.dumps(KEY), "oops", json.dumps(odd), "", snake_line(BUCKET)] * 3
    path = write(tmp_path / "export.json", lines)
    assert exports._workers(path.read_bytes()) > 0
    pooled_locker, pooled = _import_to_locker(tmp_path, "pooled", path)
    monkeypatch.setattr(exports, "_workers", lambda data: 0)
    monkeypatch.setattr(exports, "fast_loads", lambda line: (_ for _ in ()).throw(ValueError("json only")))
    plain_locker, plain = _import_to_locker(tmp_path, "plain", path)
    assert pooled == plain and pooled[0] == 3
    for _, digest, _ in pooled[1]:
        if digest:
            assert pooled_locker.read_object_bytes(digest) == plain_locker.read_object_bytes(digest)
    chunks = [d for call, d, _ in pooled[1] if d and call.operation == "ImportExport"]
    assert len(chunks) == 9
    assert all('"Password"' not in pooled_locker.read_object_bytes(d).decode() for d in chunks)
