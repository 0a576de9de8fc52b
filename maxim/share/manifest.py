"""The package zip, its manifest and the manifest's signature, all checked before anything is read.

A package travels by hand, mail or portal. The manifest lists the SHA-256 of every file, and
the sender's installation signs the manifest (`maxim.share.signing`), so the recipient (and
Maxim, on import) can prove who sent it and that nothing was altered, dropped or slipped in
on the way: a file changed and re-hashed changes the manifest, and the signature no longer
verifies. The zip is opened within limits and never extracted (`maxim.share.archive`).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from maxim.share.archive import ArchiveRefused, Limits, SafeZip
from maxim.share.signing import ALGORITHM, SigningKey, verifies

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "maxim-package"
FORMAT_VERSION = 1
MIB = 1024 * 1024
# A package carries selected reports, not a database: a few MB in practice. The limits leave
# room for large ones while keeping an import's memory bounded (the accepted files are held).
LIMITS = Limits(members=1000, member_bytes=128 * MIB, total_bytes=256 * MIB, archive_bytes=256 * MIB)
MAX_MANIFEST_BYTES = 16 * MIB
MAX_SIGNATURE_BYTES = 64 * 1024


class PackageRefused(ValueError):
    """A package that fails verification; `problems` names each file and what is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{source}: package refused: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A partner's public key as registered here (`maxim share key add`)."""

    partner: str
    public_pem: str


@dataclass(frozen=True, slots=True)
class Verified:
    """A package whose signature and hashes checked out: who signed it, its manifest and files."""

    sender: str  # the partner whose registered key signed the manifest
    key_id: str
    head: dict[str, Any]
    files: dict[str, bytes]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: Mapping[str, bytes], header: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **header,
        "files": [{"name": name, "sha256": sha256(data), "bytes": len(data)} for name, data in sorted(files.items())],
    }


def write_zip(
    files: Mapping[str, bytes], header: Mapping[str, Any], created_at: datetime, signer: SigningKey
) -> tuple[bytes, str]:
    """The zip (manifest and its signature first) and the SHA-256 of the manifest, which the sender's record keeps."""
    signed = {**header, "signing_key": signer.key_id, "signature_algorithm": ALGORITHM}
    body = json.dumps(manifest(files, signed), indent=2, ensure_ascii=False, default=str).encode("utf-8")
    signature = json.dumps({"algorithm": ALGORITHM, "signature": signer.sign(body)}, indent=2).encode("utf-8")
    stamp = created_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [(MANIFEST, body), (SIGNATURE, signature), *sorted(files.items())]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue(), sha256(body)


def _json(data: bytes, name: str, source: str) -> Any:
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageRefused(source, [f"{name} is not valid JSON ({exc})"]) from exc
    except RecursionError as exc:
        raise PackageRefused(source, [f"{name} is nested too deeply to be a {FORMAT} file"]) from exc


def _head(archive: SafeZip, source: str) -> tuple[bytes, dict[str, Any]]:
    """The manifest's bytes (what is signed) and its content, checked for shape."""
    names = archive.names()
    if MANIFEST not in names:
        raise PackageRefused(source, [f"{MANIFEST} is missing"])
    body = archive.read(MANIFEST, MAX_MANIFEST_BYTES)
    head = _json(body, MANIFEST, source)
    entries = head.get("files") if isinstance(head, dict) else None
    if (
        not isinstance(head, dict)
        or head.get("format") != FORMAT
        or not isinstance(entries, list)
        or not all(isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries)
    ):
        raise PackageRefused(source, [f"{MANIFEST} is not a {FORMAT} manifest"])
    return body, head


def _signer(archive: SafeZip, body: bytes, head: Mapping[str, Any], keys: Mapping[str, TrustedKey], source: str) -> str:
    """The id of the registered key whose signature over the manifest verifies; refuses anything else."""
    if SIGNATURE not in archive.names():
        raise PackageRefused(source, [f"not signed ({SIGNATURE} is missing): unsigned packages are not accepted"])
    signature = _json(archive.read(SIGNATURE, MAX_SIGNATURE_BYTES), SIGNATURE, source)
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        raise PackageRefused(source, [f"{SIGNATURE} is not an {ALGORITHM} signature"])
    kid = head.get("signing_key")
    if not isinstance(kid, str) or not kid:
        raise PackageRefused(source, [f"{MANIFEST} names no signing_key"])
    trusted = keys.get(kid)
    if trusted is None:
        raise PackageRefused(
            source,
            [
                f"signed by key {kid}, which is not registered here (unknown sender): confirm the key id with "
                "the sender, then `maxim share key add PARTNER FILE`"
            ],
        )
    if not verifies(trusted.public_pem, body, str(signature.get("signature") or "")):
        raise PackageRefused(
            source, [f"the signature does not match {MANIFEST}: altered after {trusted.partner} signed it"]
        )
    return kid


def _files(archive: SafeZip, head: Mapping[str, Any], source: str) -> dict[str, bytes]:
    """Every listed file, its SHA-256 checked; problems for missing, extra, twice-listed or altered files."""
    names = set(archive.names())
    problems: list[str] = []
    files: dict[str, bytes] = {}
    listed: set[str] = set()
    for entry in head["files"]:
        name = entry["name"]
        if name in (MANIFEST, SIGNATURE):
            problems.append(f"{name}: the manifest may not list itself or its signature")
            continue
        if name in listed:
            problems.append(f"{name}: listed twice in the manifest")
            continue
        listed.add(name)
        if name not in names:
            problems.append(f"{name}: listed in the manifest but missing")
            continue
        content = archive.read(name)
        if sha256(content) != entry.get("sha256"):
            problems.append(f"{name}: SHA-256 does not match the manifest (altered in transit?)")
            continue
        files[name] = content
    for name in sorted(names - listed - {MANIFEST, SIGNATURE}):
        problems.append(f"{name}: in the zip but not in the manifest")
    if problems:
        raise PackageRefused(source, problems)
    return files


def read_zip(data: bytes, source: str, keys: Mapping[str, TrustedKey]) -> Verified:
    """A package verified against the registered `keys` (key id -> partner key), or `PackageRefused` saying why.

    The order matters: the archive's limits first (nothing large is inflated), then the
    signature over the manifest (nothing else is read from an unknown or altered package),
    then every file against the manifest's hashes.
    """
    try:
        with SafeZip(data, LIMITS) as archive:
            body, head = _head(archive, source)
            kid = _signer(archive, body, head, keys, source)
            files = _files(archive, head, source)
    except ArchiveRefused as exc:
        raise PackageRefused(source, [str(exc)]) from exc
    return Verified(sender=keys[kid].partner, key_id=kid, head=head, files=files)
