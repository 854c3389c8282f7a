"""Shared fixtures: a real moto server on 127.0.0.1 (reset between tests) and a CLI runner that
starts `trustctl` as a subprocess pointed at it."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trustctl.demo.server import moto_server
from trustctl.evidence import signing
from trustctl.evidence.locker import Locker

ROOT = Path(__file__).resolve().parent.parent


# Modules that build a whole demo or an organization: started first, so that with pytest-xdist
# (`--dist loadfile`, one module per worker) the longest ones never start last and end the run alone.
HEAVY_FIRST = (
    "test_packet.py",
    "test_cli.py",
    "test_trust_site.py",
    "test_ci_action.py",
    "test_demo_history.py",
    "test_collect_aws.py",
    "test_fault_matrix.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return HEAVY_FIRST.index(name) if name in HEAVY_FIRST else len(HEAVY_FIRST)

    items.sort(key=rank)  # stable: each module keeps its own order


def pytest_configure(config: pytest.Config) -> None:
    """One sample seed per session, chosen before pytest-xdist starts its workers (they inherit this
    environment), so every worker collects the same sampled fault cases and sweeps the same bytes."""
    for name in ("TRUSTCTL_FAULT_SEED", "TRUSTCTL_SWEEP_SEED"):
        if not os.environ.get(name):
            os.environ[name] = str(random.SystemRandom().randrange(10**6))
    # Pruned botocore models (collectors/botocore_models.py) are cached for this session only, shared by
    # the workers; the user's own cache is never touched by the tests.
    if "TRUSTCTL_CACHE_DIR" not in os.environ:
        os.environ["TRUSTCTL_CACHE_DIR"] = tempfile.mkdtemp(prefix="trustctl-test-cache-")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    # The shim answers the AWS Backup operations moto lacks (as an account without backups would);
    # everything else is moto. Collector tests for those operations use botocore's Stubber.
    with moto_server(backup_shim=True) as endpoint:
        yield endpoint


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A clean moto server for this test; this process's AWS SDK points at it. Reset before the test
    only: the next test resets again, so teardown has nothing to wait on."""
    _post(moto_endpoint + "/moto-api/reset")
    yield moto_endpoint


def _post(url: str, body: dict[str, object] | None = None) -> None:
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()


@pytest.fixture
def post() -> Callable[..., None]:
    return _post


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Ran]:
    """Run `trustctl ARGS` in tmp_path as a new process, with this process's AWS environment."""

    def run(
        *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: int = 120
    ) -> Ran:
        full_env = {**os.environ, **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "trustctl.cli", *args],
            cwd=cwd or tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Ran(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def project(tmp_path: Path, cli: Callable[..., Ran]) -> Path:
    """An initialised trustctl project in tmp_path with one region configured."""
    result = cli("init", "--org", "Test Co")
    assert result.code == 0, result.stderr
    config = tmp_path / "trustctl.toml"
    config.write_text(
        config.read_text().replace('# regions = ["eu-west-1", "us-east-1"]', 'regions = ["us-east-1"]')
    )
    return tmp_path


# A signing key and an empty locker (the locker tests).
@pytest.fixture
def key(tmp_path: Path) -> signing.Ed25519PrivateKey:
    return signing.create_key(tmp_path / "key.pem")


@pytest.fixture
def locker(tmp_path: Path, key: signing.Ed25519PrivateKey) -> Locker:
    return Locker.create(tmp_path / "locker", key)
