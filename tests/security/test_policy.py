"""Need-to-know per statement, on both databases, through the one data-access layer."""

from __future__ import annotations

from datetime import UTC, datetime

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report

REF = load_reference()


def submit(access: DataAccess, raw: dict[str, object]) -> str:
    record = build_record(parse_report(raw, REF), received_by=access.actor.username, now=datetime.now(UTC))
    return access.submit([record])[0].report_id


def as_user(
    db: Database, make_user: UserFactory, name: str, unit: str, *roles: str, external: bool = False
) -> DataAccess:
    actor, _ = make_user(name, unit, *roles, external=external)
    return DataAccess(db, actor, channel="test")


def test_c_coded_reports_reach_only_the_originator_and_named_grantees(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    c_id = submit(access, c_coded(reference="C/1", share_with=["SCD6-HTT", "financial_investigator"]))
    p_id = submit(access, report(reference="P/1"))
    lambeth = as_user(db, make_user, "lam", "BOCU-LAMBETH", "investigator")  # the originator
    htt = as_user(db, make_user, "htt", "SCD6-HTT", "investigator")  # a named unit
    fin = as_user(db, make_user, "fin", "SCD6-FIN", "financial_investigator")  # a named role
    maxim = as_user(db, make_user, "max", "SCD6-MAXIM", "analyst")  # not named
    newham = as_user(db, make_user, "new", "BOCU-NEWHAM", "investigator")  # not named
    for reader in (lambeth, htt, fin):
        assert reader.report(c_id) is not None
    for reader in (maxim, newham):
        assert reader.report(c_id) is None
        assert [r["id"] for r in reader.latest_reports()] == [p_id]
        assert reader.counts()["reports"] == 1
        assert reader.count_reports() == 1
        assert {s["report_id"] for s in reader.iter_statements()} == {p_id}


def test_victim_details_are_for_safeguarding_and_the_investigating_unit(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    entities = [
        person("s1", "Testsuspect Alpha", role="suspect", phone=["07700 900111"]),
        person("v1", "Testvictim Beta", role="victim", phone=["07700 900222"]),
        {"id": "l1", "schema": "Associate", "properties": {"person": ["s1"], "associate": ["v1"]}},
    ]
    rid = submit(access, report(reference="V/1", entities=entities, text="Victim seen at the flat."))
    safeguarding = as_user(db, make_user, "sg", "SCD6-HTT", "safeguarding_lead")
    lambeth = as_user(db, make_user, "lam", "BOCU-LAMBETH", "investigator")  # the originator investigates
    analyst = as_user(db, make_user, "ann", "SCD6-MAXIM", "analyst")
    full = safeguarding.report(rid)
    assert full is not None
    victim_id = next(s["entity_id"] for s in full["subjects"] if s["category"] == "victim")
    for reader in (safeguarding, lambeth):
        seen = reader.report(rid)
        assert seen is not None and {s["category"] for s in seen["subjects"]} == {"suspect", "victim"}
        assert reader.entity(victim_id) is not None
    limited = analyst.report(rid)
    assert limited is not None
    assert [s["category"] for s in limited["subjects"]] == ["suspect"]
    values = {s["value"] for s in limited["statements"]}
    assert "Testvictim Beta" not in values and "+447700900222" not in values
    assert victim_id not in values  # not even the link that points at the victim
    assert analyst.entity(victim_id) is None
    assert analyst.counts()["statements"] < safeguarding.counts()["statements"]


def test_external_accounts_see_nothing_and_cannot_submit(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    submit(access, report(reference="P/1"))
    liaison = as_user(db, make_user, "liaison", "UKHTC", "partner_liaison", external=True)
    assert liaison.latest_reports() == [] and liaison.counts() == {"reports": 0, "statements": 0, "entities": 0}
    record = build_record(parse_report(report(reference="X/1"), REF), received_by="liaison", now=datetime.now(UTC))
    try:
        liaison.submit([record])
    except PermissionError as exc:
        assert "may not submit" in str(exc)
    else:
        raise AssertionError("an external account submitted a report")
