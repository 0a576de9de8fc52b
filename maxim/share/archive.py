"""Zip files from outside (packages, Excel workbooks) opened within limits, never extracted.

A zip says in its central directory how many members it has and how large each will be, and
both can lie: a 420 KB package once held a 400 MB member, and inflating it took 4.3 GB. So
`SafeZip` refuses, before anything is inflated, an archive that is too large, declares too
many members (read from the end-of-central-directory record, before Python parses the
directory), repeats a member name (which one would count?), is encrypted or uses a compression
other than stored or deflate, or declares members larger than the limits; and then it reads
members in chunks with a running total, so a size that lies is caught as the bytes arrive,
not after. A damaged deflate stream or CRC is one `ArchiveRefused` naming the member, never a
traceback. Nothing is written to disk: a hostile name cannot escape anywhere.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

CHUNK = 1024 * 1024
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
# What reading a damaged or hostile member can raise: CRC and header faults, a bad deflate
# stream, a stream cut short, and the rest zipfile lets through for odd headers.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError, NotImplementedError)
OPEN_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, struct.error, KeyError)


class ArchiveRefused(ValueError):
    """An archive outside the limits, or damaged; the message says which member and why."""


@dataclass(frozen=True, slots=True)
class Limits:
    """How much an archive may hold; every size is in bytes, uncompressed unless it says archive."""

    members: int
    member_bytes: int
    total_bytes: int
    archive_bytes: int


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"


def _declared_directory(data: bytes) -> tuple[int, int] | None:
    """(entries, directory bytes) from the end-of-central-directory record, or None if there is none."""
    tail = data[-(65535 + _EOCD_SIZE) :]
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        return None
    entries, size = struct.unpack_from("<HI", tail, at + 10)
    return int(entries), int(size)


class SafeZip:
    """A zip in memory, checked against `limits` on opening; members read with a running total."""

    def __init__(self, data: bytes, limits: Limits) -> None:
        self.limits = limits
        self.inflated = 0
        if len(data) > limits.archive_bytes:
            raise ArchiveRefused(f"the file is {_mib(len(data))}; at most {_mib(limits.archive_bytes)} is accepted")
        declared = _declared_directory(data)
        if declared is not None and declared[0] > limits.members:
            raise ArchiveRefused(f"declares {declared[0]} members; at most {limits.members} are accepted")
        if declared is not None and declared[1] > limits.members * 1024:
            raise ArchiveRefused(f"its member list is {_mib(declared[1])}, more than {limits.members} members need")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except OPEN_ERRORS as exc:
            raise ArchiveRefused(f"not a zip file ({exc})") from exc
        try:
            self._check(self._zip.infolist())
        except ArchiveRefused:
            self._zip.close()
            raise

    def _check(self, infos: Sequence[zipfile.ZipInfo]) -> None:
        limits = self.limits
        if len(infos) > limits.members:
            raise ArchiveRefused(f"has {len(infos)} members; at most {limits.members} are accepted")
        seen: set[str] = set()
        for info in infos:
            if info.filename in seen:
                raise ArchiveRefused(f"{info.filename}: appears twice in the zip (which copy counts?)")
            seen.add(info.filename)
            if info.flag_bits & 0x1:
                raise ArchiveRefused(f"{info.filename}: is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise ArchiveRefused(f"{info.filename}: compression method {info.compress_type} is not accepted")
            if info.file_size > limits.member_bytes:
                raise ArchiveRefused(
                    f"{info.filename}: declares {_mib(info.file_size)}; at most {_mib(limits.member_bytes)} a member"
                )
        total = sum(i.file_size for i in infos)
        if total > limits.total_bytes:
            raise ArchiveRefused(f"declares {_mib(total)} in all; at most {_mib(limits.total_bytes)} is accepted")

    def names(self) -> list[str]:
        return self._zip.namelist()

    def _stream(self, name: str, limit: int, *, keep: bool, forbidden: Sequence[bytes] = ()) -> list[bytes]:
        """Inflate one member chunk by chunk, refusing it as soon as it or the archive passes its limit."""
        kept: list[bytes] = []
        size = 0
        overlap = max((len(f) for f in forbidden), default=1) - 1
        previous = b""
        try:
            with self._zip.open(self._zip.getinfo(name)) as handle:
                while chunk := handle.read(CHUNK):
                    size += len(chunk)
                    self.inflated += len(chunk)
                    if size > limit:
                        raise ArchiveRefused(f"{name}: inflates to more than {_mib(limit)}")
                    if self.inflated > self.limits.total_bytes:
                        raise ArchiveRefused(f"inflates to more than {_mib(self.limits.total_bytes)} in all")
                    if forbidden:  # markers split across two chunks are found in the overlap
                        window = previous + chunk
                        for marker in forbidden:
                            if marker in window:
                                raise ArchiveRefused(f"{name}: contains {marker.decode()} (XML entities are refused)")
                        previous = window[-overlap:] if overlap else b""
                    if keep:
                        kept.append(chunk)
        except READ_ERRORS as exc:
            raise ArchiveRefused(f"{name}: damaged, cannot be inflated ({exc})") from exc
        return kept

    def read(self, name: str, limit: int | None = None) -> bytes:
        """A member's bytes, at most `limit` (default: the per-member limit), counted against the total."""
        return b"".join(self._stream(name, min(limit or self.limits.member_bytes, self.limits.member_bytes), keep=True))

    def scan(self, name: str, forbidden: Sequence[bytes]) -> None:
        """Inflate a member without keeping it: proves its size and CRC, and that no `forbidden` bytes occur."""
        self._stream(name, self.limits.member_bytes, keep=False, forbidden=forbidden)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
