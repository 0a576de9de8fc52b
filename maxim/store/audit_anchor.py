"""The audit chain's anchor: a key and signed checkpoints kept outside the database.

A hash chain alone only catches an edit that is not re-chained: anyone who can write the
table can recompute every hash after an edit, forge a correctly hashed entry, drop the last
entries or empty the table, and the chain still holds. So each entry's hash is an HMAC under a
key kept in a file outside the database, and after every committed write transaction the new
head of the chain (its sequence number and hash) is appended, signed with the same key, to an
anchors file beside the key. Someone with only database access can then neither re-chain nor
forge (no key), nor cut the tail or empty the table (the anchors name a head the table no
longer reaches).

The key is made once: by `maxim init`, or at the first entry of an empty log. Entries written
before this existed were hashed without a key; the first line of the anchors file (the
genesis checkpoint) seals them: it records the sequence number and hash of the last unkeyed
entry, so those are still verified (unkeyed) and any later edit of them breaks the seal.

The checkpoint is written after the commit (the pool's check-in, or the next BEGIN on the
same connection), never before it, so a rolled-back transaction leaves no anchor that the
table does not reach. Measured cost per write transaction: see README (bench/audit_anchor.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.engine import Connection, ExceptionContext, make_url

GENESIS = "0" * 64
#: The execution option through which `append` and `verify` find the anchor of a connection.
OPTION = "maxim_audit_anchor"
_PENDING = "maxim_audit_pending"  # appended in the open transaction
_COMMITTING = "maxim_audit_committing"  # its commit was sent; written once the commit returned


class AuditKeyMissing(RuntimeError):
    """The key file is gone while the log already has entries: nothing can be appended."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed line of the anchors file: the chain's head at some moment."""

    kind: str  # "genesis" (when the key was made), "head" (after a commit), "restore" (after a restore)
    seq: int
    hash: str
    at: str
    line: int


@dataclass(frozen=True, slots=True)
class AuditAnchor:
    """Where an installation keeps its audit key and the signed checkpoints."""

    key_file: Path

    @property
    def anchors_file(self) -> Path:
        return self.key_file.with_suffix(".anchors")

    def key(self) -> bytes | None:
        """The key, read afresh (a replaced key file is noticed at once), or None if there is none."""
        try:
            text = self.key_file.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return bytes.fromhex(text)

    def create(self, legacy_seq: int = 0, legacy_hash: str = GENESIS) -> bytes:
        """Make the key (readable by the owner only) and the genesis checkpoint; keep an existing key."""
        self.key_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        try:
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            existing = self.key()
            assert existing is not None
            return existing
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        self.write(key, "genesis", legacy_seq, legacy_hash)
        return key

    def write(self, key: bytes, kind: str, seq: int, digest: str) -> None:
        """Append one signed checkpoint; a single O_APPEND write, so concurrent writers never interleave."""
        at = datetime.now(UTC).isoformat(timespec="seconds")
        line = json.dumps({"kind": kind, "seq": seq, "hash": digest, "at": at, "mac": _mac(key, kind, seq, digest, at)})
        fd = os.open(self.anchors_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, (line + "\n").encode("ascii"))
        finally:
            os.close(fd)

    def checkpoints(self, key: bytes) -> Iterator[Checkpoint]:
        """The anchors file's checkpoints in order; raises AnchorInvalid naming the first bad line."""
        with self.anchors_file.open(encoding="ascii") as handle:
            for number, text in enumerate(handle, start=1):
                try:
                    raw = json.loads(text)
                    point = Checkpoint(str(raw["kind"]), int(raw["seq"]), str(raw["hash"]), str(raw["at"]), number)
                    mac = str(raw["mac"])
                except (ValueError, KeyError, TypeError) as exc:
                    raise AnchorInvalid(number, "is not a checkpoint (the anchors file was edited)") from exc
                if not hmac.compare_digest(mac, _mac(key, point.kind, point.seq, point.hash, point.at)):
                    raise AnchorInvalid(
                        number, "is not signed with this audit key (the wrong key, or a forged anchors file)"
                    )
                yield point


class AnchorInvalid(ValueError):
    """A line of the anchors file that is not a checkpoint signed with the key."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line} of the anchors file {reason}" if line else f"the anchors file {reason}")
        self.line = line


def _mac(key: bytes, kind: str, seq: int, digest: str, at: str) -> str:
    body = json.dumps([kind, seq, digest, at], separators=(",", ":")).encode("ascii")
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def default_key_file(url: str, data_dir: Path | None) -> Path | None:
    """Beside a SQLite file (`maxim.db` -> `maxim.audit-key`), else `audit.key` in the data directory.

    None when there is neither (an in-memory or URI SQLite database, or PostgreSQL opened
    without a data directory): such a connection writes unkeyed entries, which verify rejects.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        name = parsed.database or ""
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        return Path(name).with_suffix(".audit-key")
    return None if data_dir is None else data_dir / "audit.key"


def anchor_of(conn: Connection) -> AuditAnchor | None:
    found = conn.get_execution_options().get(OPTION)
    return found if isinstance(found, AuditAnchor) else None


def pending(conn: Connection, anchor: AuditAnchor, key: bytes, seq: int, digest: str) -> None:
    """Remember the head this transaction appended; it is anchored once the transaction commits."""
    conn.info[_PENDING] = (anchor, key, seq, digest)


def install(engine: Engine, anchor: AuditAnchor) -> None:
    """Give the engine's connections the anchor, and write each committed head to the anchors file."""
    engine.update_execution_options(**{OPTION: anchor})
    event.listen(engine, "commit", _on_commit)
    event.listen(engine, "rollback", _on_rollback)
    event.listen(engine, "handle_error", _on_error)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "checkin", _on_checkin)


def _on_commit(conn: Connection) -> None:
    if _PENDING in conn.info:
        conn.info[_COMMITTING] = conn.info.pop(_PENDING)


def _on_rollback(conn: Connection) -> None:
    if conn.invalidated:  # its DBAPI connection was discarded, and the pending head with its info
        return
    conn.info.pop(_PENDING, None)


def _on_error(context: ExceptionContext) -> None:
    # A failure with no statement is the COMMIT (or BEGIN/ROLLBACK) itself: the head may not be stored.
    if context.statement is None and context.connection is not None:
        context.connection.info.pop(_COMMITTING, None)


def _on_begin(conn: Connection) -> None:
    _flush(conn.info)


def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    _flush(record.info)


def _flush(info: dict[Any, Any]) -> None:
    committed = info.pop(_COMMITTING, None)
    if committed is not None:
        anchor, key, seq, digest = committed
        anchor.write(key, "head", seq, digest)
