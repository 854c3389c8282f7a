"""Offline verification of packet.zip: SHA256SUMS and its signature, every file's hash, every manifest's
signature and chain link, every evidence object against its name; and, given a trusted public key, that
the packet was signed with it. Each problem names the file: changed, added or removed.

The archive is read strictly before any member is believed, so that what is verified is what any unzip
tool extracts: every byte belongs to a member (its local header, name and data), the central directory
or its end record; each local header repeats its central directory entry; each member is stored or
deflated, never encrypted, and its deflate stream ends exactly at its compressed size with its declared
size and CRC-32. A member that fails is a finding naming it, and the other members are still checked.
"""

from __future__ import annotations

import stat
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trustctl.errors import ManifestError
from trustctl.evidence import manifests, signing
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.locker import MANIFEST, PUBLIC_KEY, SIGNATURE
from trustctl.evidence.records import Manifest, ManifestHeader, RunInfo
from trustctl.packet.bundle import EVIDENCE, RUNS, SIGNED_APART, SUMS, SUMS_SIGNATURE, parse_sums

# What zipfile raises on a central directory it cannot parse: a bad record (BadZipFile), a version it
# does not know (NotImplementedError), a name flagged UTF-8 that is not (ValueError), a short read.
UNREADABLE = (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, struct.error)
# A manifest or request list that is not signed (the key is gone) can be any JSON, nested to any depth.
UNDECODABLE = (ManifestError, RecursionError)

_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (APPNOTE.TXT 4.3.7)
_END = struct.Struct("<4s4H2LH")  # end of central directory record (4.3.16)
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record (4.3.14)
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator (4.3.15)
_CENTRAL_ENTRY = 46  # the fixed part of a central directory entry (4.3.12)
_ENCRYPTED, _DESCRIPTOR = 0x0001, 0x0008  # flag bits 0 and 3 (4.4.4)
_PLAIN_FLAGS = 0x0006 | _DESCRIPTOR | 0x0800  # deflate options, data descriptor, UTF-8 name
_FULL = 0xFFFFFFFF  # a 32-bit size that defers to the zip64 extra field


@dataclass
class PacketReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    evidence: int = 0
    runs: int = 0
    key: str | None = None
    trusted: bool = False  # the key was checked against a trusted one

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Contents:
    files: dict[str, bytes]
    unreadable: set[str]  # present but damaged: reported once, never again as "removed"


@dataclass(frozen=True)
class _End:
    """The end record zipfile uses: where it starts, where the central directory must end, its counts."""

    at: int
    directory_end: int
    entries: tuple[int, int]  # on this disk, in total
    disks: tuple[int, int]  # this disk, the central directory's
    comment: int


def _end_record(raw: BinaryIO, size: int) -> _End | None:
    """Found as zipfile finds it: the last 22 bytes, else the last signature; zip64's when present."""
    start = max(size - _END.size - 0xFFFF, 0)
    raw.seek(start)
    tail = raw.read()
    if tail[-_END.size :][:4] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        at = size - _END.size
    elif (found := tail.rfind(b"PK\x05\x06")) >= 0 and found + _END.size <= len(tail):
        at = start + found
    else:
        return None
    raw.seek(at)
    _, disk, cd_disk, on_disk, total, _, _, comment = _END.unpack(raw.read(_END.size))
    end = _End(at, at, (on_disk, total), (disk, cd_disk), comment)
    record_at = at - _ZIP64_LOCATOR.size - _ZIP64_END.size
    if record_at < 0:
        return end
    raw.seek(record_at)
    record = _ZIP64_END.unpack(raw.read(_ZIP64_END.size))
    locator = _ZIP64_LOCATOR.unpack(raw.read(_ZIP64_LOCATOR.size))
    if locator[0] != b"PK\x06\x07" or record[0] != b"PK\x06\x06":
        return end
    return _End(at, record_at, (record[6], record[7]), (record[4], record[5]), comment)


def _disagreements(header: tuple[int, ...], info: zipfile.ZipInfo) -> list[str]:
    """The fields on which a local header and its central directory entry differ."""
    _, version, flags, method, time, date, crc, compressed, size, _, _ = header
    y, mo, d, h, mi, sec = info.date_time
    wrong = [
        what
        for what, mine, theirs in (
            ("version needed", version, info.extract_version | info.reserved << 8),
            ("flags", flags, info.flag_bits),
            ("compression method", method, info.compress_type),
            ("time", time, (h << 11) | (mi << 5) | (sec // 2)),
            ("date", date, ((y - 1980) << 9) | (mo << 5) | d),
        )
        if mine != theirs
    ]
    descriptor = bool(info.flag_bits & _DESCRIPTOR)  # then the local CRC-32 and sizes may be 0
    for what, mine, theirs in (
        ("CRC-32", crc, info.CRC),
        ("compressed size", compressed, info.compress_size),
        ("size", size, info.file_size),
    ):
        zip64 = what != "CRC-32" and mine == _FULL and theirs >= _FULL
        if mine != theirs and not zip64 and not (descriptor and mine == 0):
            wrong.append(what)
    return wrong


def _decode(info: zipfile.ZipInfo, data: bytes) -> bytes | str:
    """The member's bytes, or what is wrong with them."""
    if info.flag_bits & _ENCRYPTED:
        return "flagged as encrypted; a packet is never encrypted (changed)"
    if info.flag_bits & ~_PLAIN_FLAGS:
        return f"flags {info.flag_bits:#06x} ask for a feature a packet never uses (changed)"
    if info.compress_type == zipfile.ZIP_STORED:
        out = data
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            out = inflate.decompress(data, info.file_size + 1)  # never more than it declares
        except zlib.error as e:
            return f"damaged deflate data ({e})"
        if len(out) == info.file_size and not (inflate.eof and not inflate.unused_data):
            return "damaged deflate data (the stream does not end where its compressed size says)"
    else:
        return f"compression method {info.compress_type}: a packet is stored or deflated (changed)"
    if len(out) > info.file_size:
        return f"decodes to more than the {info.file_size} bytes its entry declares (damaged)"
    if len(out) < info.file_size:
        return f"decodes to {len(out)} bytes, not the {info.file_size} its entry declares (damaged)"
    if zlib.crc32(out) != info.CRC:
        return "its CRC-32 does not match its data (damaged)"
    return out


def _fills(raw: BinaryIO, start: int, end: int, count: int) -> bool:
    """Whether `count` central directory entries, walked by the lengths they declare, end at `end`
    (zipfile stops at the directory's size and ignores a last entry's lengths that run past it)."""
    raw.seek(start)
    directory = raw.read(max(end - start, 0))
    at = 0
    for _ in range(count):
        if directory[at : at + 4] != b"PK\x01\x02" or at + _CENTRAL_ENTRY > len(directory):
            return False
        names, extra, comment = struct.unpack_from("<3H", directory, at + 28)
        at += _CENTRAL_ENTRY + names + extra + comment
    return at == len(directory) == end - start


def _member(
    raw: BinaryIO, info: zipfile.ZipInfo, limit: int, report: PacketReport
) -> tuple[int | None, bytes | None]:
    """Read one member where the central directory places it: (where its bytes end, if it has a local
    header there; its content, if it is readable)."""
    name = info.filename
    raw.seek(info.header_offset)
    fixed = raw.read(_LOCAL.size)
    header = _LOCAL.unpack(fixed) if len(fixed) == _LOCAL.size else None
    if header is None or header[0] != b"PK\x03\x04":
        report.problems.append(
            f"{name}: no local header at offset {info.header_offset}, where the central directory "
            "places it (damaged)"
        )
        return None, None
    if wrong := _disagreements(header, info):
        report.problems.append(
            f"{name}: its local header and central directory entry differ in {', '.join(wrong)} "
            "(changed: unzip tools could extract different bytes)"
        )
    local_name = raw.read(header[9])
    if local_name != info.orig_filename.encode("utf-8" if info.flag_bits & 0x0800 else "cp437"):
        shown = repr(local_name[:80]) + ("..." if len(local_name) > 80 else "")
        report.problems.append(f"{name}: its local header names it {shown} (changed)")
    start = info.header_offset + _LOCAL.size + header[9] + header[10]
    end = start + info.compress_size
    if end > limit:
        report.problems.append(f"{name}: its data runs past the central directory (damaged)")
        return end, None
    if info.flag_bits & _DESCRIPTOR:
        raw.seek(end)
        end += 16 if raw.read(4) == b"PK\x07\x08" else 12
    kind = stat.S_IFMT(info.external_attr >> 16)
    if info.create_system == 3 and kind not in (0, stat.S_IFREG):  # 3: Unix, whose mode this is
        made = {stat.S_IFLNK: "a symbolic link", stat.S_IFDIR: "a directory"}.get(kind, "a special file")
        report.problems.append(f"{name}: extracts as {made}, not a regular file (changed)")
    raw.seek(start)
    content = _decode(info, raw.read(info.compress_size))
    if isinstance(content, str):
        report.problems.append(f"{name}: cannot be read from the archive: {content}")
        return end, None
    return end, content


def _read_archive(path: Path, archive: zipfile.ZipFile, report: PacketReport) -> _Contents:
    """Every member, in the order of the bytes, and every byte of the archive accounted for."""
    where = str(path)
    files: dict[str, bytes] = {}
    unreadable: set[str] = set()
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        position, before = 0, "the first member"
        for info in sorted(archive.infolist(), key=lambda i: i.header_offset):
            end, content = _member(raw, info, archive.start_dir, report)
            if content is None:
                unreadable.add(info.filename)
            else:
                files[info.filename] = content
            if end is None:
                continue
            if info.header_offset > position:
                report.problems.append(
                    f"{where}: {info.header_offset - position} bytes before {info.filename} belong to no "
                    "member (prepended or hidden data)"
                )
            elif info.header_offset < position:
                report.problems.append(f"{info.filename}: overlaps {before} in the archive (changed)")
            position, before = max(position, end), info.filename
        if position < archive.start_dir:
            report.problems.append(
                f"{where}: {archive.start_dir - position} bytes before the central directory belong to no "
                "member (hidden data)"
            )
        count = len(archive.infolist())
        end_record = _end_record(raw, size)
        if end_record is None:  # zipfile found one; this only guards against the file changing meanwhile
            report.problems.append(f"{where}: no end of central directory record (damaged)")
            return _Contents(files, unreadable)
        if not _fills(raw, archive.start_dir, end_record.directory_end, count):
            report.problems.append(
                f"{where}: the central directory's entries do not fill it up to its end record (damaged)"
            )
        if end_record.entries != (count, count) or end_record.disks != (0, 0):
            report.problems.append(
                f"{where}: the end record counts {end_record.entries[1]} members on disk "
                f"{end_record.disks[0]}, the central directory holds {count} (damaged)"
            )
        if (extra := size - (end_record.at + _END.size + end_record.comment)) != 0:
            report.problems.append(
                f"{where}: {extra} bytes after the end of the archive (appended)"
                if extra > 0
                else f"{where}: the archive comment runs past the end of the file (truncated)"
            )
    # A damaged copy of a name stored twice must not hide behind a readable one.
    return _Contents({n: d for n, d in files.items() if n not in unreadable}, unreadable)


def _read(path: Path, report: PacketReport) -> _Contents | None:
    try:
        with zipfile.ZipFile(path) as archive:
            for name, n in Counter(archive.namelist()).items():
                if n > 1:
                    report.problems.append(f"{name}: appears {n} times in the archive (added)")
            return _read_archive(path, archive, report)
    except UNREADABLE as e:
        report.problems.append(f"{path}: not a readable zip archive ({e or type(e).__name__})")
        return None


def _gone(name: str, contents: _Contents, problem: str, report: PacketReport) -> None:
    """Report `name` as missing, unless it is here and already reported as unreadable."""
    if name not in contents.unreadable:
        report.problems.append(problem)


def _public_key(contents: _Contents, report: PacketReport) -> Ed25519PublicKey | None:
    files = contents.files
    if PUBLIC_KEY not in files:
        _gone(PUBLIC_KEY, contents, f"{PUBLIC_KEY}: removed; no signature can be checked", report)
        return None
    try:
        public = signing.load_public_key(files[PUBLIC_KEY])
    except (ValueError, UnsupportedAlgorithm) as e:
        report.problems.append(f"{PUBLIC_KEY}: not an Ed25519 public key ({e}) (changed)")
        return None
    report.key = signing.fingerprint(public)
    return public


def _check_sums(contents: _Contents, public: Ed25519PublicKey | None, report: PacketReport) -> None:
    files = contents.files
    if SUMS not in files:
        _gone(SUMS, contents, f"{SUMS}: removed; the packet's files cannot be checked", report)
        return
    if SUMS_SIGNATURE not in files:
        _gone(SUMS_SIGNATURE, contents, f"{SUMS_SIGNATURE}: removed; {SUMS} is unsigned", report)
    elif public is not None and not signing.is_valid(public, files[SUMS_SIGNATURE], files[SUMS]):
        report.problems.append(
            f"{SUMS}: signature does not verify with {PUBLIC_KEY} ({SUMS}, {SUMS_SIGNATURE} or the key changed)"
        )
    try:
        listed = parse_sums(files[SUMS])
    except (ValueError, UnicodeDecodeError) as e:
        report.problems.append(f"{SUMS}: malformed ({e}) (changed)")
        return
    for name, digest in sorted(listed.items()):
        if name not in files:
            _gone(name, contents, f"{name}: removed (listed in {SUMS}, not in the packet)", report)
        elif sha256_hex(files[name]) != digest:
            report.problems.append(f"{name}: changed (its SHA-256 differs from {SUMS})")
    for name in sorted(set(files) - set(listed) - SIGNED_APART):
        report.problems.append(f"{name}: added (not listed in {SUMS})")
    report.files = len(files)


def _cited(
    header: ManifestHeader | Manifest,
    files: dict[str, bytes],
    present: set[str],
    name: str,
    report: PacketReport,
) -> set[str]:
    """The objects a run cites: its request list and times, and (when those are here) its evidence."""
    if isinstance(header, Manifest):
        return header.objects
    lists = {header.requests, header.times}
    if any(d.removeprefix("sha256:") not in present for d in lists):
        return lists
    try:
        return manifests.expand(header, lambda d: files[EVIDENCE + d.removeprefix("sha256:")]).objects
    except UNDECODABLE as e:
        report.problems.append(f"{name}: its request list or times do not decode ({e}) (changed)")
        return lists


def _check_runs(contents: _Contents, public: Ed25519PublicKey | None, report: PacketReport) -> None:
    files = contents.files
    present = {name.removeprefix(EVIDENCE) for name in files if name.startswith(EVIDENCE)}
    chain: dict[int, tuple[RunInfo, str]] = {}
    for name in sorted(n for n in files if n.startswith(RUNS) and n.endswith("/" + MANIFEST)):
        run_id = name.removeprefix(RUNS).removesuffix("/" + MANIFEST)
        data = files[name]
        signed_by = f"{RUNS}{run_id}/{SIGNATURE}"
        signature = files.get(signed_by)
        if signature is None:
            _gone(signed_by, contents, f"{signed_by}: removed; the manifest is unsigned", report)
            continue
        if public is not None and not signing.is_valid(public, signature, data):
            report.problems.append(
                f"{name}: signature does not verify (the manifest or its signature changed)"
            )
            continue
        try:
            manifest = manifests.header_of(data)
        except UNDECODABLE as e:
            report.problems.append(f"{name}: not a valid trustctl manifest ({e}) (changed)")
            continue
        if manifest.run_id != run_id:
            report.problems.append(f"{name}: names run {manifest.run_id} (moved)")
        if report.key and manifest.key != report.key:
            report.problems.append(
                f"{name}: records signing key {manifest.key}, not the packet's {report.key}"
            )
        for digest in sorted(_cited(manifest, files, present, name, report)):
            cited = EVIDENCE + digest.removeprefix("sha256:")
            if cited not in files:
                _gone(cited, contents, f"{cited}: removed (cited by run {run_id})", report)
        chain[manifest.sequence] = (manifest, "sha256:" + sha256_hex(data))
        report.runs += 1
    for sequence, (run, _) in sorted(chain.items()):
        before = chain.get(sequence - 1)
        if before is not None and run.previous != before[1]:
            report.problems.append(
                f"{RUNS}{run.run_id}/{MANIFEST}: does not chain to run {before[0].run_id} (reordered or changed)"
            )


def _check_evidence(files: dict[str, bytes], report: PacketReport) -> None:
    for name in sorted(n for n in files if n.startswith(EVIDENCE)):
        report.evidence += 1
        if sha256_hex(files[name]) != name.removeprefix(EVIDENCE):
            report.problems.append(f"{name}: content does not match its name (changed)")


def verify_packet(path: Path, trusted_key: bytes | str | None = None, trusted_from: str = "") -> PacketReport:
    """Check a packet.zip offline; `trusted_key` is the key it must have been signed with: its PEM, or its
    fingerprint (sha256:HEX, as `trustctl init` prints it)."""
    report = PacketReport()
    contents = _read(path, report)
    if contents is not None:
        _check(contents, trusted_key, trusted_from, report)
    # Member names come from the archive: a newline in one must not forge a line of the report.
    report.problems = [_printable(p) for p in report.problems]
    return report


def _printable(text: str) -> str:
    return text if text.isprintable() else "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _check(
    contents: _Contents, trusted_key: bytes | str | None, trusted_from: str, report: PacketReport
) -> None:
    public = _public_key(contents, report)
    _check_sums(contents, public, report)
    _check_runs(contents, public, report)
    _check_evidence(contents.files, report)
    if trusted_key is not None and report.key is not None:
        try:
            expected = (
                trusted_key
                if isinstance(trusted_key, str)
                else signing.fingerprint(signing.load_public_key(trusted_key))
            )
        except (ValueError, UnsupportedAlgorithm) as e:
            report.problems.append(f"{trusted_from}: the trusted key is not an Ed25519 public key ({e})")
            return
        report.trusted = True
        if expected != report.key:
            report.problems.append(
                f"{PUBLIC_KEY}: the packet is signed by another key ({report.key}), not the trusted key "
                f"{expected} from {trusted_from}: it comes from another locker or was re-signed"
            )
    elif report.key is not None:
        report.notes.append(
            f"the packet's key {report.key} was not compared with a trusted key: pass --key PEM (the "
            "organization's public key obtained out of band) or run where trustctl.toml names its locker"
        )
