"""The DPA 2018 s62 log: append-only and hash-chained, written inside the caller's transaction.

Each entry carries the hash of the one before it, so an edited, deleted or reordered row
breaks the chain from that point. Writing in the same transaction as the data means a
collection is logged exactly when it is committed, never on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select, text

from maxim.store.tables import audit_log

GENESIS = "0" * 64
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


def entry_hash(
    prev_hash: str,
    at: datetime,
    username: str,
    operation: str,
    object_type: str,
    object_ids: Sequence[str],
    justification: str | None,
    channel: str,
) -> str:
    # Hash the UTC wall time without an offset: SQLite gives datetimes back naive.
    when = (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None).isoformat()
    body = json.dumps(
        [
            prev_hash,
            when,
            username,
            operation,
            object_type,
            list(object_ids),
            justification,
            channel,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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
    """Append one entry to the chain, in the caller's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.id.desc()).limit(1)).scalar()
    prev_hash = prev or GENESIS
    digest = entry_hash(prev_hash, at, username, operation.value, object_type, object_ids, justification, channel)
    conn.execute(
        audit_log.insert().values(
            at=at,
            username=username,
            operation=operation.value,
            object_type=object_type,
            object_ids=list(object_ids),
            justification=justification,
            channel=channel,
            prev_hash=prev_hash,
            hash=digest,
        )
    )


@dataclass(frozen=True, slots=True)
class Broken:
    """The first entry where the chain does not hold, and why."""

    entry_id: int
    reason: str


def verify(conn: Connection) -> tuple[int, Broken | None]:
    """Recompute the chain: (entries checked, the first broken entry or None).

    An edited entry no longer matches its own hash; a deleted or reordered one breaks the
    link from the next entry to the one before it.
    """
    with conn.execution_options(yield_per=10_000).execute(select(audit_log).order_by(audit_log.c.id)) as rows:
        return _walk(rows)


def _walk(rows: Any) -> tuple[int, Broken | None]:
    expected_prev = GENESIS
    checked = 0
    for row in rows:
        checked += 1
        if row.prev_hash != expected_prev:
            return checked, Broken(row.id, "does not follow the entry before it (an entry was deleted or reordered)")
        digest = entry_hash(
            row.prev_hash,
            row.at,
            row.username,
            row.operation,
            row.object_type,
            row.object_ids,
            row.justification,
            row.channel,
        )
        if digest != row.hash:
            return checked, Broken(row.id, "its content does not match its hash (the entry was altered)")
        expected_prev = row.hash
    return checked, None


def entries(
    conn: Connection,
    *,
    object_id: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    operations: Sequence[Operation] | None = None,
    limit: int = 1000,
) -> list[dict[str, Any]]:
    """Audit entries for the data-protection officer's questions: who viewed X, what did Y do."""
    query = select(audit_log).order_by(audit_log.c.id)
    if username is not None:
        query = query.where(audit_log.c.username == username)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if operations:
        query = query.where(audit_log.c.operation.in_([o.value for o in operations]))
    out = []
    for row in conn.execute(query):
        if object_id is not None and object_id not in (row.object_ids or []):
            continue
        out.append(dict(row._mapping))
        if len(out) >= limit:
            break
    return out
