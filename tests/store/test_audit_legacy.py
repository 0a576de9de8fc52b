"""A log written before the audit key (migration 0014) gets its seq numbers and is sealed under the
new key: it still verifies, and a later edit of it is detected; on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text, update

from maxim.store.audit import Operation, append, legacy_hash, verify
from maxim.store.engine import Database
from maxim.store.migrate import _config, upgrade
from maxim.store.tables import audit_log

GENESIS = "0" * 64
INSERT = text(
    "INSERT INTO audit_log (at, username, operation, object_type, object_ids, justification, channel, prev_hash, hash) "
    "VALUES (:at, :username, :operation, :object_type, :object_ids, :justification, :channel, :prev_hash, :hash)"
)


class _Row:
    def __init__(self, values: dict[str, object]) -> None:
        self.__dict__.update(values)


def legacy_log(db: Database) -> None:
    """Back to the revision before 0014, three entries hashed the old way, then `maxim init`'s upgrade."""
    config = _config()
    with db.writer.begin() as conn:
        config.attributes["connection"] = conn
        before = ScriptDirectory.from_config(config).get_revision("0014_audit_anchor").down_revision
        command.downgrade(config, str(before))
    prev = GENESIS
    with db.writer.begin() as conn:
        for i in range(3):
            values: dict[str, object] = {
                "at": datetime(2025, 1, 1 + i, tzinfo=UTC).replace(tzinfo=None),
                "username": "admin",
                "operation": "COLLECTION",
                "object_type": "report",
                "object_ids": [f"r{i}"],
                "justification": None,
                "channel": "cli",
                "prev_hash": prev,
            }
            prev = legacy_hash(_Row(values))
            conn.execute(INSERT, {**values, "object_ids": f'["r{i}"]', "hash": prev})
    upgrade(db)


def check(db: Database) -> tuple[int, object]:
    with db.reader.connect() as conn:
        return verify(conn)


def test_an_old_log_is_numbered_sealed_and_still_verifies(db: Database) -> None:
    legacy_log(db)
    with db.reader.connect() as conn:
        assert list(conn.execute(select(audit_log.c.seq).order_by(audit_log.c.id)).scalars()) == [1, 2, 3]
    assert check(db) == (3, None)
    with db.writer.begin() as conn:  # a new, keyed entry after the sealed ones
        append(
            conn,
            at=datetime.now(UTC),
            username="dee",
            operation=Operation.CONSULTATION,
            object_type="report",
            object_ids=["r1"],
            channel="test",
        )
    assert check(db) == (4, None)


def test_editing_the_sealed_log_is_detected(db: Database) -> None:
    legacy_log(db)
    with db.writer.begin() as conn:
        rows = list(conn.execute(select(audit_log).order_by(audit_log.c.id)))
        # Edit the second entry and re-chain the old way: the old hashes hold, but not the seal.
        prev = rows[0].hash
        for row in rows[1:]:
            values = {**row._mapping, "prev_hash": prev, "username": "someone-else"}
            prev = legacy_hash(_Row(values))
            conn.execute(
                update(audit_log)
                .where(audit_log.c.id == row.id)
                .values(username="someone-else", prev_hash=values["prev_hash"], hash=prev)
            )
    _, broken = check(db)
    assert broken is not None and broken.entry_id == rows[-1].id
    assert "is not the entry sealed when the audit key was made" in broken.describe()
