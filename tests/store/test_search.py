"""Read-side queries of the analyst pages, on both engines: links into an entity, and similar names
(accents, word order and case aside) only when exact ones leave room on the page."""

from __future__ import annotations

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.store import search
from maxim.store.access import DataAccess
from maxim.web.views import _all_entity_props
from tests.factories import person, report
from tests.route.helpers import REF, T0


def submit(access: DataAccess, body: dict[str, object]) -> str:
    [done] = access.submit([build_record(parse_report(body, REF), received_by="admin", now=T0)])
    return done.report_id


def test_statements_pointing_at_an_entity_are_found(access: DataAccess) -> None:
    body = report(
        entities=[
            person("p1", "Testperson Bravo", addressEntity=["a1"]),
            {"id": "a1", "schema": "Address", "properties": {"full": ["14 Example Road"]}},
        ]
    )
    stored = access.report(submit(access, body))
    assert stored is not None
    address = next(s["entity_id"] for s in stored["statements"] if s["schema"] == "Address")
    [link] = search.statements_pointing_at(access, address, _all_entity_props())
    assert (link["schema"], link["prop"], link["value"]) == ("Person", "addressEntity", address)


def test_similar_names_fill_the_page_only_when_exact_matches_leave_room(access: DataAccess) -> None:
    submit(access, report(reference="R/1", entities=[person("p1", "Testperson Alpha")]))
    submit(access, report(reference="R/2", entities=[person("p1", "Testperson Alpah")]))
    both = search.search_names(access, "Testperson Alpha", search.Filters())
    assert [r["match"] for r in both] == ["exact", "similar"]
    first = search.search_names(access, "Testperson Alpha", search.Filters(), limit=1)
    assert first == both[:1]


def test_similar_names_are_found_whatever_the_accents_word_order_and_case(access: DataAccess) -> None:
    submit(access, report(reference="R/1", entities=[person("p1", "HOÀNG Thị Hằng")]))
    submit(access, report(reference="R/2", entities=[person("p1", "Testperson Unrelated")]))
    [found] = search.search_names(access, "hangg thi hoang", search.Filters())
    assert (found["caption"], found["match"]) == ("HOÀNG Thị Hằng", "similar")
    assert found["score"] >= search.FUZZY_THRESHOLD
    assert search.search_names(access, "Zzyzx Qwerty", search.Filters()) == []
