"""Verification with no blind spots: every change to a stored byte of a small locker, every added, removed or
replaced file, a rollback (with a head recorded elsewhere), a re-signing (with the key recorded elsewhere)
and an edited index is a finding that names the file or run; none crashes, none verifies clean.

`make test` flips a seeded sample of byte positions in every kind of file (seed printed); `make test-deep`
(TRUSTCTL_SWEEP_ALL=1) flips every byte of every file.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trustctl.evidence import index, manifests, signing
from trustctl.evidence.canonical import canonical_bytes, sha256_hex
from trustctl.evidence.compress import gzip_bytes
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call, CallError
from trustctl.evidence.verify import VerifyReport, verify_locker

T = datetime(2026, 11, 1, tzinfo=UTC)
SWEEP_ALL = os.environ.get("TRUSTCTL_SWEEP_ALL") == "1"
SEED = int(os.environ.get("TRUSTCTL_SWEEP_SEED", random.SystemRandom().randrange(10**6)))
PER_FILE = 6  # byte positions flipped per file in the sampled sweep


def _call(op: str, page: int = 1) -> Call:
    return Call(
        provider="aws", account="111111111111", region="eu-west-1", service="rds", operation=op, page=page
    )


def _run(locker: Locker, key: signing.Ed25519PrivateKey, day: int) -> str:
    writer = locker.begin_run(key, "Test", "sha256:cfg")
    for i in range(3):
        writer.record_response(
            _call("DescribeDBSnapshots", i + 1), {"Snapshots": [{"Id": f"s{i}", "Day": 0}]}, T
        )
    writer.record_response(_call("DescribeDBInstances"), {"DBInstances": [{"Id": "db", "Day": day}]}, T)
    writer.record_error(_call("DescribeDBClusters"), CallError(code="AccessDenied", message="no"), T)
    return writer.commit(["aws"]).run_id


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A small locker with loose objects and a pack, three runs and an index; and its signing key's file."""
    root = tmp_path_factory.mktemp("template")
    key = signing.create_key(root / "key.pem")
    locker = Locker.create(root / "locker", key)
    _run(locker, key, 1)
    _run(locker, key, 2)
    locker.pack(force=True)
    _run(locker, key, 3)  # loose again
    assert verify_locker(Locker.open(locker.root)).ok
    return locker.root, str(root / "key.pem")


@pytest.fixture
def copy(template: tuple[Path, str], tmp_path: Path) -> Path:
    shutil.copytree(template[0], tmp_path / "locker")
    return tmp_path / "locker"


def _verify(root: Path, **anchors: object) -> VerifyReport:
    return verify_locker(Locker(root), **anchors)  # type: ignore[arg-type]


def _kinds(root: Path) -> dict[str, list[Path]]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name not in ("index.sqlite", ".lock"))
    kinds: dict[str, list[Path]] = {}
    for path in files:
        rel = path.relative_to(root).as_posix()
        kind = (
            "pack"
            if rel.endswith(".tar.xz")
            else "pack index"
            if rel.endswith(".idx")
            else "object"
            if rel.startswith("objects/")
            else path.name
        )
        kinds.setdefault(kind, []).append(path)
    return kinds


def _names(problem_target: str, report: VerifyReport) -> bool:
    return any(p.startswith(problem_target) for p in report.problems)


def _target(root: Path, path: Path) -> str:
    """What a finding about `path` starts with: the file, or for a run's manifest and signature, the run."""
    rel = path.relative_to(root).as_posix()
    if rel.startswith("runs/") and path.name in ("manifest.json", "manifest.json.sig"):
        return rel.rsplit("/", 1)[0]
    return rel


def _positions(size: int, rng: random.Random) -> list[int]:
    if SWEEP_ALL:
        return list(range(size))
    return sorted({0, size - 1, *rng.sample(range(size), min(size, PER_FILE))})


def test_every_byte_of_every_kind_of_file_is_covered(template: tuple[Path, str], tmp_path: Path) -> None:
    print(f"sweep seed {SEED} (TRUSTCTL_SWEEP_SEED), all positions: {SWEEP_ALL}")
    rng = random.Random(SEED)
    root = tmp_path / "locker"
    shutil.copytree(template[0], root)
    kinds = _kinds(root)
    assert set(kinds) >= {
        "object",
        "pack",
        "pack index",
        "manifest.json",
        "manifest.json.sig",
        "started.json",
        "LOCKER",
        "public-key.pem",
    }
    missed: list[str] = []
    for kind, paths in sorted(kinds.items()):
        for path in paths if SWEEP_ALL else rng.sample(paths, min(2, len(paths))):
            original = path.read_bytes()
            target = _target(root, path)
            for position in _positions(len(original), rng):
                changed = bytearray(original)
                changed[position] ^= rng.randrange(1, 256)
                path.write_bytes(bytes(changed))
                report = _verify(root)
                if not _names(target, report) and not (kind == "LOCKER" and _names("runs/", report)):
                    missed.append(f"{target} byte {position}: {report.problems}")
            path.write_bytes(original)
    assert _verify(root).ok
    assert missed == []


@pytest.mark.parametrize("change", ["truncate", "append", "empty", "delete", "directory"])
def test_truncated_appended_emptied_deleted_or_replaced_files(copy: Path, change: str) -> None:
    rng = random.Random(SEED)
    for kind, paths in sorted(_kinds(copy).items()):
        path = rng.choice(paths)
        original = path.read_bytes()
        if change == "truncate":
            path.write_bytes(original[: rng.randrange(len(original))])
        elif change == "append":
            path.write_bytes(original + b"\0" * rng.randrange(1, 64))
        elif change == "empty":
            path.write_bytes(b"")
        elif change == "delete":
            path.unlink()
        else:
            path.unlink()
            path.mkdir()
        report = _verify(copy)
        target = _target(copy, path)
        if kind == "pack index" and change == "delete":
            assert report.ok  # derived from its pack: rebuilt when missing, as DESIGN says of derived data
        else:
            assert report.problems, f"{kind} {target}: {change} verified clean"
            named = _names(target, report) or (kind == "LOCKER" and _names("runs/", report))
            named = named or (change == "delete" and kind in ("object", "pack") and _names("runs/", report))
            assert named, f"{kind} {target} ({change}) not named: {report.problems}"
        if change == "directory":
            path.rmdir()
        path.write_bytes(original)
    assert _verify(copy).ok


def _in_chain_order(root: Path) -> list[Path]:
    """Run directories by their signed sequence (run ids of the same second do not sort in order)."""
    complete = [p for p in (root / "runs").iterdir() if (p / "manifest.json").is_file()]
    return sorted(complete, key=lambda p: manifests.header_of((p / "manifest.json").read_bytes()).sequence)


def _latest(root: Path) -> Path:
    return _in_chain_order(root)[-1]


def test_additions_are_findings(copy: Path) -> None:
    run = _latest(copy)
    additions: list[tuple[Path, bytes]] = [
        (copy / "notes.txt", b"x"),
        (run / "extra.json", b"{}"),
        (copy / "objects" / "pack" / "pack-00.tar.xz.bak", b"x"),
    ]
    content = canonical_bytes({"planted": True})
    digest = sha256_hex(content)
    planted = copy / "objects" / digest[:2] / f"{digest[2:]}.json.gz"
    additions.append((planted, gzip_bytes(content)))
    for path, data in additions:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        report = _verify(copy)
        assert _names(path.relative_to(copy).as_posix(), report), (path, report.problems)
        path.unlink()
    # A run directory holding only started.json, older than the head: no signed run accounts for it.
    fake = copy / "runs" / "20200101T000000Z-abcdef"
    fake.mkdir()
    (fake / "started.json").write_bytes(
        canonical_bytes({"run_id": fake.name, "started_at": "2020-01-01T00:00:00Z"})
    )
    assert _names("runs/20200101T000000Z-abcdef", _verify(copy))
    shutil.rmtree(fake)
    assert _verify(copy).ok


def test_an_interrupted_run_is_recorded_by_the_next_and_never_a_finding(
    template: tuple[Path, str], copy: Path
) -> None:
    key = signing.load_private_key(Path(template[1]))
    locker = Locker.open(copy)
    writer = locker.begin_run(key, "Test", "sha256:cfg")
    writer.record_response(_call("DescribeDBInstances"), {"DBInstances": [{"Id": "lost"}]}, T)
    writer.close()  # killed before its manifest
    report = _verify(copy)
    assert report.ok and any("incomplete run" in n for n in report.notes)
    _run(locker, key, 9)
    report = _verify(copy)
    assert report.ok and any("recorded by the next run" in n for n in report.notes)
    assert locker.read_manifest(_latest(copy).name).abandoned == [writer.run_id]


def test_rollbacks_are_caught_with_a_recorded_head(copy: Path) -> None:
    head = _verify(copy).head
    assert head is not None
    runs = _in_chain_order(copy)
    # Only the newest manifest removed (the signature stays, as it is written first).
    (runs[-1] / "manifest.json").unlink()
    # The index lists a run only once its manifest is written, so it tells this from a run killed between
    # its signature and its manifest; verify never rebuilds it away while the finding stands.
    for _ in range(2):
        assert _names(f"runs/{runs[-1].name}: its manifest is missing", _verify(copy))
    (copy / "index.sqlite").unlink()  # without the index, only a recorded head tells
    assert _verify(copy).ok
    report = _verify(copy, head=head, min_runs=3)
    assert _names("runs: the recorded head", report) and _names("runs: 2 complete runs", report)
    # The newest run, then the last two, then every run.
    shutil.rmtree(runs[-1])
    assert _names("runs: the recorded head", _verify(copy, head=head))
    shutil.rmtree(runs[-2])
    assert _names("runs: 1 complete runs, fewer than the 3", _verify(copy, min_runs=3))
    shutil.rmtree(runs[0])
    report = _verify(copy, head=head)
    assert _names("runs: the recorded head", report) and _names("objects/", report)  # evidence left unnamed


def _resign(root: Path, key: signing.Ed25519PrivateKey, organization: str) -> None:
    """What an insider with a key of their own would do: re-sign and re-chain every manifest."""
    (root / "public-key.pem").write_bytes(signing.public_pem(key))
    locker = Locker(root)
    previous = None
    for run in _in_chain_order(root):
        header = manifests.header_of((run / "manifest.json").read_bytes()).model_dump()
        header.update(previous=previous, organization=organization, key=signing.fingerprint(key.public_key()))
        data = canonical_bytes(header)
        (run / "manifest.json").write_bytes(data)
        (run / "manifest.json.sig").write_bytes(signing.sign(key, data))
        previous = "sha256:" + sha256_hex(data)
    index.rebuild(locker, index.chain(locker))


def test_resigning_with_another_key_fails_against_the_trusted_key(
    template: tuple[Path, str], copy: Path
) -> None:
    original = signing.fingerprint(signing.load_private_key(Path(template[1])).public_key())
    _resign(copy, signing.create_key(copy.parent / "insider.pem"), "Renamed Co")
    assert _verify(copy).ok  # self-consistent: only an anchor kept elsewhere can tell
    report = _verify(copy, trusted=[original])
    assert _names("public-key.pem", report)
    assert sum(p.startswith("runs/") and "not a trusted key" in p for p in report.problems) == 3


def test_resigning_with_the_lockers_own_key_fails_against_a_recorded_head(
    template: tuple[Path, str], copy: Path
) -> None:
    head = _verify(copy).head
    _resign(copy, signing.load_private_key(Path(template[1])), "Renamed Co")
    report = _verify(copy, head=head)
    assert _names("runs: the recorded head", report)


def test_an_edited_index_is_found_repaired_and_never_believed(copy: Path) -> None:
    locker = Locker.open(copy)
    latest = locker.latest_by_provider()
    with sqlite3.connect(copy / "index.sqlite") as conn:
        conn.execute("UPDATE runs SET providers = '[\"documents\"]' WHERE sequence = 3")
    assert Locker.open(copy).latest_by_provider() == latest  # readers go by the signed manifests
    report = _verify(copy)
    assert _names("index.sqlite: row for run", report)
    assert _verify(copy).ok  # repaired
    (copy / "index.sqlite").write_bytes(b"not a database at all")
    assert _names("index.sqlite: cannot be read", _verify(copy)) and _verify(copy).ok


@pytest.mark.parametrize(
    "damage",
    ["manifest is a directory", "run is a file", "marker removed", "object is a directory", "runs is a file"],
)
def test_damage_is_exit_5_naming_the_file_never_exit_1(copy: Path, damage: str) -> None:
    run = _latest(copy)
    if damage == "manifest is a directory":
        (run / "manifest.json").unlink()
        (run / "manifest.json").mkdir()
        named = f"runs/{run.name}"
    elif damage == "run is a file":
        shutil.rmtree(run)
        run.write_bytes(b"x")
        named = f"runs/{run.name}"
    elif damage == "marker removed":
        (copy / "LOCKER").unlink()
        named = "LOCKER"
    elif damage == "object is a directory":
        victim = next(p for p in (copy / "objects").glob("*/*.json.gz"))
        victim.unlink()
        victim.mkdir()
        named = victim.relative_to(copy).as_posix()
    else:
        shutil.rmtree(copy / "runs")
        (copy / "runs").write_bytes(b"x")
        named = "runs"
    ran = subprocess.run(
        [sys.executable, "-m", "trustctl.cli", "verify", str(copy)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 5, ran.stdout + ran.stderr
    assert f"FAILED {named}" in ran.stdout and "unexpected error" not in ran.stderr


def test_the_cli_takes_the_anchors(template: tuple[Path, str], copy: Path) -> None:
    fingerprint = signing.fingerprint(signing.load_private_key(Path(template[1])).public_key())
    head = _verify(copy).head
    assert head is not None

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trustctl.cli", "verify", str(copy), *args],
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert cli("--key", fingerprint, "--head", head, "--min-runs", "3").returncode == 0
    other = signing.create_key(copy.parent / "other.pem")
    wrong = cli("--key", signing.fingerprint(other.public_key()))
    assert wrong.returncode == 5 and "not a trusted key" in wrong.stdout
    shutil.rmtree(_latest(copy))
    rolled = cli("--head", head)
    assert rolled.returncode == 5 and "FAILED runs: the recorded head" in rolled.stdout
