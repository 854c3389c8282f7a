"""Verification of what a locker stores, byte for byte: its top-level layout, every loose object (its
gzip encoding and its hash), every pack (its exact stream, its name, its members and its index) and the
files of each run directory. verify.py checks the signatures, the chain and the accounting on top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from trustctl.evidence import index
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.compress import gunzip_exact
from trustctl.evidence.layout import MANIFEST, MARKER, PUBLIC_KEY, RUNS, SIGNATURE, STARTED
from trustctl.evidence.locker import Locker
from trustctl.evidence.packs import INDEX_SUFFIX, SUFFIX, index_bytes, unpack_exact

HEX = re.compile(r"^[0-9a-f]+$")
RUN_FILES = {STARTED, MANIFEST, SIGNATURE}
TOP_LEVEL = {MARKER, PUBLIC_KEY, "objects", RUNS, index.INDEX, ".lock"}


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    objects: int = 0
    runs: int = 0
    head: str | None = None
    key: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Found:
    """What is stored, as verification goes."""

    root: Path
    objects: dict[str, str] = field(default_factory=dict)  # sha256:... -> where (relative path)
    stray: list[str] = field(default_factory=list)  # leftovers of interrupted writes


def is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


def verify_layout(locker: Locker, report: VerifyReport, found: Found) -> None:
    for path in sorted(locker.root.iterdir()):
        if path.name in TOP_LEVEL:
            continue
        if is_temporary(path.name):
            found.stray.append(path.name)
        else:
            report.problems.append(f"{path.name}: not part of a trustctl locker (added)")
    lock = locker.root / ".lock"
    if lock.is_file() and lock.stat().st_size:
        report.problems.append(".lock: the lock file is not empty (changed)")


def verify_loose(locker: Locker, report: VerifyReport, found: Found) -> None:
    objects = locker.root / "objects"
    if not objects.is_dir():
        report.problems.append("objects: missing or not a directory")
        return
    for folder in sorted(objects.iterdir()):
        if folder.name == "pack":
            continue
        rel = folder.relative_to(locker.root)
        if not (folder.is_dir() and len(folder.name) == 2 and HEX.match(folder.name)):
            (
                found.stray.append(str(rel))
                if is_temporary(folder.name)
                else report.problems.append(f"{rel}: not an object folder (added)")
            )
            continue
        for path in sorted(folder.iterdir()):
            rel = path.relative_to(locker.root)
            stem = path.name.removesuffix(".json.gz")
            if is_temporary(path.name):
                found.stray.append(str(rel))
                continue
            if not path.name.endswith(".json.gz") or len(stem) != 62 or not HEX.match(stem):
                report.problems.append(f"{rel}: not an evidence object (added)")
                continue
            report.objects += 1
            try:
                content = gunzip_exact(path.read_bytes())
            except (OSError, ValueError) as e:
                report.problems.append(f"{rel}: stored bytes do not verify ({e})")
                continue
            if sha256_hex(content) != folder.name + stem:
                report.problems.append(f"{rel}: content does not match its hash (changed)")
                continue
            found.objects["sha256:" + folder.name + stem] = str(rel)


def verify_packs(locker: Locker, report: VerifyReport, found: Found) -> None:
    directory = locker.packs.directory
    if not directory.exists():
        return
    packs = set(locker.packs.packs())
    for path in sorted(directory.iterdir()):
        rel = path.relative_to(locker.root)
        if path in packs:
            continue
        if is_temporary(path.name):
            found.stray.append(str(rel))
        elif not (
            path.name.endswith(INDEX_SUFFIX)
            and path.with_name(path.name[: -len(INDEX_SUFFIX)] + SUFFIX) in packs
        ):
            report.problems.append(f"{rel}: not a pack or a pack's index (added)")
    for pack in sorted(packs):
        rel = pack.relative_to(locker.root)
        try:
            members = unpack_exact(pack)
        except ValueError as e:
            report.problems.append(f"{rel}: stored bytes do not verify ({e})")
            continue
        listing = index_bytes(members)
        if pack.name != f"pack-{sha256_hex(listing)}{SUFFIX}":
            report.problems.append(
                f"{rel}: its name does not match the objects it holds (changed or renamed)"
            )
        names = [h for h, _ in members]
        if len(set(names)) != len(names):
            report.problems.append(f"{rel}: holds an object twice (changed)")
        for hexdigest, data in members:
            report.objects += 1
            if sha256_hex(data) != hexdigest:
                report.problems.append(
                    f"{rel}: member {hexdigest[:2]}/{hexdigest[2:]} does not match its hash (changed)"
                )
                continue
            found.objects.setdefault("sha256:" + hexdigest, str(rel))
        idx = locker.packs.index_path(pack)
        try:
            stored: bytes | None = idx.read_bytes()
        except FileNotFoundError:
            stored = None  # derived, rebuilt when missing
        except OSError:
            stored = b""  # there, but not a readable file
        if stored is not None and stored != listing:
            report.problems.append(
                f"{idx.relative_to(locker.root)}: does not list its pack's objects (delete it; it is rebuilt from the pack)"
            )


def verify_run_files(base: Path, report: VerifyReport, found: Found) -> None:
    for path in sorted(base.iterdir()):
        if path.name in RUN_FILES:
            continue
        if is_temporary(path.name):
            found.stray.append(f"runs/{base.name}/{path.name}")
        else:
            report.problems.append(f"runs/{base.name}/{path.name}: not part of a run (added)")
