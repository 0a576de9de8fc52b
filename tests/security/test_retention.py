"""MoPI review and disposal, and subject access, end to end on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text

from maxim.domain.errors import ValidationFailed
from maxim.domain.ids import mention_id
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess, Forbidden
from maxim.store.audit import verify
from maxim.store.engine import Database
from maxim.store.retention import DISPOSED, Retention
from maxim.store.tables import audit_log, reviews
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report

REF = load_reference()


def submit(access: DataAccess, raw: dict[str, object]) -> str:
    record = build_record(parse_report(raw, REF), received_by=access.actor.username, now=datetime.now(UTC))
    return access.submit([record])[0].report_id


def reviewer(db: Database, make_user: UserFactory, *roles: str, unit: str = "BOCU-LAMBETH") -> Retention:
    actor, _ = make_user("sup", unit, *(roles or ("supervisor",)))
    return Retention(DataAccess(db, actor, channel="test"))


def test_reports_get_a_mopi_group_and_review_date_from_their_themes(access: DataAccess) -> None:
    trafficking = access.report(submit(access, report(reference="T/1", themes=["TRAFFICKING"])))
    laundering = access.report(submit(access, report(reference="M/1", themes=["MONEY_LAUNDERING"])))
    assert trafficking is not None and laundering is not None
    assert (trafficking["mopi_group"], trafficking["review_due"]) == ("1", date(2035, 5, 1))
    assert (laundering["mopi_group"], laundering["review_due"]) == ("3", date(2031, 5, 1))


def test_the_unit_review_queue_and_a_retain_decision(db: Database, access: DataAccess, make_user: UserFactory) -> None:
    submit(access, report(reference="T/1", themes=["MONEY_LAUNDERING"]))
    retention = reviewer(db, make_user)
    assert retention.queue(date(2031, 4, 30)) == []
    [due] = retention.queue(date(2031, 5, 1))
    assert due["reference"] == "T/1"
    assert Retention(access).queue(date(2040, 1, 1)) == []  # another unit's queue
    outcome = retention.decide(
        "BOCU-LAMBETH", "T/1", decision="retain", reason="Linked to a live operation", as_of=date(2031, 5, 2)
    )
    assert (outcome.decision, outcome.next_review) == ("retain", date(2037, 5, 2))
    assert retention.queue(date(2036, 1, 1)) == []
    with db.reader.connect() as conn:
        row = conn.execute(select(reviews)).one()
    assert (row.decision, row.reason, row.decided_by) == ("retain", "Linked to a live operation", "sup")


def test_disposal_erases_every_version_and_leaves_a_tombstone(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    entities = [person("p1", "Disposable Testperson", phone=["07700 900444"])]
    first = submit(access, report(reference="D/1", entities=entities, title="About Disposable Testperson"))
    second = submit(access, report(reference="D/1", entities=entities, text="corrected"))
    person_id = access.report(second)["subjects"][0]["entity_id"]  # type: ignore[index]
    retention = reviewer(db, make_user)
    outcome = retention.decide(
        "BOCU-LAMBETH", "D/1", decision="dispose", reason="No longer necessary", as_of=date(2031, 6, 1)
    )
    assert outcome.erased_statements > 0
    assert access.entity(person_id) is None
    tombstone = access.report(first)
    assert tombstone is not None and tombstone["title"] == DISPOSED and tombstone["statements"] == []
    with db.reader.connect() as conn:
        dump = "\n".join(
            str(tuple(r))
            # On PostgreSQL also the distinct name spellings the similar-name search reads.
            for t in (
                "reports",
                "entities",
                "statements",
                "report_subjects",
                *([] if db.is_sqlite else ["name_spellings"]),
            )
            for r in conn.execute(text(f"SELECT * FROM {t}"))
        )
        erasures = conn.execute(select(audit_log).where(audit_log.c.operation == "ERASURE")).all()
        assert verify(conn)[1] is None
    assert "Disposable Testperson" not in dump and "+447700900444" not in dump
    assert len(erasures) == 1 and set(erasures[0].object_ids) == {first, second}
    assert erasures[0].justification == "No longer necessary"
    with pytest.raises(ValidationFailed, match="already been disposed"):
        retention.decide("BOCU-LAMBETH", "D/1", decision="dispose", reason="again", as_of=date(2031, 6, 2))


def test_reviews_need_a_reviewer_and_a_reason(db: Database, access: DataAccess, make_user: UserFactory) -> None:
    submit(access, report(reference="R/1"))
    analyst, _ = make_user("ann", "BOCU-LAMBETH", "analyst")
    with pytest.raises(Forbidden):
        Retention(DataAccess(db, analyst, channel="test")).decide(
            "BOCU-LAMBETH", "R/1", decision="retain", reason="x", as_of=date(2031, 1, 1)
        )
    with pytest.raises(ValidationFailed) as info:
        reviewer(db, make_user).decide("BOCU-LAMBETH", "R/1", decision="keep", reason=" ", as_of=date(2031, 1, 1))
    assert [str(e) for e in info.value.errors] == [
        "decision: must be retain or dispose, got 'keep'",
        "reason: is required: every review decision records why",
    ]


def test_subject_access_gathers_everything_but_what_is_withheld(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    entities = [person("p1", "Subject Testperson", phone=["07700 900555"])]
    open_id = submit(access, report(reference="S/1", entities=entities))
    hidden_id = submit(access, c_coded(reference="S/2", entities=entities, share_with=["CO14"]))
    withheld_id = submit(access, report(reference="S/3", entities=entities, text="operation in progress"))
    # One person named in three reports (resolution would join these mentions into one nominal).
    ids = [mention_id("BOCU-LAMBETH", ref, "p1") for ref in ("S/1", "S/2", "S/3")]
    dpo, _ = make_user("dee", "SCD6-MAXIM", "data_protection_officer")
    retention = Retention(DataAccess(db, dpo, channel="test"))
    copy, record = retention.subject_access(ids, {withheld_id: "avoid_prejudicing_crime"})
    sources = {item["source"] for item in copy["what_we_hold"]}
    # The C-coded report the DPO's unit could not normally see is included; the withheld one is not.
    assert sources == {"BOCU-LAMBETH S/1", "BOCU-LAMBETH S/2"} and open_id and hidden_id
    assert copy["recorded_as"] == ["suspect"]
    assert "withheld" not in copy
    assert record["withheld"][0]["ground"] == "avoid_prejudicing_crime"
    with db.reader.connect() as conn:
        disclosure = conn.execute(select(audit_log).where(audit_log.c.operation == "DISCLOSURE")).one()
    assert "recipient: the data subject" in disclosure.justification
    analyst, _ = make_user("ann", "SCD6-MAXIM", "analyst")
    with pytest.raises(Forbidden):
        Retention(DataAccess(db, analyst, channel="test")).subject_access(ids, {})
