"""The evidence locker: content addressing, signed chained manifests, and verification that names
every object or run that was changed, removed or reordered."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trustctl.errors import LockerError, NoEvidenceError
from trustctl.evidence import signing
from trustctl.evidence.compress import gzip_bytes
from trustctl.evidence.locker import Locker
from trustctl.evidence.records import Call, CallError
from trustctl.evidence.verify import verify_locker

T = datetime(2026, 11, 24, tzinfo=UTC)


def call(op: str, account: str = "111111111111") -> Call:
    return Call(provider="aws", account=account, region="global", service="iam", operation=op)


def write_run(locker: Locker, key: signing.Ed25519PrivateKey, payloads: dict[str, object]) -> str:
    writer = locker.begin_run(key, "Test", "sha256:cfg")
    for op, data in payloads.items():
        writer.record_response(call(op), data, T)
    writer.record_error(call("GetAccountSummary"), CallError(code="AccessDenied", message="no"), T)
    return writer.commit(["aws"]).run_id


def test_key_is_private_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    signing.create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        signing.create_key(path)


def test_identical_responses_are_stored_once(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    response = {"Users": [{"UserName": "a", "CreateDate": T}], "ResponseMetadata": {"RequestId": "1"}}
    write_run(locker, key, {"ListUsers": response})
    again = {**response, "ResponseMetadata": {"RequestId": "2"}}  # transport metadata differs
    first = locker.latest_run()
    write_run(locker, key, {"ListUsers": again})
    second = locker.latest_run()
    assert second.evidence == first.evidence and second.request_list == first.request_list
    # On disk: the response and the request list once, and each run's times.
    assert len(list(locker.iter_object_paths())) == 2 + len({first.times, second.times})
    [digest] = second.evidence
    assert locker.get_object(digest) == {"Users": [{"UserName": "a", "CreateDate": "2026-11-24T00:00:00Z"}]}


def test_secret_fields_never_reach_the_locker(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    write_run(
        locker,
        key,
        {
            "AssumeRole": {
                "Credentials": {"AccessKeyId": "AKIA", "SecretAccessKey": "s3cr3t", "SessionToken": "t0k3n"}
            }
        },
    )
    for path in locker.iter_object_paths():
        text = gzip.decompress(path.read_bytes()).decode()
        assert "s3cr3t" not in text and "t0k3n" not in text


def test_manifest_records_every_request_and_chains(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    first = write_run(locker, key, {"ListUsers": {"Users": []}})
    second = write_run(locker, key, {"ListUsers": {"Users": [1]}})
    m1, m2 = locker.find_run(first), locker.find_run(second)
    assert (m1.sequence, m2.sequence) == (1, 2)
    assert m1.previous is None and m2.previous == locker.manifest_digest(first)
    assert [r.call.operation for r in m2.requests] == ["GetAccountSummary", "ListUsers"]
    assert m2.errors[0].error is not None and m2.errors[0].error.code == "AccessDenied"
    report = verify_locker(locker)
    assert report.ok and report.runs == 2 and report.head == locker.manifest_digest(second)


def _tamper_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_verify_names_a_changed_object(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    write_run(locker, key, {"ListUsers": {"Users": ["a"] * 50}})
    [path] = [locker.object_path(d) for d in locker.latest_run().evidence]
    # Change one byte of the content (re-compressed, so the file still reads).
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[5] ^= 0x01
    path.write_bytes(gzip_bytes(bytes(content)))
    problems = verify_locker(locker).problems
    rel = str(path.relative_to(locker.root))
    assert any(p.startswith(rel) and "does not match its hash" in p for p in problems)
    assert any("is missing or changed" in p for p in problems)
    with pytest.raises(LockerError, match="does not match its hash"):
        locker.get_object(next(iter(locker.latest_run().evidence)))


def test_verify_names_a_damaged_object_file(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    write_run(locker, key, {"ListUsers": {"Users": []}})
    [path] = [locker.object_path(d) for d in locker.latest_run().evidence]
    _tamper_byte(path)
    assert any(str(path.relative_to(locker.root)) in p for p in verify_locker(locker).problems)


def test_verify_names_a_changed_manifest(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    run_id = write_run(locker, key, {"ListUsers": {"Users": []}})
    path = locker.root / "runs" / run_id / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b'"organization":"Test"', b'"organization":"Tost"'))
    problems = verify_locker(locker).problems
    assert problems == [f"runs/{run_id}: manifest signature does not verify (manifest or signature changed)"]
    with pytest.raises(LockerError, match="signature does not verify"):
        locker.latest_run()


def test_verify_names_a_deleted_object(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    run_id = write_run(locker, key, {"ListUsers": {"Users": []}, "ListRoles": {"Roles": []}})
    victim = next(iter(locker.iter_object_paths()))
    digest = "sha256:" + victim.parent.name + victim.name.removesuffix(".json.gz")
    victim.unlink()
    assert verify_locker(locker).problems == [
        f"runs/{run_id}: evidence object {digest} is missing or changed"
    ]


def test_verify_names_a_reordered_chain(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    runs = [write_run(locker, key, {"ListUsers": {"Users": [i]}}) for i in range(3)]
    a, b = (locker.root / "runs" / r for r in runs[:2])
    # Swap the first two runs' manifests and signatures between their directories.
    tmp = locker.root / "swap"
    shutil.move(a, tmp)
    shutil.move(b, a)
    shutil.move(tmp, b)
    problems = verify_locker(locker).problems
    assert f"runs/{runs[0]}: manifest names run {runs[1]} (moved or reordered)" in problems
    assert f"runs/{runs[1]}: manifest names run {runs[0]} (moved or reordered)" in problems
    assert any(p.startswith(f"runs/{runs[2]}:") and "chain" in p for p in problems)


def test_verify_names_a_removed_run(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    runs = [write_run(locker, key, {"ListUsers": {"Users": [i]}}) for i in range(3)]
    shutil.rmtree(locker.root / "runs" / runs[1])
    problems = verify_locker(locker).problems
    assert any(p.startswith(f"runs/{runs[2]}: chain position 3, expected 2") for p in problems)


def test_a_foreign_key_does_not_verify(
    locker: Locker, key: signing.Ed25519PrivateKey, tmp_path: Path
) -> None:
    run_id = write_run(locker, key, {"ListUsers": {"Users": []}})
    other = signing.create_key(tmp_path / "other.pem")
    (locker.root / "public-key.pem").write_bytes(signing.public_pem(other))
    assert f"runs/{run_id}: manifest signature does not verify (manifest or signature changed)" in (
        verify_locker(locker).problems
    )


def test_incomplete_run_is_noted_and_never_assessed(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    done = write_run(locker, key, {"ListUsers": {"Users": []}})
    writer = locker.begin_run(key, "Test", "sha256:cfg")
    writer.record_response(call("ListRoles"), {"Roles": []}, T)
    writer.close()  # the process "died" before commit
    report = verify_locker(locker)
    assert report.ok and report.notes == [
        f"runs/{writer.run_id}: incomplete run (no manifest); never assessed",
        "1 object(s) no signed run names, written by interrupted runs",
    ]
    assert locker.latest_run().run_id == done
    # The next run chains to the last complete one.
    nxt = write_run(locker, key, {"ListUsers": {"Users": [2]}})
    assert locker.find_run(nxt).previous == locker.manifest_digest(done)


def test_one_writer_at_a_time(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    first = locker.begin_run(key, "Test", "sha256:cfg")
    with pytest.raises(LockerError, match="another trustctl run"):
        locker.begin_run(key, "Test", "sha256:cfg")
    first.close()


def test_index_is_rebuilt_when_lost_or_damaged(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    runs = [write_run(locker, key, {"ListUsers": {"Users": [i]}}) for i in range(2)]
    (locker.root / "index.sqlite").write_bytes(b"not a database")
    assert locker.latest_run().run_id == runs[-1]
    (locker.root / "index.sqlite").unlink()
    assert locker.latest_run().run_id == runs[-1]


def test_empty_and_missing_lockers(tmp_path: Path, locker: Locker) -> None:
    with pytest.raises(NoEvidenceError, match="no complete run"):
        locker.latest_run()
    with pytest.raises(LockerError, match="not a trustctl locker"):
        Locker.open(tmp_path / "nowhere")


def test_manifest_is_canonical_json(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    run_id = write_run(locker, key, {"ListUsers": {"Users": []}})
    raw = (locker.root / "runs" / run_id / "manifest.json").read_bytes()
    assert raw == json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":")).encode()


def test_run_directories_come_from_the_locker(locker: Locker, key: signing.Ed25519PrivateKey) -> None:
    """Code outside trustctl/evidence asks the locker where a run is instead of rebuilding runs/ itself."""
    run_id = write_run(locker, key, {"ListUsers": {"Users": []}})
    assert locker.run_dir(run_id) == locker.root / "runs" / run_id == locker.runs_dir / run_id
    assert locker.run_dir(run_id).is_dir() and not locker.run_dir("20990101T000000Z-000000").exists()
    assert [e.run_id for e in locker.run_entries()] == [run_id]
    # verify opens a locker that lost its marker (and names the loss); a folder with no runs/ is refused.
    (locker.root / "LOCKER").unlink()
    assert Locker.for_verify(locker.root).root == locker.root
    with pytest.raises(LockerError, match="not a trustctl locker"):
        Locker.for_verify(locker.root / "runs" / run_id)
