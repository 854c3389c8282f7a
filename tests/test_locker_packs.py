"""Manifests as signed headers over request-list and times objects, and packs of small objects: the locker
grows with change, reads and verifies the same whether objects are loose or packed, names a damaged
pack, and can be checked by hand with tar and sha256sum."""

from __future__ import annotations

import gzip
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustctl.errors import LockerError
from trustctl.evidence import index, signing
from trustctl.evidence.canonical import canonical_bytes, sha256_hex
from trustctl.evidence.locker import MANIFEST, SIGNATURE, Locker
from trustctl.evidence.records import Call, CallError
from trustctl.evidence.verify import verify_locker

T = datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=UTC)


def call(op: str, page: int = 1) -> Call:
    return Call(
        provider="aws", account="111111111111", region="eu-west-1", service="rds", operation=op, page=page
    )


def daily_run(locker: Locker, key: signing.Ed25519PrivateKey, day: int, unchanged: int = 20) -> str:
    """Unchanged responses and one whose timestamp moves every day, as RDS's does."""
    writer = locker.begin_run(key, "Test", "sha256:cfg")
    for i in range(unchanged):
        snapshots = [{"Id": f"s{i}-{j}", "Encrypted": j % 2 == 0, "Engine": "postgres"} for j in range(8)]
        writer.record_response(call("DescribeDBSnapshots", page=i + 1), {"Snapshots": snapshots}, T)
    latest = {"DBInstances": [{"Id": "db", "LatestRestorableTime": (T + timedelta(days=day)).isoformat()}]}
    writer.record_response(call("DescribeDBInstances"), latest, T + timedelta(seconds=day, microseconds=7))
    writer.record_error(call("DescribeDBClusters"), CallError(code="AccessDenied", message="no"), T)
    return writer.commit(["aws"]).run_id


def snapshot(locker: Locker) -> list[tuple[str, list[tuple[str, str, str | None, object]]]]:
    """Every run's requests with their times and the content of their objects."""
    out = []
    for entry in locker.run_entries():
        manifest = locker.read_manifest(entry.run_id)
        requests = [
            (r.call.operation, r.observed_at, r.error.code if r.error else None, locker.get_object(r.object))
            if r.object
            else (r.call.operation, r.observed_at, r.error.code if r.error else None, None)
            for r in manifest.requests
        ]
        out.append((entry.run_id, requests))
    return out


def test_a_manifest_is_a_small_signed_header_over_its_lists(
    locker: Locker, key: signing.Ed25519PrivateKey
) -> None:
    run_id = daily_run(locker, key, 1)
    raw = (locker.root / "runs" / run_id / MANIFEST).read_bytes()
    header = json.loads(raw)
    assert header["format"] == 2 and header["request_count"] == 22 and len(raw) < 1024
    manifest = locker.read_manifest(run_id)
    assert manifest.request_list == header["requests"] and manifest.times == header["times"]
    assert manifest.objects == manifest.evidence | {header["requests"], header["times"]}
    # Times survive exactly, microseconds included.
    [rds] = [r for r in manifest.requests if r.call.operation == "DescribeDBInstances"]
    assert rds.observed_at == "2026-11-24T09:00:01.123463Z"


def test_unchanged_runs_share_their_request_list(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    writer_runs = []
    for _ in range(2):
        writer = locker.begin_run(key, "Test", "sha256:cfg")
        writer.record_response(call("DescribeDBSnapshots"), {"Snapshots": []}, T)
        writer_runs.append(writer.commit(["aws"]))
    assert writer_runs[0].request_list == writer_runs[1].request_list


def test_a_changed_request_list_is_named(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    run_id = daily_run(locker, key, 1)
    digest = locker.read_manifest(run_id).request_list
    assert digest is not None
    path = locker.object_path(digest)
    entries = json.loads(gzip.decompress(path.read_bytes()))
    entries[0]["object"] = entries[1]["object"]  # point a request at another response
    path.write_bytes(gzip.compress(canonical_bytes(entries)))
    problems = verify_locker(locker).problems
    assert f"runs/{run_id}: evidence object {digest} is missing or changed" in problems
    with pytest.raises(LockerError, match=r"request list object .* does not match its hash"):
        locker.read_manifest(run_id)


def test_format_1_manifests_are_still_read(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    digest = locker.put_object({"Snapshots": []})
    run = locker.root / "runs" / "20250101T000000Z-abcdef"
    run.mkdir()
    old = {
        "format": 1,
        "run_id": run.name,
        "sequence": 1,
        "previous": None,
        "tool": {"name": "trustctl", "version": "0.1.0"},
        "organization": "Test",
        "config": "sha256:cfg",
        "key": signing.fingerprint(key.public_key()),
        "started_at": "2025-01-01T00:00:00Z",
        "completed_at": "2025-01-01T00:00:01Z",
        "providers": ["aws"],
        "requests": [
            {
                "call": call("DescribeDBSnapshots").model_dump(),
                "observed_at": "2025-01-01T00:00:00Z",
                "object": digest,
            }
        ],
    }
    data = canonical_bytes(old)
    (run / "started.json").write_bytes(canonical_bytes({"run_id": run.name, "started_at": old["started_at"]}))
    (run / SIGNATURE).write_bytes(signing.sign(key, data))
    (run / MANIFEST).write_bytes(data)
    manifest = locker.read_manifest(run.name)
    index.record(locker, manifest, "sha256:" + sha256_hex(data))  # as the version that wrote it did
    assert manifest.format == 1 and manifest.evidence == {digest} and manifest.request_list is None
    nxt = daily_run(locker, key, 1)  # a format 2 run chains to it
    assert locker.read_manifest(nxt).previous == "sha256:" + sha256_hex(data)
    assert verify_locker(locker).ok


def test_packing_keeps_every_object_readable_and_verified(
    locker: Locker, key: signing.Ed25519PrivateKey
) -> None:
    for day in range(5):
        daily_run(locker, key, day)
    before = snapshot(locker)
    loose = len(list(locker.iter_object_paths()))
    assert locker.pack(force=True)
    assert list(locker.iter_object_paths()) == [] and len(locker.packs.packs()) == 1
    fresh = Locker.open(locker.root)  # another process, reading only packs
    assert snapshot(fresh) == before
    report = verify_locker(fresh)
    assert report.ok and report.objects == loose and report.runs == 5
    # A new run stores only what changed: the known objects are found in the pack.
    daily_run(fresh, key, 5)
    new = {p.parent.name + p.name.removesuffix(".json.gz") for p in fresh.iter_object_paths()}
    latest = fresh.latest_run()
    [rds] = [r.object for r in latest.requests if r.call.operation == "DescribeDBInstances"]
    assert new == {d.removeprefix("sha256:") for d in (rds, latest.request_list, latest.times) if d}


def test_packs_merge_and_loose_objects_pack_automatically(
    locker: Locker, key: signing.Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Locker, "pack_loose_at", 6)
    monkeypatch.setattr(Locker, "pack_merge_at", 3)
    for day in range(12):
        daily_run(locker, key, day)
    assert len(locker.packs.packs()) < 3 and len(list(locker.iter_object_paths())) < 6
    assert verify_locker(Locker.open(locker.root)).ok
    assert len(snapshot(Locker.open(locker.root))) == 12


def test_the_locker_grows_with_change_not_with_runs(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    """60 daily runs of 200 responses, one of which changes daily: under 3x one run's evidence."""
    run_id = daily_run(locker, key, 0, unchanged=200)
    one_run = sum(len(locker.read_object_bytes(d)) for d in locker.read_manifest(run_id).objects)
    one_run += sum(p.stat().st_size for p in (locker.root / "runs" / run_id).iterdir())
    for day in range(1, 60):
        daily_run(locker, key, day, unchanged=200)
    size = sum(p.stat().st_size for p in locker.root.rglob("*") if p.is_file() and p.name != "index.sqlite")
    assert size < 3 * one_run


def test_a_damaged_pack_is_named(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    run_id = daily_run(locker, key, 0)
    locker.pack(force=True)
    [pack] = locker.packs.packs()
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pack.write_bytes(bytes(data))
    fresh = Locker.open(locker.root)
    problems = verify_locker(fresh).problems
    assert any(p.startswith(f"objects/pack/{pack.name}: stored bytes do not verify") for p in problems)
    assert any(p.startswith(f"runs/{run_id}: evidence object") for p in problems)
    with pytest.raises(LockerError, match=f"{pack.name}: evidence pack cannot be read"):
        fresh.read_manifest(run_id)


def test_a_lost_pack_index_is_rebuilt(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    daily_run(locker, key, 0)
    locker.pack(force=True)
    before = snapshot(locker)
    [pack] = locker.packs.packs()
    locker.packs.index_path(pack).unlink()
    fresh = Locker.open(locker.root)
    assert snapshot(fresh) == before and locker.packs.index_path(pack).exists()


def test_a_pack_checks_by_hand(locker: Locker, key: signing.Ed25519PrivateKey, tmp_path: Path) -> None:
    """The README's check: unpack with tar, and every file's SHA-256 is its path without the slash."""
    daily_run(locker, key, 0)
    locker.pack(force=True)
    [pack] = locker.packs.packs()
    out = tmp_path / "unpacked"
    out.mkdir()
    subprocess.run(["tar", "-xJf", str(pack), "-C", str(out)], check=True)
    script = 'for f in */*; do echo "${f%%/*}${f#*/}  $f"; done | sha256sum -c --quiet'
    assert subprocess.run(["bash", "-c", script], cwd=out).returncode == 0
    victim = next(out.glob("*/*"))
    victim.write_bytes(victim.read_bytes() + b" ")
    assert subprocess.run(["bash", "-c", script], cwd=out, capture_output=True).returncode != 0


def test_reading_one_run_keeps_its_objects_not_the_whole_pack(
    locker: Locker, key: signing.Ed25519PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `want` (what the assessment does for the run it reads), a pack read keeps the wanted members
    in memory, not the locker's whole history; an object it did not keep is still read (the pack again,
    whole), and every byte is the same either way. A pack first read before any `want` is kept whole."""
    for day in range(6):
        daily_run(locker, key, day)
    assert locker.pack(force=True)
    everything = {h for pack in locker.packs.packs() for h in locker.packs.sizes(pack)}
    streamed: list[Path] = []
    members = Locker.open(locker.root).packs.members
    fresh = Locker.open(locker.root)
    monkeypatch.setattr(fresh.packs, "members", lambda pack: (streamed.append(pack), members(pack))[1])
    # The run's own objects, as the assessment names them before it reads any (here, from another reader).
    wanted = [r.object for r in locker.latest_run().requests if r.object]
    fresh.want(wanted)
    assert [fresh.get_object(d) for d in wanted] == [locker.get_object(d) for d in wanted]
    [(kept, complete)] = fresh.packs._cache.values()
    assert set(kept) == {d.removeprefix("sha256:") for d in wanted} and not complete
    assert len(kept) < len(everything) and len(streamed) == 1
    # An object of an earlier run, not wanted: read from the whole pack, the second and last stream.
    older = next(h for h in everything if h not in kept)
    assert fresh.read_object_bytes("sha256:" + older) == locker.read_object_bytes("sha256:" + older)
    assert snapshot(fresh) == snapshot(locker) and len(streamed) == 2
