"""The write path's SQL (`maxim.store.bulk`) gives what SQLAlchemy's plain inserts gave, on both engines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from maxim.intake.parse import parse_report
from maxim.intake.statements import ReportRecord, build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess, Outcome
from maxim.store.bulk import insert_ignore, insert_new
from maxim.store.engine import BATCH_CHECKPOINT_PAGES, Database
from maxim.store.tables import entities, reports, statements
from tests.factories import report

REF = load_reference()


def record(**overrides: object) -> ReportRecord:
    return build_record(parse_report(report(**overrides), REF), received_by="admin", now=datetime.now(UTC))


def test_fresh_rows_whose_key_is_there_after_all_are_skipped_and_the_rest_stored(
    access: DataAccess, db: Database
) -> None:
    [stored] = access.submit([record()])
    with db.reader.connect() as conn:
        existing = dict(conn.execute(select(statements).limit(1)).one()._mapping)
    new = {**existing, "id": "s" * 40}
    with db.writer.begin() as conn:
        insert_ignore(conn, statements, [existing, new], fresh=True)  # PostgreSQL: COPY fails, then skips
        conn.execute(select(reports.c.id)).all()  # the transaction is still usable
    with db.reader.connect() as conn:
        ids = set(conn.execute(select(statements.c.id).where(statements.c.report_id == stored.report_id)).scalars())
    assert new["id"] in ids and existing["id"] in ids


def test_a_fresh_row_that_breaks_a_constraint_still_fails_the_transaction(db: Database, access: DataAccess) -> None:
    access.submit([record()])
    with db.reader.connect() as conn:
        row = dict(conn.execute(select(statements).limit(1)).one()._mapping)
    with pytest.raises(IntegrityError), db.writer.begin() as conn:
        insert_ignore(conn, statements, [{**row, "id": "t" * 40, "report_id": "no such report"}], fresh=True)


def _stored_report(db: Database, report_id: str) -> dict[str, Any]:
    # Raw SQL, so the comparison is of what the engine holds, not of what SQLAlchemy reads back.
    with db.reader.connect() as conn:
        row = conn.execute(text("SELECT * FROM reports WHERE id = :id"), {"id": report_id}).one()
    return {k: v for k, v in row._mapping.items() if k not in ("id", "reference")}


def test_insert_new_stores_what_sqlalchemy_stored(db: Database) -> None:
    base = record().report
    rows = [{**base, "id": f"{n}" * 40, "reference": f"REF/{n}", "version": 1, "is_current": True} for n in (1, 2)]
    with db.writer.begin() as conn:
        conn.execute(reports.insert(), rows[:1])
        insert_new(conn, reports, rows[1:])
    assert _stored_report(db, rows[0]["id"]) == _stored_report(db, rows[1]["id"])


def test_insert_new_leaves_a_column_a_row_does_not_give_to_its_server_default(db: Database) -> None:
    row = {**record().report, "version": 1, "is_current": True}
    del row["mopi_group"]
    with db.writer.begin() as conn:
        insert_new(conn, reports, [row])
    assert _stored_report(db, row["id"])["mopi_group"] == "3"


def test_insert_new_refuses_a_key_that_is_there(db: Database) -> None:
    rows = [{"id": "e" * 40, "schema": "Person", "caption": "A"}]
    with db.writer.begin() as conn:
        insert_new(conn, entities, rows)
    with pytest.raises(IntegrityError), db.writer.begin() as conn:
        insert_new(conn, entities, rows)


def test_versions_are_found_for_more_reports_than_one_lookup_takes(access: DataAccess) -> None:
    first = [record(reference=f"MANY/{n}") for n in range(450)]  # the lookup takes 400 keys at a time
    assert {r.outcome for r in access.submit(first)} == {Outcome.CREATED}
    again = [replace(r) for r in first[:5]] + [record(reference=f"MANY/{n}", text="changed") for n in range(450)]
    results = access.submit(again)
    assert [r.outcome for r in results[:5]] == [Outcome.UNCHANGED] * 5
    assert {(r.outcome, r.version) for r in results[5:]} == {(Outcome.NEW_VERSION, 2)}
    assert access.count_reports() == 450


def test_a_batch_checkpoints_sqlites_log_less_often_and_only_while_it_runs(db: Database) -> None:
    def interval() -> int | None:
        if not db.is_sqlite:
            return None
        with db.writer.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())

    before = interval()
    with db.batch_writes():
        during = interval()
        with db.batch_writes():  # nested: the outer batch's interval comes back, not SQLite's default
            pass
        assert interval() == during
    assert interval() == before
    if db.is_sqlite:
        assert (before, during) == (1000, BATCH_CHECKPOINT_PAGES)
