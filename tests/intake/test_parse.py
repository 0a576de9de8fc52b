from __future__ import annotations

from typing import Any

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.intake.parse import parse_report
from maxim.reference import load_reference
from tests.factories import c_coded, person, report

REF = load_reference()


def reasons(raw: Any) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        parse_report(raw, REF)
    return [str(e) for e in info.value.errors]


def test_valid_report_parses_with_utc_dates_and_entities() -> None:
    parsed = parse_report(report(received_at="2025-05-01T11:00:00+01:00"), REF)
    assert parsed.received_at.isoformat() == "2025-05-01T10:00:00+00:00"
    assert parsed.grading.label == "2B P"
    assert [e.local_id for e in parsed.entities] == ["p1", "a1"]
    assert parsed.themes == ("TRAFFICKING", "VICE")


def test_every_error_is_reported_at_once_with_its_field() -> None:
    got = reasons(
        report(
            kind="rumour",
            originator="NOWHERE",
            received_at="yesterday",
            source_evaluation="4",
            nim_level=7,
            themes=["DRUGS"],
            colour="red",
        )
    )
    assert got == [
        "colour: unknown field; see docs/intake-format.md",
        "kind: must be intelligence, referral, sar, precursor or partner, got 'rumour'",
        "originator: is not a known unit or partner code: 'NOWHERE'",
        "received_at: is not a date: 'yesterday'",
        "source_evaluation: must be 1, 2 or 3, got '4'",
        "nim_level: must be 1, 2 or 3, got 7",
        "themes: unknown theme 'DRUGS'; known: PEOPLE_SMUGGLING, TRAFFICKING, VICE, DOCUMENT_FRAUD, "
        "CHILD_EXPLOITATION, MONEY_LAUNDERING, IMMIGRATION_ABUSE",
    ]


def test_required_fields() -> None:
    raw = report()
    for key in ("received_at", "reference"):
        del raw[key]
    assert reasons(raw) == [
        "reference: is required (the originator's own reference)",
        "received_at: is required",
    ]


def test_intelligence_date_cannot_follow_receipt() -> None:
    assert reasons(report(intelligence_date="2025-06-01")) == ["intelligence_date: is after received_at"]


def test_c_code_report_without_conditions_is_refused() -> None:
    assert reasons(c_coded(handling_conditions="")) == ["handling_conditions: handling_code C requires conditions"]


def test_person_needs_a_data_subject_category() -> None:
    no_role = person("p9", "Testperson Beta")
    del no_role["role"]
    other = person("p8", "Testperson Gamma", role="other")
    got = reasons(report(entities=[no_role, other]))
    assert got == [
        "entities[0].role: a Person needs its data-subject category: suspect, convicted, victim, witness or other",
        "entities[1].role_detail: role 'other' must say what the person is",
    ]


def test_entity_schema_property_and_links_are_checked_against_followthemoney() -> None:
    entities = [
        {"id": "x", "schema": "Spaceship", "properties": {}},
        {
            "id": "a",
            "schema": "Address",
            "role": "victim",
            "properties": {"wingspan": ["3m"], "full": [1]},
        },
    ]
    assert reasons(report(entities=entities)) == [
        "entities[0].schema: is not a FollowTheMoney schema: 'Spaceship'",
        "entities[1].role: is only for Person entities",
        "entities[1].properties.wingspan: is not a property of Address",
        "entities[1].properties.full: must be a string or a list of strings",
    ]


def test_links_must_point_at_entities_of_the_report_of_the_right_schema() -> None:
    entities = [
        person("p1", "Testperson Alpha"),
        {"id": "a1", "schema": "Address", "properties": {"full": ["1 Example Road"]}},
        {"id": "l1", "schema": "Associate", "properties": {"person": ["p1"], "associate": ["a1"]}},
        {"id": "l2", "schema": "Associate", "properties": {"person": ["p1"], "associate": ["p7"]}},
        {"id": "p1", "schema": "Person", "role": "victim", "properties": {"name": ["Dup"]}},
    ]
    assert reasons(report(entities=entities)) == [
        "entities[4].id: 'p1' is used twice",
        "entities[2].properties.associate: must point at a Person, 'a1' is a Address",
        "entities[3].properties.associate: points at 'p7', which is not an entity of this report",
    ]


def test_csv_forms_of_themes_and_entities_are_accepted() -> None:
    parsed = parse_report(
        report(
            themes="trafficking; vice",
            entities='[{"id": "v", "schema": "Vehicle", "properties": {"registrationNumber": "ab12 cde"}}]',
        ),
        REF,
    )
    assert parsed.themes == ("TRAFFICKING", "VICE")
    assert parsed.entities[0].properties == {"registrationNumber": ["ab12 cde"]}


def test_content_hash_ignores_formatting_but_not_content() -> None:
    a = parse_report(report(), REF)
    b = parse_report(report(source_evaluation=2, themes=["vice", "trafficking"]), REF)
    c = parse_report(report(text="Different text"), REF)
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash


@pytest.mark.parametrize("raw", [None, [], "report", 42])
def test_non_objects_are_refused(raw: Any) -> None:
    assert reasons(raw) == ["report: must be a JSON object"]
