"""The s62 audit chain: every tampering with the log is detected and named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, select, update

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from maxim.store.audit import entries, verify
from maxim.store.engine import Database
from maxim.store.tables import audit_log
from tests.factories import report

REF = load_reference()


def activity(access: DataAccess) -> list[int]:
    for i in range(3):
        record = build_record(parse_report(report(reference=f"A/{i}"), REF), received_by="admin", now=datetime.now(UTC))
        [result] = access.submit([record])
        access.report(result.report_id)
    with access.db.reader.connect() as conn:
        return list(conn.execute(select(audit_log.c.id).order_by(audit_log.c.id)).scalars())


def check(db: Database) -> tuple[int, object]:
    with db.reader.connect() as conn:
        return verify(conn)


def test_an_untouched_chain_verifies(access: DataAccess, db: Database) -> None:
    ids = activity(access)
    assert check(db) == (len(ids), None)


def test_an_edited_entry_is_named(access: DataAccess, db: Database) -> None:
    ids = activity(access)
    with db.writer.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.id == ids[2]).values(username="someone-else"))
    _, broken = check(db)
    assert broken is not None and broken.entry_id == ids[2] and "altered" in broken.reason


def test_a_deleted_entry_is_detected_at_the_next(access: DataAccess, db: Database) -> None:
    ids = activity(access)
    with db.writer.begin() as conn:
        conn.execute(delete(audit_log).where(audit_log.c.id == ids[1]))
    _, broken = check(db)
    assert broken is not None and broken.entry_id == ids[2] and "deleted or reordered" in broken.reason


def test_reordered_entries_are_detected(access: DataAccess, db: Database) -> None:
    ids = activity(access)
    with db.writer.begin() as conn:
        rows = {r.id: dict(r._mapping) for r in conn.execute(select(audit_log).where(audit_log.c.id.in_(ids[1:3])))}
        for target, source in ((ids[1], ids[2]), (ids[2], ids[1])):
            values = {k: v for k, v in rows[source].items() if k != "id"}
            conn.execute(update(audit_log).where(audit_log.c.id == target).values(**values))
    _, broken = check(db)
    assert broken is not None and broken.entry_id == ids[1]


@pytest.mark.parametrize("operation", ["CONSULTATION"])
def test_who_viewed_lists_consultations_of_an_object(access: DataAccess, db: Database, operation: str) -> None:
    record = build_record(parse_report(report(), REF), received_by="admin", now=datetime.now(UTC))
    [result] = access.submit([record])
    access.report(result.report_id)
    access.report(result.report_id)
    with db.reader.connect() as conn:
        page = entries(conn, object_id=result.report_id)
    # Newest first (the DPO's question is usually "who looked lately").
    assert [(r.operation, r.username) for r in page.rows] == [
        (operation, "admin"),
        (operation, "admin"),
        ("COLLECTION", "admin"),
    ]
    assert page.total == 3
