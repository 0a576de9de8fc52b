"""The DPO's questions answered in full: exports name every report and entity they carried, and
who-viewed / by-user page through any number of entries (newest first); on both databases."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from maxim.cli import app
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.share.service import export_ftm
from maxim.store.access import DataAccess
from maxim.store.audit import Operation, append, entries
from maxim.store.engine import Database
from maxim.store.export_audit import audited
from maxim.store.retention import Retention
from maxim.store.tables import statements
from tests.conftest import UserFactory
from tests.factories import report

REF = load_reference()
VIEWS = [Operation.CONSULTATION, Operation.DISCLOSURE]


def stored(access: DataAccess, reference: str = "Q/1") -> tuple[str, str]:
    record = build_record(parse_report(report(reference=reference), REF), received_by="admin", now=datetime.now(UTC))
    [result] = access.submit([record])
    with access.db.reader.connect() as conn:
        entity = conn.execute(select(statements.c.entity_id).where(statements.c.report_id == result.report_id)).scalar()
    assert entity is not None
    return result.report_id, entity


def exports_of(db: Database, object_id: str) -> list[str]:
    with db.reader.connect() as conn:
        page = entries(conn, object_id=object_id, operations=VIEWS)
    return [f"{r.operation} {r.justification}" for r in page.rows if r.object_type in ("export", "entity")]


def test_a_statements_export_names_each_report_and_entity(access: DataAccess, db: Database) -> None:
    report_id, entity_id = stored(access)
    assert exports_of(db, report_id) == []
    exported = list(access.iter_statements())
    assert exported
    assert exports_of(db, report_id) == ["CONSULTATION bulk export: statements"]
    assert exports_of(db, entity_id) == ["CONSULTATION bulk export: statements"]


def test_an_ftm_export_names_each_report_and_entity(access: DataAccess, db: Database) -> None:
    report_id, entity_id = stored(access)
    assert export_ftm(access, io.StringIO()) > 0
    [found] = exports_of(db, report_id)
    assert found.startswith("DISCLOSURE recipient: admin")
    assert exports_of(db, entity_id) == [found]


def test_a_subject_access_export_names_the_reports_disclosed(
    access: DataAccess, db: Database, make_user: UserFactory
) -> None:
    report_id, entity_id = stored(access)
    dpo, _ = make_user("dee", "SCD6-MAXIM", "data_protection_officer")
    Retention(DataAccess(db, dpo, channel="test")).subject_access([entity_id], {})
    for object_id in (report_id, entity_id):
        [found] = exports_of(db, object_id)
        assert found.startswith("DISCLOSURE subject access request")


def test_each_batch_is_logged_before_it_is_handed_on(access: DataAccess, db: Database) -> None:
    rows = [{"report_id": f"r{i}", "entity_id": f"e{i}"} for i in range(5)]
    out = audited(access, rows, operation=Operation.CONSULTATION, justification="test export", batch=2)
    assert next(out) == rows[0]
    assert exports_of(db, "r1") and not exports_of(db, "r2")  # the first batch only, so far
    assert list(out) == rows[1:]
    with db.reader.connect() as conn:
        page = entries(conn, username="admin", operations=[Operation.CONSULTATION])
    assert [r.object_ids for r in page.rows if r.justification == "test export"] == [
        ["r4", "e4"],
        ["r2", "r3", "e2", "e3"],
        ["r0", "r1", "e0", "e1"],
    ]


def many(db: Database, count: int, object_ids: list[str]) -> None:
    with db.writer.begin() as conn:
        for i in range(count):
            append(
                conn,
                at=datetime.now(UTC),
                username="viewer",
                operation=Operation.CONSULTATION,
                object_type="report",
                object_ids=[*object_ids, f"other-{i}"],
                channel="test",
                justification=f"look {i}",
            )


def test_who_viewed_pages_past_a_thousand_entries_newest_first(db: Database, admin: object) -> None:
    many(db, 1205, ["r-popular"])
    with db.reader.connect() as conn:
        first = entries(conn, object_id="r-popular", limit=50)
        last = entries(conn, object_id="r-popular", limit=50, offset=1200)
        one = entries(conn, object_id="other-7")
    assert first.total == last.total == 1205
    assert first.describe() == "showing 1-50 of 1,205 entries"
    assert [r.justification for r in first.rows[:2]] == ["look 1204", "look 1203"]
    assert last.describe() == "showing 1,201-1,205 of 1,205 entries"
    assert [r.justification for r in last.rows] == [f"look {i}" for i in (4, 3, 2, 1, 0)]
    assert [r.justification for r in one.rows] == ["look 7"]  # an exact id, not a prefix of other-70..79


def test_the_cli_pages_and_says_what_it_shows(database_url: str, tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    for i in range(3):  # three collections by admin
        batch = tmp_path / f"batch{i}.jsonl"
        batch.write_text(json.dumps(report(reference=f"P/{i}")) + "\n")
        assert runner.invoke(app, ["ingest", str(batch), "--workers", "1"], env=env).exit_code == 0
    listed = runner.invoke(app, ["audit", "by-user", "admin", "--limit", "1", "--page", "2"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "showing 2-2 of" in listed.output and "--page N for more" in listed.output
    bad = runner.invoke(app, ["audit", "by-user", "admin", "--page", "0"], env=env)
    assert bad.exit_code == 2 and "--page" in bad.output


runner = CliRunner()
