"""A mutation sweep over one small packet.zip: byte flips in every part of every member and of the zip's
own structure, truncations, appends and prepends, members added, removed, renamed, duplicated, flagged
as encrypted or given an unknown compression method. Each must end in findings that name the archive or
the member (exit 5), never a crash and never a clean result, unless the change alters no member's bytes
and not the set of members. Those are the zip's slack, asserted to verify clean (see `changes_nothing`):
in each central directory entry, "version made by" (2 bytes), "disk number start" (2), "internal
attributes" (2) and the external attributes but for their file-type bits (3.5 of 4 bytes); a flip in the
padding bits after a deflate stream's last block that decodes to the same bytes; and the whole archive
re-zipped with other compression and times. trustctl writes no extra fields and no comments, so no byte
of either is in its packets. Every other byte (local headers, names, data, central directory entries,
end record) is covered.

`make test` runs a sample (the seed is printed; TRUSTCTL_SWEEP_SEED=N repeats one);
TRUSTCTL_SWEEP_ALL=1 flips every byte of the archive (`make test-deep`)."""

from __future__ import annotations

import io
import os
import random
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from trustctl import pipeline
from trustctl.packet.verify import PacketReport, verify_packet

SEED = int(os.environ.get("TRUSTCTL_SWEEP_SEED") or random.SystemRandom().randrange(2**32))
EVERY_BYTE = os.environ.get("TRUSTCTL_SWEEP_ALL") == "1"
DATA_SAMPLE = 12  # flipped positions in each member's compressed data when sampling

# The zip format's records (APPNOTE 4.3.7, 4.3.12, 4.3.16), field by field.
LOCAL = (
    ("signature", 4), ("version needed", 2), ("flags", 2), ("method", 2), ("time", 2), ("date", 2),
    ("crc-32", 4), ("compressed size", 4), ("size", 4), ("name length", 2), ("extra length", 2),
)  # fmt: skip
CENTRAL = (
    ("signature", 4), ("version made by", 2), ("version needed", 2), ("flags", 2), ("method", 2),
    ("time", 2), ("date", 2), ("crc-32", 4), ("compressed size", 4), ("size", 4), ("name length", 2),
    ("extra length", 2), ("comment length", 2), ("disk number start", 2), ("internal attributes", 2),
    ("external attributes", 4), ("local header offset", 4),
)  # fmt: skip
END = (
    ("signature", 4), ("disk", 2), ("directory disk", 2), ("entries on disk", 2), ("entries", 2),
    ("directory size", 4), ("directory offset", 4), ("comment length", 2),
)  # fmt: skip

# Central directory fields no reader uses to find or decode a member's bytes (see the docstring).
SLACK = frozenset({"version made by", "internal attributes", "disk number start"})


@dataclass(frozen=True)
class Span:
    """One field of the archive: [start, end) of `part` ("local header", "name", "data", "central
    directory", "end record") of `member` (None for the end record)."""

    start: int
    end: int
    part: str
    field: str
    member: str | None


def _fields(at: int, layout: tuple[tuple[str, int], ...], part: str, member: str | None) -> Iterator[Span]:
    for field, size in layout:
        yield Span(at, at + size, part, field, member)
        at += size


def spans(data: bytes) -> list[Span]:
    """Every byte of a trustctl packet.zip, parsed without zipfile; asserts that the spans tile it."""
    end = len(data) - 22
    assert data[end : end + 4] == b"PK\x05\x06" and data[-2:] == b"\0\0", "an end record with no comment"
    count, cd_size, cd_offset = struct.unpack("<HLL", data[end + 10 : end + 20])
    out: list[Span] = []
    at = cd_offset
    for _ in range(count):
        n, e, c = struct.unpack("<HHH", data[at + 28 : at + 34])
        (local,) = struct.unpack("<L", data[at + 42 : at + 46])
        (compressed,) = struct.unpack("<L", data[at + 20 : at + 24])
        name = data[at + 46 : at + 46 + n].decode()
        assert data[at + 5] == 3, "made on Unix: the external attributes hold a file mode"
        out += _fields(at, CENTRAL, "central directory", name)
        out.append(Span(at + 46, at + 46 + n, "central directory", "name", name))
        ln, le = struct.unpack("<HH", data[local + 26 : local + 30])
        assert e == c == le == 0, "trustctl writes no extra fields and no comments: none is slack"
        out += _fields(local, LOCAL, "local header", name)
        out.append(Span(local + 30, local + 30 + ln, "name", "name", name))
        out.append(Span(local + 30 + ln, local + 30 + ln + compressed, "data", "data", name))
        at += 46 + n
    assert at == cd_offset + cd_size == end
    out += _fields(end, END, "end record", None)
    out = sorted((s for s in out if s.end > s.start), key=lambda s: s.start)
    assert [s.start for s in out] == [0, *(s.end for s in out[:-1])] and out[-1].end == len(data)
    return out


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@dataclass(frozen=True)
class Packet:
    path: Path
    data: bytes
    spans: list[Span]
    contents: dict[str, bytes]
    key: bytes


@pytest.fixture(scope="module")
def packet(tmp_path_factory: pytest.TempPathFactory) -> Packet:
    """The smallest real packet: two identity runs from a two-person roster, SOC 2, one day."""
    root = tmp_path_factory.mktemp("sweep")
    made = pipeline.init(root, "Sweep Co")
    made.config.write_text(
        made.config.read_text().replace("[identity]\n", '[identity]\nroster = "roster.csv"\n')
    )
    (root / "roster.csv").write_text(
        "email,name,status,terminated_at\nana@sweep.example,Ana,active,\nbo@sweep.example,Bo,terminated,2026-01-01\n"
    )
    config = pipeline.load(made.config)
    for _ in range(2):
        pipeline.collect(config, ["identity"])
    built = pipeline.packet(config, "soc2", out=root / "packet")
    data = built.files["zip"].read_bytes()
    return Packet(
        built.files["zip"], data, spans(data), members(data), (made.locker / "public-key.pem").read_bytes()
    )


@dataclass(frozen=True)
class Mutation:
    what: str
    data: bytes
    member: str | None  # the member it damages (None: the archive as a whole)
    clean: bool = False  # changes no member's bytes and not the set of members: must verify clean


def flip(p: Packet, span: Span, offset: int, mask: int) -> Mutation:
    data = bytearray(p.data)
    data[offset] ^= mask
    what = f"flip {mask:#04x} at {offset} ({span.part} {span.field} of {span.member or 'the archive'})"
    return Mutation(what, bytes(data), span.member, changes_nothing(p, span, offset, mask))


def changes_nothing(p: Packet, span: Span, offset: int, mask: int) -> bool:
    if span.part == "central directory" and span.field in SLACK:
        return True
    if span.part == "central directory" and span.field == "external attributes":
        # The top four bits are the file type: 0 (none given) and 8 (regular) extract as a file.
        return offset - span.start < 3 or (p.data[offset] ^ mask) >> 4 in (0, 8)
    if span.part == "data":
        # A flip confined to the padding bits after the final deflate block decodes to the same bytes.
        damaged = bytearray(p.data[span.start : span.end])
        damaged[offset - span.start] ^= mask
        inflate = zlib.decompressobj(-15)
        try:
            same = inflate.decompress(bytes(damaged)) == p.contents[span.member or ""]
            return same and inflate.eof and not inflate.unused_data
        except zlib.error:
            return False
    return False


def flips(p: Packet, rng: random.Random) -> Iterator[Mutation]:
    for span in p.spans:
        positions: Sequence[int]
        if EVERY_BYTE:
            positions = range(span.start, span.end)
        elif span.part == "data":
            positions = sorted(
                rng.sample(range(span.start, span.end), min(DATA_SAMPLE, span.end - span.start))
            )
        else:
            positions = [rng.randrange(span.start, span.end)]  # one byte of every field of every header
        for offset in positions:
            yield flip(p, span, offset, rng.randrange(1, 256))


def cuts(p: Packet, rng: random.Random) -> Iterator[Mutation]:
    size = len(p.data)
    if EVERY_BYTE:
        lengths = set(range(0, size, 97)) | set(range(p.spans[-len(END)].start - 600, size))
    else:
        lengths = {0, 1, 4, 21, 22, 30, size - 22, size - 1} | {rng.randrange(size) for _ in range(24)}
    for n in sorted(lengths):
        yield Mutation(f"truncated to {n} of {size} bytes", p.data[:n], None)
    tails = [b"\0", b"\n", rng.randbytes(rng.randrange(1, 200)), b"PK\x05\x06" + bytes(18), p.data]
    for tail in tails:
        yield Mutation(f"{len(tail)} bytes appended ({tail[:8]!r}...)", p.data + tail, None)
        yield Mutation(f"{len(tail)} bytes prepended ({tail[:8]!r}...)", tail + p.data, None)


def rezip(p: Packet, drop: set[str], add: Sequence[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    """The packet's members less `drop`, then `add`, written by zipfile."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are one of the mutations
        for name, data in p.contents.items():
            if name not in drop:
                archive.writestr(name, data)
        for name_or_info, data in add:
            archive.writestr(name_or_info, data)
    return out.getvalue()


def edits(p: Packet, rng: random.Random) -> Iterator[Mutation]:
    names = sorted(p.contents)
    for name in names if EVERY_BYTE else rng.sample(names, 6):
        body = p.contents[name]
        yield Mutation(f"{name} removed", rezip(p, {name}, []), name)
        for new in sorted({name + ".orig", "moved/" + name, name.upper()} - {name}):
            yield Mutation(f"{name} renamed {new}", rezip(p, {name}, [(new, body)]), name)
        yield Mutation(f"{name} stored twice", rezip(p, set(), [(name, body)]), name)
    first, second = rng.sample([n for n in names if n.startswith("evidence/")], 2)
    swapped = [(first, p.contents[second]), (second, p.contents[first])]
    yield Mutation(f"{first} and {second} swapped", rezip(p, {first, second}, swapped), first)
    for added, body in (
        ("evidence/" + "0" * 64, b"{}"),
        ("notes.txt", b"nothing to see"),
        ("runs/20990101T000000Z-000000/manifest.json", b"{}"),
        ("evidence/", b""),  # a directory entry
        ("evidence/x/", b"hidden"),  # a "directory" holding bytes
    ):
        yield Mutation(f"{added} added", rezip(p, set(), [(added, body)]), added)
    # The same members stored uncompressed with other times: no member's bytes change.
    stored = [(zipfile.ZipInfo(n, (2001, 2, 3, 4, 5, 6)), p.contents[n]) for n in names]
    yield Mutation("re-zipped uncompressed, other times", rezip(p, set(names), stored), None, clean=True)


def header_bits(p: Packet, rng: random.Random) -> Iterator[Mutation]:
    """The encrypted flag set, and compression method 99 (AE-x), in the local header, the central
    directory entry, or both."""
    by_member: dict[str, dict[str, Span]] = {}
    for s in p.spans:
        if s.field in ("flags", "method") and s.member:
            by_member.setdefault(s.member, {})[f"{s.part} {s.field}"] = s
    chosen = sorted(by_member) if EVERY_BYTE else rng.sample(sorted(by_member), 5)
    for name in chosen:
        fields = by_member[name]
        for where in (("local header",), ("central directory",), ("local header", "central directory")):
            encrypted, method = bytearray(p.data), bytearray(p.data)
            for part in where:
                flags = fields[f"{part} flags"].start
                encrypted[flags] |= 0x01
                struct.pack_into("<H", method, fields[f"{part} method"].start, 99)
            yield Mutation(f"{name}: encrypted flag in the {' and '.join(where)}", bytes(encrypted), name)
            yield Mutation(f"{name}: method 99 in the {' and '.join(where)}", bytes(method), name)


def judge(p: Packet, m: Mutation, path: Path) -> str | None:
    """None when verification says what it must about `m`, else what went wrong."""
    path.write_bytes(m.data)
    try:
        report = verify_packet(path, p.key, "key.pem")
    except Exception as e:  # the point of the sweep: any exception is a crash to report
        return f"{m.what}: crashed ({type(e).__name__}: {e})"
    if m.clean:
        if report.problems:
            return f"{m.what}: changes no member, yet {report.problems[:2]}"
        if members(m.data) != p.contents:
            return f"{m.what}: verified clean but the members changed"
        return None
    if report.ok:
        return f"{m.what}: verified clean"
    if not names_it(report, m.member, path):
        return f"{m.what}: no finding names {m.member or 'the archive'}: {report.problems[:3]}"
    return None


def names_it(report: PacketReport, member: str | None, path: Path) -> bool:
    archive = str(path)
    return any(
        p.startswith(archive + ":")
        or (member is not None and (p.startswith(member + ":") or f" {member} " in p))
        for p in report.problems
    )


def test_the_built_packet_verifies_and_its_bytes_are_all_accounted_for(packet: Packet) -> None:
    assert verify_packet(packet.path, packet.key, "key.pem").ok
    parts = Counter(s.part for s in packet.spans)
    assert parts["data"] == len(packet.contents) == parts["name"] and parts["end record"] == len(END)
    kinds = {n.split("/")[0] for n in packet.contents}
    assert {"packet.pdf", "packet.html", "results.xlsx", "public-key.pem", "SHA256SUMS"} <= kinds
    assert {"SHA256SUMS.sig", "VERIFY.txt", "packet.json", "evidence", "runs"} <= kinds


def test_every_mutation_is_a_finding_naming_the_archive_or_member(packet: Packet, tmp_path: Path) -> None:
    print(
        f"packet tamper sweep: seed {SEED} (TRUSTCTL_SWEEP_SEED={SEED} repeats it), every byte: {EVERY_BYTE}"
    )
    rng = random.Random(SEED)
    target = tmp_path / "mutated.zip"
    failures: list[str] = []
    tally: Counter[str] = Counter()
    started = time.perf_counter()
    for source in (flips, cuts, edits, header_bits):
        for mutation in source(packet, rng):
            tally["clean" if mutation.clean else "finding"] += 1
            problem = judge(packet, mutation, target)
            if problem is not None:
                failures.append(problem)
    print(f"{sum(tally.values())} mutations ({dict(tally)}) in {time.perf_counter() - started:.1f} s")
    assert not failures, f"seed {SEED}: {len(failures)} of {sum(tally.values())} mutations:\n" + "\n".join(
        failures[:40]
    )


def test_damaged_archives_are_findings_from_the_cli(packet: Packet, tmp_path: Path) -> None:
    """The real command on a damaged deflate stream, an encrypted member, compression method 99 and
    bytes appended: exit 5, the file named on a FAILED line, no 'unexpected error'."""
    (tmp_path / "key.pem").write_bytes(packet.key)

    def span(part: str, field: str, member: str) -> Span:
        return next(s for s in packet.spans if (s.part, s.field, s.member) == (part, field, member))

    pdf = span("data", "data", "packet.pdf")
    deflate = next(
        m for m in (flip(packet, pdf, pdf.start + 200 + i, 0xFF) for i in range(64)) if not m.clean
    )
    encrypted = bytearray(packet.data)
    encrypted[span("central directory", "flags", "SHA256SUMS").start] |= 0x01
    manifest = next(n for n in packet.contents if n.endswith("/manifest.json"))
    method = bytearray(packet.data)
    struct.pack_into("<H", method, span("central directory", "method", manifest).start, 99)
    cases = {
        "deflate.zip": (deflate.data, "packet.pdf"),
        "encrypted.zip": (bytes(encrypted), "SHA256SUMS"),
        "method.zip": (bytes(method), manifest),
        "appended.zip": (packet.data + b"hidden", "appended.zip"),
    }
    running = {}
    for name, (data, _) in cases.items():  # side by side: each start of the CLI takes seconds
        (tmp_path / name).write_bytes(data)
        running[name] = subprocess.Popen(
            [sys.executable, "-m", "trustctl.cli", "verify", name, "--key", "key.pem"],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 5, (name, stdout, stderr)
        assert "unexpected error" not in stderr, (name, stderr)
        named = cases[name][1]
        assert any(line.startswith(f"FAILED {named}: ") for line in stdout.splitlines()), (name, stdout)
