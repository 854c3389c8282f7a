"""Clients built from pruned botocore models (collectors/botocore_models.py): only the declared operations,
every shape they need, and a cache that is used when sound and rebuilt when not."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore
import botocore.session
import pytest

from tests.conftest import ROOT
from trustctl.collectors.aws.clients import ClientFactory
from trustctl.collectors.aws.runner import declared_operations
from trustctl.collectors.botocore_models import (
    BUNDLE,
    PrunedLoader,
    build_bundle,
    prune,
    reachable_shapes,
    read_bundle,
)
from trustctl.config import AwsConfig


def _full(service: str) -> dict:
    return (
        botocore.session.get_session().get_component("data_loader").load_service_model(service, "service-2")
    )


def test_prune_keeps_declared_operations_and_every_shape_they_reach() -> None:
    allowed = declared_operations()
    full = _full("ec2")
    model = prune(full, allowed)
    assert set(model["operations"]) == {op.partition(":")[2] for op in allowed if op.startswith("ec2:")}
    roots = [s for op in model["operations"].values() for s in (op.get("input", {}).get("shape"),) if s]
    assert reachable_shapes(model["shapes"], roots) <= set(model["shapes"])  # nothing dangling
    for name, shape in model["shapes"].items():
        refs = [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
        refs += [m["shape"] for m in shape.get("members", {}).values()]
        assert all(ref in model["shapes"] for ref in refs), name
    assert len(model["shapes"]) < len(full["shapes"]) / 10
    assert "documentation" not in json.dumps(model["operations"]) + json.dumps(model["shapes"])
    assert model["metadata"] == full["metadata"]


def test_sso_admin_is_pruned_by_its_signing_name() -> None:
    allowed = declared_operations()
    model = prune(_full("sso-admin"), allowed)  # declared as sso:ListInstances, ...
    assert "ListInstances" in model["operations"]
    assert set(model["operations"]) == {op.partition(":")[2] for op in allowed if op.startswith("sso:")}


def test_factory_clients_have_only_the_declared_operations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUSTCTL_CACHE_DIR", str(tmp_path))
    factory = ClientFactory(AwsConfig(), allowed=["s3:ListBuckets", "s3:GetBucketPolicy"])
    client = factory.client(factory.base_session(), "s3", "us-east-1")
    assert sorted(client.meta.service_model.operation_names) == ["GetBucketPolicy", "ListBuckets"]
    assert not hasattr(client, "delete_bucket") and not hasattr(client, "get_object")
    assert hasattr(client, "list_buckets")
    assert len(list((tmp_path / "botocore-models").glob("s3-*.json"))) == 1


def _loader(cache: Path | None) -> PrunedLoader:
    return PrunedLoader(["iam:GetAccountSummary"], cache)


def test_the_cache_is_written_once_then_read(tmp_path: Path) -> None:
    first = _loader(tmp_path).load_service_model("iam", "service-2")
    (written,) = (tmp_path / "botocore-models").glob("iam-*.json")
    assert json.loads(written.read_bytes()) == first
    # A second process reads the file: make its content recognisable to prove it was read.
    marked = {**first, "metadata": {**first["metadata"], "serviceFullName": "from the cache"}}
    written.write_text(json.dumps(marked))
    assert (
        _loader(tmp_path).load_service_model("iam", "service-2")["metadata"]["serviceFullName"]
        == "from the cache"
    )
    # Other allowed operations are another cache entry, never the first one's model.
    other = PrunedLoader(["iam:GetAccountSummary", "iam:ListUsers"], tmp_path).load_service_model(
        "iam", "service-2"
    )
    assert set(other["operations"]) == {"GetAccountSummary", "ListUsers"}


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    good = _loader(tmp_path).load_service_model("iam", "service-2")
    (written,) = (tmp_path / "botocore-models").glob("iam-*.json")
    written.write_bytes(b'{"operations": {"GetAccountSum')  # cut short, as by a full disk
    assert _loader(tmp_path).load_service_model("iam", "service-2") == good
    assert json.loads(written.read_bytes()) == good


def test_no_cache_or_an_unwritable_one_still_prunes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert set(_loader(None).load_service_model("iam", "service-2")["operations"]) == {"GetAccountSummary"}
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert set(_loader(blocked).load_service_model("iam", "service-2")["operations"]) == {"GetAccountSummary"}
    monkeypatch.setenv("TRUSTCTL_CACHE_DIR", "")
    factory = ClientFactory(AwsConfig(), allowed=["iam:GetAccountSummary"])
    client = factory.client(factory.base_session(), "iam", "us-east-1")
    assert client.meta.service_model.operation_names == ["GetAccountSummary"]


def test_the_shipped_models_are_current_for_the_pinned_botocore() -> None:
    """botocore-models.json.gz is what `make models` writes for the botocore constraints.txt pins."""
    pinned = next(
        line.split("==")[1].strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.startswith("botocore==")
    )
    shipped = json.loads(gzip.decompress(BUNDLE.read_bytes()))
    assert shipped["botocore"] == pinned == botocore.__version__, "run `make models` after `make lock`"
    assert shipped == build_bundle(), "the shipped models are stale: run `make models`"
    assert "Apache License 2.0" in shipped["source"]


def test_the_shipped_models_serve_the_default_operations_only(tmp_path: Path) -> None:
    default = declared_operations()
    model = PrunedLoader(default, tmp_path).load_service_model("ec2", "service-2")
    assert model == read_bundle(BUNDLE, default)[f"ec2/{model['metadata']['apiVersion']}"]
    assert not (tmp_path / "botocore-models").exists()  # nothing to cache: it came with the package
    assert read_bundle(BUNDLE, default | {"iam:ListUsers"}) == {}  # other operations: not these models
    damaged = tmp_path / "damaged.json.gz"
    damaged.write_bytes(BUNDLE.read_bytes()[:100])
    assert read_bundle(damaged, default) == {}
    assert set(
        PrunedLoader(default, None, bundle=damaged).load_service_model("sts", "service-2")["operations"]
    ) == {
        "GetCallerIdentity",
        "AssumeRole",
    }
