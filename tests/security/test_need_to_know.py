"""Need-to-know at the edges: who may submit as whom, captions, the victim's side, old versions.

Each test is a fault that was found: a unit submitting as another and so reading its hidden
captions; a victim's address and links shown to every internal role; an earlier P version
still readable after the report was re-graded C. All run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.intake.parse import parse_report
from maxim.intake.statements import ReportRecord, build_record
from maxim.reference import load_reference
from maxim.store import search
from maxim.store.access import Actor, DataAccess, Outcome, Submitted
from maxim.store.engine import Database
from maxim.web.views import graph_view, graphml, timeline_view
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report


def record(raw: dict[str, Any]) -> ReportRecord:
    return build_record(parse_report(raw, load_reference()), received_by="test", now=datetime.now(UTC))


def submit(access: DataAccess, raw: dict[str, Any]) -> Submitted:
    [done] = access.submit([record(raw)])
    return done


def as_user(db: Database, actor: Actor) -> DataAccess:
    return DataAccess(db, actor, channel="test")


# -- item 2: who may submit as which originator -----------------------------------------------


@pytest.mark.parametrize(
    ("unit", "roles", "originator", "allowed"),
    [
        ("BOCU-LAMBETH", ("investigator",), "BOCU-LAMBETH", True),
        ("BOCU-LAMBETH", ("investigator",), "CO14", False),
        ("BOCU-LAMBETH", ("intake_officer",), "NCA", False),  # not NCA's intake point
        ("SCD6-MAXIM", ("intake_officer",), "NCA", True),  # the clearinghouse's intake takes partner reports
        ("SCD6-MAXIM", ("intake_officer",), "UKHTC", True),
        ("SCD6-MAXIM", ("analyst",), "NCA", False),  # the intake point, but not its intake officer
        ("SCD6-MAXIM", ("intake_officer",), "CO14", False),  # partners only, never another unit
        ("SCD6-MAXIM", ("administrator",), "CO14", True),  # loading other units' records
    ],
)
def test_submit_only_as_own_unit_or_a_partner_taken_in(
    db: Database, make_user: UserFactory, unit: str, roles: tuple[str, ...], originator: str, allowed: bool
) -> None:
    actor, _ = make_user("someone", unit, *roles)
    raw = report(originator=originator, reference="X/1")
    if allowed:
        done = submit(as_user(db, actor), raw)
        assert done.originator == originator and done.outcome == Outcome.CREATED
        stored = as_user(db, actor).report(done.report_id)
        assert stored is not None and stored["originator"] == originator and stored["created_by"] == "test"
        return
    with pytest.raises(ValidationFailed) as refused:
        submit(as_user(db, actor), raw)
    [error] = refused.value.errors
    assert error.field == "originator" and unit in error.reason
    assert DataAccess(db, actor, channel="test").counts()["reports"] == 0


def test_a_batch_with_one_foreign_originator_stores_nothing(db: Database, make_user: UserFactory) -> None:
    actor, _ = make_user("bo", "BOCU-LAMBETH", "investigator")
    own, foreign = record(report(reference="LAM/1")), record(report(originator="CO14", reference="CO/1"))
    with pytest.raises(ValidationFailed) as refused:
        as_user(db, actor).submit([own, foreign])
    assert [(e.field, "CO14" in e.reason) for e in refused.value.errors] == [("reports[1].originator", True)]
    assert as_user(db, actor).counts()["reports"] == 0


# -- item 2: captions through need-to-know ------------------------------------------------------


def test_a_stored_caption_is_shown_only_with_a_statement_that_gives_it(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    """The entity row is written by a report's first version; a later P version names it otherwise."""
    hidden = c_coded(
        originator="CO14",
        reference="CO14/1",
        share_with=[],
        entities=[person("p1", "Hiddenname Secretperson", phone=["07700 900501"])],
    )
    first = submit(access, hidden)
    second = submit(access, report(originator="CO14", reference="CO14/1", entities=[person("p1", "Shownname Person")]))
    assert second.outcome == Outcome.NEW_VERSION
    viewer, _ = make_user("bo", "BOCU-LAMBETH", "investigator")
    data = as_user(db, viewer)
    entity_id = next(s["entity_id"] for s in (data.report(second.report_id) or {})["statements"])
    shown: list[str] = []
    page = data.entity(entity_id)
    assert page is not None
    shown.append(page["caption"])
    shown.extend(r["caption"] for r in search.search_names(data, "Shownname", search.Filters()))
    chart = graph_view(data, entity_id)
    assert chart is not None
    shown.extend([chart["caption"], *(n["label"] for n in chart["nodes"]), graphml(chart).decode()])
    timeline = timeline_view(data, entity_id)
    assert timeline is not None
    shown.append(timeline["caption"])
    shown.extend(s["caption"] for s in (data.report(second.report_id) or {})["statements"])
    assert "Shownname Person" in shown
    assert not any("Hiddenname" in text for text in shown), shown
    # The originator, who may see the first version, sees its caption on that version.
    owner, _ = make_user("cora", "CO14", "investigator")
    old = as_user(db, owner).report(first.report_id)
    assert old is not None
    assert {s["caption"] for s in old["statements"] if s["schema"] == "Person"} == {"Hiddenname Secretperson"}


# -- item 3: the victim's side of a report -------------------------------------------------------


def victim_report(**overrides: Any) -> dict[str, Any]:
    """A suspect, a victim with an address of her own and one shared with the suspect, and a link."""
    fields: dict[str, Any] = {
        "originator": "BOCU-SUTTON",
        "reference": "SUT/V/1",
        "text": "Victim found.",
        "entities": [
            {
                **person("s1", "Plainsight Suspect"),
                "properties": {"name": ["Plainsight Suspect"], "addressEntity": ["a2"]},
            },
            {
                **person("v1", "Hushed Victimname", role="victim"),
                "properties": {"name": ["Hushed Victimname"], "addressEntity": ["a1", "a2"]},
            },
            {"id": "a1", "schema": "Address", "properties": {"full": ["9 Quietvictim Close, Sutton SM1 9ZZ"]}},
            {"id": "a2", "schema": "Address", "properties": {"full": ["1 Shared Row, Sutton SM2 1AA"]}},
            {
                "id": "l1",
                "schema": "UnknownLink",
                "properties": {"subject": ["s1"], "object": ["v1"], "role": ["trafficked"]},
            },
        ],
    }
    fields.update(overrides)
    return report(**fields)


def ids_of(done: Submitted) -> dict[str, str]:
    from maxim.domain import ids

    return {local: ids.mention_id(done.originator, done.reference, local) for local in ("s1", "v1", "a1", "a2", "l1")}


def test_the_victims_address_and_links_are_withheld(db: Database, access: DataAccess, make_user: UserFactory) -> None:
    done = submit(access, victim_report())
    ent = ids_of(done)
    borough, _ = make_user("bo", "BOCU-LAMBETH", "investigator")
    data = as_user(db, borough)
    page = data.report(done.report_id)
    assert page is not None
    seen = {s["entity_id"] for s in page["statements"]}
    assert seen == {ent["s1"], ent["a2"]}  # the suspect and the address she shares with the victim
    assert "trafficked" not in str(page) and "Quietvictim" not in str(page) and "Hushed" not in str(page)
    for hidden in ("v1", "a1", "l1"):
        assert data.entity(ent[hidden]) is None
        assert graph_view(data, ent[hidden]) is None
    chart = graph_view(data, ent["s1"])
    assert chart is not None and {n["id"] for n in chart["nodes"]} == {ent["s1"], ent["a2"]}
    exported = list(data.iter_statements())
    assert {s["entity_id"] for s in exported} == {ent["s1"], ent["a2"]}
    assert data.counts() == {"reports": 1, "statements": len(exported), "entities": 2}
    # Those entitled see all of it: the safeguarding lead anywhere, the originating unit.
    for unit, role in (("SCD6-HTT", "safeguarding_lead"), ("BOCU-SUTTON", "investigator")):
        entitled, _ = make_user(f"u-{role}", unit, role)
        full = as_user(db, entitled).report(done.report_id)
        assert full is not None and {s["entity_id"] for s in full["statements"]} == set(ent.values())
        assert "trafficked" in str(full) and "Quietvictim" in str(full)


# -- item 4: the current version governs every version ---------------------------------------------


def test_an_earlier_version_follows_the_current_handling(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    first = submit(access, report(originator="BOCU-SUTTON", reference="SUT/R/1", text="Oldversiontext public."))
    regraded = c_coded(originator="BOCU-SUTTON", reference="SUT/R/1", share_with=[], text="Now C, originator only.")
    second = submit(access, regraded)
    assert second.outcome == Outcome.NEW_VERSION
    borough, _ = make_user("bo", "BOCU-LAMBETH", "investigator")
    data = as_user(db, borough)
    assert data.report(first.report_id) is None
    assert data.report(second.report_id) is None
    assert search.reports_by_id(data, [first.report_id, second.report_id]) == []
    assert search.search_reports(data, "Oldversiontext", search.Filters())[0] == 0
    owner, _ = make_user("sue", "BOCU-SUTTON", "investigator")
    old = as_user(db, owner).report(first.report_id)
    assert old is not None and "Oldversiontext" in old["text"]
    assert [v["version"] for v in old["versions"]] == [1, 2]
    # Re-graded P again: the earlier versions are readable again, each under its own handling.
    submit(access, report(originator="BOCU-SUTTON", reference="SUT/R/1", text="Public once more."))
    again = data.report(first.report_id)
    assert again is not None and [v["version"] for v in again["versions"]] == [1, 3]


def _marks(db: Database) -> dict[str, tuple[bool, bool]]:
    """Each statement's stored victim-detail mark beside what the rule says of it now."""
    from sqlalchemy import select

    from maxim.store.tables import statements
    from maxim.store.victim_rule import victim_detail

    with db.reader.connect() as conn:
        rows = conn.execute(select(statements.c.id, statements.c.victim_detail, victim_detail().label("rule")))
        return {r.id: (bool(r.victim_detail), bool(r.rule)) for r in rows}


def test_the_stored_victim_mark_is_the_rule_and_the_migration_marks_what_is_there(
    db: Database, access: DataAccess
) -> None:
    from sqlalchemy import update

    from maxim.store.tables import statements
    from maxim.store.victim_rule import mark_all

    submit(access, victim_report())
    submit(access, victim_report(reference="SUT/V/2", text="Victim found again."))
    submit(access, report(reference="LAM/PLAIN/1"))  # no victim: nothing marked
    marks = _marks(db)
    assert all(stored == rule for stored, rule in marks.values())
    assert 0 < sum(stored for stored, _ in marks.values()) < len(marks)
    with db.writer.begin() as conn:  # as the column stood when migration 0016 added it
        conn.execute(update(statements).values(victim_detail=False))
        mark_all(conn)
    assert _marks(db) == marks
