"""The package zip and its manifest: the SHA-256 of every file, checked before anything is read.

A package travels by hand, mail or portal; the manifest lets the recipient (and Maxim, on
import) prove nothing was altered, dropped or slipped in on the way. Verification reads the
zip in memory and never extracts it, so a hostile archive cannot write outside its place.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from datetime import datetime
from typing import Any

MANIFEST = "manifest.json"
FORMAT = "maxim-package"
FORMAT_VERSION = 1
MAX_MEMBER_BYTES = 512 * 1024 * 1024


class PackageRefused(ValueError):
    """A package that fails verification; `problems` names each file and what is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: package refused: " + "; ".join(problems))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: Mapping[str, bytes], header: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **header,
        "files": [{"name": name, "sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())],
    }


def write_zip(files: Mapping[str, bytes], header: Mapping[str, Any], created_at: datetime) -> tuple[bytes, str]:
    """The zip (manifest first) and the SHA-256 of the manifest, which the sender's record keeps."""
    body = json.dumps(manifest(files, header), indent=2, ensure_ascii=False, default=str).encode("utf-8")
    stamp = created_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [(MANIFEST, body), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue(), sha256(body)


def read_zip(data: bytes, source: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and the files of a package, or `PackageRefused` naming every mismatch."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise PackageRefused(source, [f"not a zip file ({exc})"]) from exc
    with archive:
        names = archive.namelist()
        if MANIFEST not in names:
            raise PackageRefused(source, [f"{MANIFEST} is missing"])
        try:
            head = json.loads(archive.read(MANIFEST))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise PackageRefused(source, [f"{MANIFEST} is not valid JSON ({exc})"]) from exc
        if not isinstance(head, dict) or head.get("format") != FORMAT or not isinstance(head.get("files"), list):
            raise PackageRefused(source, [f"{MANIFEST} is not a {FORMAT} manifest"])
        problems: list[str] = []
        files: dict[str, bytes] = {}
        listed = set()
        for entry in head["files"]:
            name = str(entry.get("name"))
            listed.add(name)
            if name not in names:
                problems.append(f"{name}: listed in the manifest but missing")
                continue
            if archive.getinfo(name).file_size > MAX_MEMBER_BYTES:
                problems.append(f"{name}: larger than {MAX_MEMBER_BYTES} bytes")
                continue
            content = archive.read(name)
            if sha256(content) != entry.get("sha256"):
                problems.append(f"{name}: SHA-256 does not match the manifest (altered in transit?)")
                continue
            files[name] = content
        for name in names:
            if name != MANIFEST and name not in listed:
                problems.append(f"{name}: in the zip but not in the manifest")
    if problems:
        raise PackageRefused(source, problems)
    return head, files
