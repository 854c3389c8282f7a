"""Packs: many small evidence objects in one xz-compressed tar, so versions of a response that differ by a
timestamp cost a few bytes each instead of a file each.

    objects/pack/pack-HEX.tar.xz   members `ab/cdef...` (an object's exact bytes, named by their SHA-256);
                                   HEX is the SHA-256 of the member list, so a pack's name says what it holds
    objects/pack/pack-HEX.idx      derived: one `<sha256> <size>` line per member; rebuilt if missing

A pack is written whole (temporary file, fsync, rename) before the loose copies of its objects are
removed, and merged packs are removed only after the pack replacing them is in place, so a crash leaves
duplicates, never a gap. Anyone can unpack one with `tar -xJf` and check each file with `sha256sum`.
"""

from __future__ import annotations

import contextlib
import io
import lzma
import os
import secrets
import tarfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from trustctl.errors import LockerError
from trustctl.evidence.canonical import sha256_hex
from trustctl.evidence.files import write_atomic

SUFFIX = ".tar.xz"
INDEX_SUFFIX = ".idx"
# LZMA2's fastest preset with an 8 MiB window: about 10x the speed of xz's default here, a few per cent
# larger, and the window still spans many versions of a response.
FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 1, "dict_size": 8 * 2**20}]


def member_name(hexdigest: str) -> str:
    return f"{hexdigest[:2]}/{hexdigest[2:]}"


def _hex_of(name: str) -> str:
    return name.replace("/", "")


def _info(hexdigest: str, size: int) -> tarfile.TarInfo:
    """A member's header: only its name and size vary, so a pack's tar stream is a function of its objects."""
    info = tarfile.TarInfo(member_name(hexdigest))
    info.size, info.mode, info.mtime = size, 0o644, 0
    return info


def tar_bytes(objects: Iterable[tuple[str, bytes]]) -> bytes:
    """The exact tar stream `PackStore.write` compresses for these (hexdigest, bytes), in this order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w|", format=tarfile.USTAR_FORMAT) as archive:
        for hexdigest, data in objects:
            archive.addfile(_info(hexdigest, len(data)), io.BytesIO(data))
    return buffer.getvalue()


def index_bytes(objects: Iterable[tuple[str, bytes]]) -> bytes:
    """A pack's .idx: one `<sha256> <size>` line per object; the pack is named by its SHA-256."""
    return "".join(f"{h} {len(data)}\n" for h, data in objects).encode()


def unpack_exact(pack: Path) -> list[tuple[str, bytes]]:
    """Every (member name's hexdigest, bytes) of a pack, checked to be byte for byte what `write` makes
    of them: one xz stream (its own CRCs checked) of a tar stream with trustctl's headers and padding.
    ValueError says what differs. Whether each member's bytes match its name is the caller's check."""
    try:
        raw = pack.read_bytes()
    except OSError as e:
        raise ValueError(f"cannot be read ({e.strerror or e})") from None
    try:
        stream = lzma.decompress(raw, format=lzma.FORMAT_XZ)
    except lzma.LZMAError as e:
        raise ValueError(f"xz data is damaged ({e})") from None
    if not raw.endswith(b"YZ"):  # xz allows zero padding after a stream; trustctl writes none
        raise ValueError("bytes after the end of the xz stream (changed)")
    found: list[tuple[str, bytes]] = []
    try:
        with tarfile.open(fileobj=io.BytesIO(stream), mode="r:") as archive:
            for info in archive:
                handle = archive.extractfile(info) if info.isfile() else None
                if handle is None:
                    raise ValueError(f"member {info.name} is not a regular file")
                if len(info.name) != 65 or member_name(_hex_of(info.name)) != info.name:
                    raise ValueError(f"member {info.name} is not named like an object")
                found.append((_hex_of(info.name), handle.read()))
    except (tarfile.TarError, EOFError, OSError) as e:
        raise ValueError(f"tar data is damaged ({e})") from None
    if tar_bytes(found) != stream:
        raise ValueError("tar headers, order or padding differ from what trustctl writes (changed)")
    return found


class PackStore:
    """The packs of one locker: which object is where, and reading, writing and merging them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._where: dict[str, Path] | None = None  # hexdigest -> pack
        # pack -> (members read from it, whether that is all of them)
        self._cache: dict[Path, tuple[dict[str, bytes], bool]] = {}
        self._wanted: set[str] | None = None  # see want()

    # -- listing --------------------------------------------------------------------------
    def packs(self) -> list[Path]:
        return sorted(self.directory.glob(f"pack-*{SUFFIX}")) if self.directory.is_dir() else []

    def index_path(self, pack: Path) -> Path:
        return pack.with_name(pack.name.removesuffix(SUFFIX) + INDEX_SUFFIX)

    def _read_index(self, pack: Path) -> dict[str, int]:
        idx = self.index_path(pack)
        try:
            lines = idx.read_text().splitlines()
            return {h: int(n) for h, n in (line.split() for line in lines)}
        except (OSError, ValueError):
            members = {_hex_of(name): len(data) for name, data in self.members(pack)}
            with contextlib.suppress(OSError):  # derived: a locker it cannot be written to still reads
                write_atomic(idx, "".join(f"{h} {n}\n" for h, n in members.items()).encode())
            return members

    def sizes(self, pack: Path) -> dict[str, int]:
        """hexdigest -> size of each object in `pack`, from its index."""
        return self._read_index(pack)

    def locate(self, hexdigest: str, refresh: bool = False) -> Path | None:
        """The pack holding an object, or None; `refresh` re-reads the pack directory first."""
        with self._lock:
            if self._where is None or refresh:
                self._where = {}
                for pack in self.packs():
                    for h in self._read_index(pack):
                        self._where.setdefault(h, pack)
            return self._where.get(hexdigest)

    # -- reading --------------------------------------------------------------------------
    def members(self, pack: Path) -> Iterator[tuple[str, bytes]]:
        """(member name, bytes) of every regular file in a pack, streamed; LockerError if unreadable."""
        try:
            with tarfile.open(pack, "r|xz") as archive:
                for info in archive:
                    handle = archive.extractfile(info) if info.isfile() else None
                    if handle is not None:
                        yield info.name, handle.read()
        except (OSError, EOFError, tarfile.TarError, lzma.LZMAError) as e:
            raise LockerError(
                f"{pack}: evidence pack cannot be read ({e}).", "Run `trustctl verify`."
            ) from None

    def want(self, hexdigests: Iterable[str]) -> None:
        """Say which objects are about to be read (one run's evidence). A pack read after this keeps those
        members in memory rather than all of them: a merged pack holds up to `pack_merge_max` bytes of a
        locker's history, and one run's evidence is a small part of it."""
        with self._lock:
            self._wanted = (self._wanted or set()) | set(hexdigests)

    def read(self, hexdigest: str) -> bytes | None:
        """An object's bytes from its pack, or None. A pack is decompressed once per process, twice at
        most: with `want`, the first read keeps the wanted members, and reading one it did not keep
        reads the pack again, whole."""
        for refresh in (False, True):
            pack = self.locate(hexdigest, refresh=refresh)
            if pack is None:
                continue
            with self._lock:
                cached = self._cache.get(pack)
                wanted = self._wanted
            if cached is None or (hexdigest not in cached[0] and not cached[1]):
                keep = wanted | {hexdigest} if cached is None and wanted is not None else None
                try:
                    contents = {
                        h: data
                        for h, data in ((_hex_of(name), data) for name, data in self.members(pack))
                        if keep is None or h in keep
                    }
                except LockerError:
                    if pack.exists():
                        raise
                    continue  # merged away since it was listed: look again
                cached = (contents, keep is None)
                with self._lock:
                    self._cache[pack] = cached
            if hexdigest in cached[0]:
                return cached[0][hexdigest]
        return None

    # -- writing --------------------------------------------------------------------------
    def write(self, objects: Iterable[tuple[str, bytes]]) -> Path | None:
        """A new pack of (hexdigest, bytes), in the order given; None if there is nothing to pack."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / f".pack-{secrets.token_hex(4)}.tmp"
        listing: dict[str, int] = {}
        with open(tmp, "wb") as raw:
            with (
                lzma.LZMAFile(raw, "wb", format=lzma.FORMAT_XZ, filters=FILTERS) as xz,
                tarfile.open(fileobj=xz, mode="w|", format=tarfile.USTAR_FORMAT) as archive,
            ):
                for hexdigest, data in objects:
                    if hexdigest in listing:
                        continue
                    archive.addfile(_info(hexdigest, len(data)), io.BytesIO(data))
                    listing[hexdigest] = len(data)
            raw.flush()
            os.fsync(raw.fileno())
        if not listing:
            tmp.unlink()
            return None
        index = "".join(f"{h} {n}\n" for h, n in listing.items()).encode()
        pack = self.directory / f"pack-{sha256_hex(index)}{SUFFIX}"
        write_atomic(self.index_path(pack), index)
        os.replace(tmp, pack)
        with self._lock:
            self._where = None
        return pack

    def remove(self, pack: Path) -> None:
        pack.unlink(missing_ok=True)
        self.index_path(pack).unlink(missing_ok=True)
        with self._lock:
            self._where = None
            self._cache.pop(pack, None)
