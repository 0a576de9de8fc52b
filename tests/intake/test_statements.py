from __future__ import annotations

from datetime import UTC, datetime

from maxim.domain import ids
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from tests.factories import person, report

REF = load_reference()
NOW = datetime(2025, 5, 2, tzinfo=UTC)


def record(**overrides: object):  # type: ignore[no-untyped-def]
    return build_record(parse_report(report(**overrides), REF), received_by="tester", now=NOW)


def test_ids_are_deterministic_and_entities_stable_across_versions() -> None:
    first, again, changed = record(), record(), record(text="New text")
    assert [s["id"] for s in first.statements] == [s["id"] for s in again.statements]
    assert first.report["id"] != changed.report["id"]
    mention = ids.mention_id("BOCU-LAMBETH", "LAM/2025/000001", "p1")
    assert mention in {e["id"] for e in first.entities}
    assert mention in {e["id"] for e in changed.entities}


def test_every_statement_names_its_report_and_identifiers_are_normalised() -> None:
    rec = record()
    assert {s["report_id"] for s in rec.statements} == {rec.report["id"]}
    by_prop = {(s["schema"], s["prop"]): s for s in rec.statements if s["origin"] == "given"}
    phone = by_prop[("Person", "phone")]
    assert (phone["value"], phone["original_value"], phone["identifier_kind"], phone["valid"]) == (
        "+447700900123",
        "07700 900123",
        "phone",
        True,
    )
    postcode = by_prop[("Address", "postalCode")]
    assert (postcode["value"], postcode["original_value"]) == ("SE1 7XX", "se17xx")
    assert by_prop[("Person", "birthDate")]["value"] == "1984-03-02"


def test_invalid_values_are_kept_as_given_with_the_reason() -> None:
    rec = record(
        entities=[
            person(
                "p1",
                "Testperson Alpha",
                phone=["not a phone"],
                passportNumber=["12-34"],
                birthDate=["last spring"],
            )
        ]
    )
    bad = {s["prop"]: s for s in rec.statements if not s["valid"]}
    assert set(bad) == {"phone", "passportNumber", "birthDate"}
    for statement in bad.values():
        assert statement["value"] == statement["original_value"]
        assert statement["reason"]
    assert bad["birthDate"]["reason"] == "not a valid date"


def test_identifiers_in_free_text_become_extracted_statements_with_spans() -> None:
    text = "Phone 07700 900123 used by the controller; flat at SE1 7XX; car AB12 CDE seen."
    rec = record(text=text)
    extracted = [s for s in rec.statements if s["origin"] == "extracted"]
    assert [(s["identifier_kind"], s["value"]) for s in extracted] == [
        ("phone", "+447700900123"),
        ("postcode", "SE1 7XX"),
        ("vrm", "AB12CDE"),
    ]
    for s in extracted:
        assert text[s["span_start"] : s["span_end"]] == s["original_value"]
        assert s["entity_id"] == ids.report_document_id("BOCU-LAMBETH", "LAM/2025/000001")
        assert s["schema"] == "PlainText"
    assert {s["prop"] for s in extracted} == {"phoneMentioned", "locationMentioned", "keywords"}


def test_links_point_at_entity_ids_and_subjects_carry_the_category() -> None:
    entities = [
        person("p1", "Testperson Alpha", role="suspect"),
        person("p2", "Testperson Beta", role="victim"),
        {"id": "l1", "schema": "Associate", "properties": {"person": ["p1"], "associate": ["p2"]}},
    ]
    rec = record(entities=entities, text="")
    link = {s["prop"]: s["value"] for s in rec.statements if s["schema"] == "Associate"}
    p1 = ids.mention_id("BOCU-LAMBETH", "LAM/2025/000001", "p1")
    p2 = ids.mention_id("BOCU-LAMBETH", "LAM/2025/000001", "p2")
    assert link == {"person": p1, "associate": p2}
    assert {(s["entity_id"], s["category"]) for s in rec.subjects} == {
        (p1, "suspect"),
        (p2, "victim"),
    }
