"""The DPA 2018 s62 log: append-only and hash-chained, written inside the caller's transaction.

Each entry carries the hash of the one before it, so an edited, deleted or reordered row
breaks the chain from that point. Writing in the same transaction as the data means a
collection is logged exactly when it is committed, never on its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Connection, select, text

from maxim.store.tables import audit_log

GENESIS = "0" * 64
# Any fixed 64-bit key: serialises appends to the chain on PostgreSQL.
_PG_LOCK_KEY = 0x6D6178696D


class Operation(StrEnum):
    """Exactly the processing operations of DPA 2018 s62(1)(a)-(f)."""

    COLLECTION = "COLLECTION"
    ALTERATION = "ALTERATION"
    CONSULTATION = "CONSULTATION"
    DISCLOSURE = "DISCLOSURE"
    COMBINATION = "COMBINATION"
    ERASURE = "ERASURE"


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
