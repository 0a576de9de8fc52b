from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from maxim.intake.parse import parse_report
from maxim.intake.statements import ReportRecord, build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess, Outcome
from maxim.store.engine import Database
from maxim.store.tables import audit_log, entities, report_subjects, reports, statements
from tests.factories import report

REF = load_reference()


def record(**overrides: object) -> ReportRecord:
    return build_record(parse_report(report(**overrides), REF), received_by="admin", now=datetime.now(UTC))


def count(db: Database, table: object) -> int:
    with db.reader.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_submit_stores_the_whole_report_and_reads_it_back(access: DataAccess, db: Database) -> None:
    rec = record()
    [result] = access.submit([rec])
    assert (result.outcome, result.version) == (Outcome.CREATED, 1)
    stored = access.report(result.report_id)
    assert stored is not None
    assert stored["handling_code"] == "P" and stored["themes"] == ["TRAFFICKING", "VICE"]
    assert {s["id"] for s in stored["statements"]} == {s["id"] for s in rec.statements}
    assert [s["category"] for s in stored["subjects"]] == ["suspect"]
    assert count(db, report_subjects) == 1


def test_the_same_report_twice_is_one_report(access: DataAccess, db: Database) -> None:
    access.submit([record()])
    before = (count(db, reports), count(db, statements), count(db, entities))
    [again] = access.submit([record(), record()][:1])
    assert again.outcome == Outcome.UNCHANGED
    assert (count(db, reports), count(db, statements), count(db, entities)) == before


def test_duplicates_within_one_batch_are_one_report(access: DataAccess, db: Database) -> None:
    results = access.submit([record(), record()])
    assert [r.outcome for r in results] == [Outcome.CREATED, Outcome.UNCHANGED]
    assert count(db, reports) == 1


def test_a_changed_resubmission_is_a_new_version_that_supersedes(access: DataAccess) -> None:
    [v1] = access.submit([record()])
    [v2] = access.submit([record(text="Corrected: the car was AB12 CDF.")])
    assert (v2.outcome, v2.version) == (Outcome.NEW_VERSION, 2)
    assert access.count_reports() == 1
    old, new = access.report(v1.report_id), access.report(v2.report_id)
    assert old is not None and new is not None
    assert (old["is_current"], new["is_current"]) == (False, True)
    assert [v["version"] for v in new["versions"]] == [1, 2]
    # The entity is the same across versions; only the current version's facts show on it.
    person_id = new["subjects"][0]["entity_id"]
    entity = access.entity(person_id)
    assert entity is not None
    assert {s["report_id"] for s in entity["statements"]} == {v2.report_id}


def test_a_failing_write_leaves_nothing_behind(access: DataAccess, db: Database) -> None:
    good = record(reference="GOOD/1")
    broken = record(reference="BROKEN/1")
    broken.statements[0]["value"] = None  # violates NOT NULL inside the transaction
    with pytest.raises(IntegrityError):
        access.submit([good, broken])
    assert (
        count(db, reports),
        count(db, statements),
        count(db, entities),
        count(db, audit_log),
    ) == (0, 0, 0, 0)
    # and the good one goes in on its own afterwards
    assert access.submit([good])[0].outcome == Outcome.CREATED


def test_collection_consultation_and_alteration_are_audited_in_a_chain(access: DataAccess, db: Database) -> None:
    [v1] = access.submit([record()])
    access.report(v1.report_id)
    access.submit([record(text="changed")])
    with db.reader.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    assert [(r.operation, r.object_type, r.username, r.channel) for r in rows] == [
        ("COLLECTION", "report", "admin", "test"),
        ("CONSULTATION", "report", "admin", "test"),
        ("ALTERATION", "report", "admin", "test"),
    ]
    assert rows[0].object_ids == [v1.report_id]
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_entity_view_lists_statements_with_report_grading(access: DataAccess) -> None:
    [result] = access.submit([record(source_evaluation="1", intelligence_assessment="A")])
    stored = access.report(result.report_id)
    assert stored is not None
    entity = access.entity(stored["subjects"][0]["entity_id"])
    assert entity is not None
    assert entity["schema"] == "Person" and entity["caption"] == "Testperson Alpha"
    assert {(s["prop"], s["source_evaluation"], s["intelligence_assessment"]) for s in entity["statements"]} >= {
        ("name", "1", "A"),
        ("phone", "1", "A"),
    }
    assert access.entity("no-such-entity") is None
    assert access.report("no-such-report") is None


def test_counts_and_export_cover_current_statements(access: DataAccess) -> None:
    access.submit([record(), record(reference="LAM/2025/000002")])
    totals = access.counts()
    exported = list(access.iter_statements())
    assert totals["reports"] == 2
    assert totals["statements"] == len(exported) > 0
    assert all(row["originator"] == "BOCU-LAMBETH" for row in exported)


def test_a_newer_version_submitted_in_the_same_batch(access: DataAccess) -> None:
    results = access.submit([record(), record(text="second")])
    assert [(r.outcome, r.version) for r in results] == [
        (Outcome.CREATED, 1),
        (Outcome.NEW_VERSION, 2),
    ]
    assert access.count_reports() == 1
    stored = access.report(results[1].report_id)
    assert stored is not None and stored["is_current"]


def test_records_are_not_mutated_by_submit(access: DataAccess) -> None:
    rec = record()
    snapshot = replace(rec, report=dict(rec.report))
    access.submit([rec])
    assert rec.report == snapshot.report
