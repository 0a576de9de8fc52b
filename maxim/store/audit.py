"""The DPA 2018 s62 log: append-only, hash-chained and anchored, written inside the caller's transaction.

Each entry carries a sequence number and the hash of the one before it, and its own hash is
an HMAC under the installation's audit key, which lives in a file outside the database
(`maxim.store.audit_anchor`). An edited, deleted, inserted or reordered row breaks the chain
from that point; without the key nobody can re-chain or forge one; and the signed checkpoints
beside the key catch a cut tail or an emptied table. Writing in the same transaction as the
data means a collection is logged exactly when it is committed, never on its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, func, literal, select, text
from sqlalchemy.dialects.postgresql import JSONB

from maxim.store.audit_anchor import (
    GENESIS,
    AnchorInvalid,
    AuditAnchor,
    AuditKeyMissing,
    Checkpoint,
    anchor_of,
    pending,
)
from maxim.store.tables import audit_log, reports

__all__ = ["GENESIS", "AuditKeyMissing", "Broken", "EntryPage", "Operation", "append", "entries", "verify"]

# Any fixed 64-bit key: serialises appends to the chain on PostgreSQL.
_PG_LOCK_KEY = 0x6D6178696D


class Operation(StrEnum):
    """The processing operations of DPA 2018 s62(1)(a)-(f), then account security events."""

    COLLECTION = "COLLECTION"
    ALTERATION = "ALTERATION"
    CONSULTATION = "CONSULTATION"
    DISCLOSURE = "DISCLOSURE"
    COMBINATION = "COMBINATION"
    ERASURE = "ERASURE"
    # Not s62 operations, but kept in the same chain so that who logged in when is as
    # tamper-evident as what they looked at.
    LOGIN = "LOGIN"
    LOGIN_FAILED = "LOGIN_FAILED"
    LOGOUT = "LOGOUT"
    TOKEN_ISSUED = "TOKEN_ISSUED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    USER_CREATED = "USER_CREATED"
    USER_DISABLED = "USER_DISABLED"
    USER_ENABLED = "USER_ENABLED"
    PASSWORD_RESET = "PASSWORD_RESET"


def _fields(row: Any) -> list[Any]:
    # Hash the UTC wall time without an offset: SQLite gives datetimes back naive.
    at: datetime = row.at
    when = (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None).isoformat()
    return [
        row.prev_hash,
        when,
        row.username,
        row.operation,
        row.object_type,
        list(row.object_ids),
        row.justification,
        row.channel,
    ]


def entry_hash(key: bytes | None, row: Any) -> str:
    """The entry's hash: an HMAC under the audit key over its sequence number and every field.

    Without a key (a database opened with no key file, only possible from code) it is a plain
    SHA-256, which `verify` rejects as unkeyed.
    """
    body = json.dumps([row.seq, *_fields(row)], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def legacy_hash(row: Any) -> str:
    """The hash of an entry written before the audit key existed (migration 0014): no key, no seq."""
    body = json.dumps(_fields(row), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class _Entry:
    seq: int
    prev_hash: str
    at: datetime
    username: str
    operation: str
    object_type: str
    object_ids: list[str]
    justification: str | None
    channel: str


def append(
    conn: Connection,
    *,
    at: datetime,
    username: str,
    operation: Operation,
    object_type: str,
    object_ids: Sequence[str],
    channel: str,
    justification: str | None = None,
) -> None:
    """Append one entry to the chain, in the caller's transaction; its head is anchored after the commit."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    head = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    anchor = anchor_of(conn)
    key = _append_key(anchor, empty=head is None)
    entry = _Entry(
        (head.seq if head else 0) + 1,
        head.hash if head else GENESIS,
        at,
        username,
        operation.value,
        object_type,
        list(object_ids),
        justification,
        channel,
    )
    digest = entry_hash(key, entry)
    conn.execute(audit_log.insert().values(**asdict(entry), hash=digest))
    if anchor is not None and key is not None:
        pending(conn, anchor, key, entry.seq, digest)


def _append_key(anchor: AuditAnchor | None, *, empty: bool) -> bytes | None:
    if anchor is None:
        return None
    key = anchor.key()
    if key is not None:
        return key
    if empty:  # a new log: its key is made now
        return anchor.create()
    raise AuditKeyMissing(
        f"the audit key file {anchor.key_file} is missing but the audit log has entries, so nothing can be "
        "recorded (and nothing was stored): put the key file back from where it was kept"
    )


def seal(conn: Connection) -> AuditAnchor | None:
    """Make the audit key if there is none, sealing an unkeyed log written before migration 0014.

    Run by `upgrade` (so `maxim init` and the web server's start). A log whose last entry is
    keyed has lost its key: that is refused, as a new key would make every entry fail.
    """
    anchor = anchor_of(conn)
    if anchor is None or anchor.key() is not None:
        return anchor
    head = conn.execute(select(audit_log).order_by(audit_log.c.seq.desc()).limit(1)).first()
    if head is None:
        anchor.create()
    elif head.hash == legacy_hash(head):
        anchor.create(head.seq, head.hash)
    else:
        raise AuditKeyMissing(
            f"the audit key file {anchor.key_file} is missing but the audit log's entries are keyed: "
            "put the key file back from where it was kept"
        )
    return anchor


def mark_restored(conn: Connection) -> None:
    """After a restore: sign the restored head, so the checkpoints of the discarded later history are set aside.

    Checkpoints up to the restored head still have to match, so a doctored backup is still caught.
    """
    anchor = anchor_of(conn)
    key = anchor.key() if anchor is not None else None
    if anchor is None or key is None:
        return
    head = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    anchor.write(key, "restore", head.seq if head else 0, head.hash if head else GENESIS)


@dataclass(frozen=True, slots=True)
class Broken:
    """The first entry where the chain does not hold, and why."""

    entry_id: int | None
    reason: str
    seq: int | None = None

    def describe(self) -> str:
        """One line for the DPO: which entry, and what was done to it."""
        if self.entry_id is not None:
            return f"audit chain broken at entry {self.entry_id} (seq {self.seq}): {self.reason}"
        if self.seq is not None:
            return f"audit chain broken at seq {self.seq}: {self.reason}"
        return f"audit chain broken: {self.reason}"


def verify(conn: Connection) -> tuple[int, Broken | None]:
    """Recompute the chain and check it against the signed checkpoints: (entries checked, first break or None).

    A damaged anchors file is reported after the entries are walked without it, so that a
    wrong key names the first entry it fails on.
    """
    anchor = anchor_of(conn)
    if anchor is None:
        return 0, Broken(None, "no audit key file is configured for this database, so the chain cannot be checked")
    key = anchor.key()
    if key is None:
        if _head(conn) is None and not anchor.anchors_file.exists():
            return 0, None  # a new installation that has logged nothing yet
        return 0, Broken(
            None, f"the audit key file {anchor.key_file} is missing (deleted or moved): restore it to verify the log"
        )
    try:
        genesis, anchors = _read_checkpoints(anchor, key)
        unreadable: AnchorInvalid | None = None
    except AnchorInvalid as exc:
        genesis, anchors, unreadable = Checkpoint("genesis", 0, GENESIS, "", 0), {}, exc
    with conn.execution_options(yield_per=10_000).execute(select(audit_log).order_by(audit_log.c.id)) as rows:
        checked, broken, last = _walk(rows, key, genesis, anchors)
    if broken is not None:
        return checked, broken
    if unreadable is not None:
        return checked, Broken(None, str(unreadable))
    return checked, _tail(conn, anchor, key, anchors, last)


def _head(conn: Connection) -> Any:
    return conn.execute(select(audit_log.c.id, audit_log.c.seq).order_by(audit_log.c.seq.desc()).limit(1)).first()


def _read_checkpoints(anchor: AuditAnchor, key: bytes) -> tuple[Checkpoint, dict[int, Checkpoint]]:
    """The genesis checkpoint, and the earliest checkpoint in force for each seq (a restore sets later ones aside).

    The earliest, because a log cut back and written again gets a second, different checkpoint
    for the same seq: the first one is the history that was there.
    """
    if not anchor.anchors_file.exists():
        raise AnchorInvalid(0, f"{anchor.anchors_file} is missing (deleted): the end of the log cannot be checked")
    points = list(anchor.checkpoints(key))
    if not points or points[0].kind != "genesis":
        raise AnchorInvalid(1, "is not the checkpoint made with the key (the anchors file was replaced)")
    by_seq: dict[int, Checkpoint] = {}
    for point in points:
        if point.kind == "restore":
            by_seq = {s: p for s, p in by_seq.items() if s <= point.seq}
        if point.seq > 0:
            by_seq.setdefault(point.seq, point)
    return points[0], by_seq


def _walk(
    rows: Iterable[Any], key: bytes, genesis: Checkpoint, anchors: dict[int, Checkpoint]
) -> tuple[int, Broken | None, Any]:
    """Check every entry in table order: its seq, its link to the one before, its hash, its checkpoint."""
    expected_seq, expected_prev, checked, row = 1, GENESIS, 0, None
    for row in rows:
        checked += 1
        problem = _entry_problem(row, key, genesis, expected_seq, expected_prev, anchors.get(row.seq))
        if problem is not None:
            return checked, Broken(row.id, problem, row.seq), row
        expected_seq, expected_prev = row.seq + 1, row.hash
    return checked, None, row


def _entry_problem(
    row: Any, key: bytes, genesis: Checkpoint, expected_seq: int, expected_prev: str, anchor: Checkpoint | None
) -> str | None:
    if row.seq < expected_seq:
        return f"repeats seq {row.seq} of an earlier entry (an entry was duplicated, inserted or reordered)"
    if row.seq > expected_seq:
        missing = f"seq {expected_seq}" + (f"-{row.seq - 1}" if row.seq - 1 > expected_seq else "")
        return f"follows seq {expected_seq - 1}: {missing} missing (entries were deleted or reordered)"
    if row.prev_hash != expected_prev:
        return "does not follow the entry before it (an entry was deleted, inserted or reordered)"
    legacy = row.seq <= genesis.seq
    if (legacy_hash(row) if legacy else entry_hash(key, row)) != row.hash:
        if legacy:
            return "its content does not match its hash (an entry from before the audit key was altered)"
        return (
            "its content does not match its keyed hash (the entry was altered, re-chained or forged "
            "without the audit key, or the key file is not this log's)"
        )
    if legacy and row.seq == genesis.seq and row.hash != genesis.hash:
        return f"is not the entry sealed when the audit key was made ({genesis.at}): the old log was rewritten"
    if anchor is not None and anchor.hash != row.hash:
        return f"differs from the checkpoint signed at {anchor.at} (the log was rewritten from here)"
    return None


def _tail(
    conn: Connection, anchor: AuditAnchor, key: bytes, anchors: dict[int, Checkpoint], last: Any
) -> Broken | None:
    """The end of the table against the checkpoints: cut short, emptied, or run past the anchors file."""
    last_seq = last.seq if last is not None else 0
    furthest = max(anchors.values(), key=lambda p: p.seq, default=None)
    if furthest is not None and furthest.seq > last_seq:
        if last is None:
            reason = f"the log is empty but a checkpoint signed at {furthest.at} records seq {furthest.seq}"
            return Broken(None, f"{reason}: the table was emptied")
        cut = furthest.seq - last_seq
        return Broken(
            last.id,
            f"the log ends here but a checkpoint signed at {furthest.at} records seq {furthest.seq}: "
            f"the last {cut} entr{'y was' if cut == 1 else 'ies were'} deleted",
            last_seq,
        )
    # Read again: a commit during the walk writes its checkpoint just after.
    _, anchors_now = _read_checkpoints(anchor, key)
    covered = max(anchors_now, default=0)
    if last_seq > covered:
        first = conn.execute(select(audit_log.c.id).where(audit_log.c.seq == covered + 1)).scalar()
        return Broken(
            first,
            f"no checkpoint covers seq {covered + 1}-{last_seq}: the anchors file was replaced with an older copy "
            "(or the process stopped between a commit and its checkpoint; the next write adds one)",
            covered + 1,
        )
    return None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One logged event, as the DPO reads it."""

    id: int
    seq: int
    at: datetime
    username: str
    operation: str
    object_type: str
    object_ids: list[str]
    justification: str | None
    channel: str


@dataclass(frozen=True, slots=True)
class EntryPage:
    """A page of entries, newest first, and how many match in all."""

    rows: list[AuditEntry]
    total: int
    offset: int

    def describe(self) -> str:
        """'showing 1-50 of 1,234 entries', for the CLI and the web page."""
        if not self.rows:
            return f"no entries on this page ({self.total:,} in all)" if self.total else "no entries"
        return f"showing {self.offset + 1:,}-{self.offset + len(self.rows):,} of {self.total:,} entries"


def _mentions(conn: Connection, object_id: str) -> ColumnElement[bool]:
    """Entries whose object list holds the id, in SQL on both databases (one export names thousands)."""
    if conn.dialect.name == "postgresql":
        return audit_log.c.object_ids.cast(JSONB).contains(literal([object_id], JSONB))
    each = func.json_each(audit_log.c.object_ids).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == object_id))


def entries(
    conn: Connection,
    *,
    object_id: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    operations: Sequence[Operation] | None = None,
    limit: int = 50,
    offset: int = 0,
) -> EntryPage:
    """Entries for the DPO's questions (who viewed X, what did Y do), newest first, a page at a time."""
    where: list[ColumnElement[bool]] = []
    if username is not None:
        where.append(audit_log.c.username == username)
    if since is not None:
        where.append(audit_log.c.at >= since)
    if operations:
        where.append(audit_log.c.operation.in_([o.value for o in operations]))
    if object_id is not None:
        where.append(_mentions(conn, object_id))
    total = conn.execute(select(func.count()).select_from(audit_log).where(*where)).scalar_one()
    query = select(audit_log).where(*where).order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
    rows = [AuditEntry(**{name: row._mapping[name] for name in AuditEntry.__slots__}) for row in conn.execute(query)]
    return EntryPage(rows, int(total), offset)


def report_identity(conn: Connection, report_id: str) -> dict[str, Any] | None:
    """Which report an audit trail is about (id, originator, reference, version), whoever may see its content.

    For the DPO's audit page: the trail is metadata, and reading it must not depend on the
    DPO's own need-to-know, but nothing of the report's content is read here.
    """
    row = conn.execute(
        select(reports.c.id, reports.c.originator, reports.c.reference, reports.c.version).where(
            reports.c.id == report_id
        )
    ).first()
    return None if row is None else {**row._mapping, "title": None, "grading": None, "handling_code": None}
