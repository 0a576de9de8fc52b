"""Search within the limits of `maxim/reference/limits.yaml`, on both engines: a query of thousands
of words or characters is refused naming the field `q` (through the store and the web app), a
query at the limit is answered, and a word shorter than three letters matches whole words only
instead of a prefix that would match most of the index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maxim.domain.errors import ValidationFailed
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference.limits import load_limits
from maxim.settings import Settings
from maxim.store import search
from maxim.store.access import DataAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import person, report
from tests.route.helpers import REF, T0

LIMITS = load_limits()
NONE = search.Filters()


def submit(access: DataAccess, body: dict[str, object]) -> str:
    [done] = access.submit([build_record(parse_report(body, REF), received_by="admin", now=T0)])
    return done.report_id


def refusal(run: object) -> tuple[str, str]:
    with pytest.raises(search.BadSearch) as info:
        run()  # type: ignore[operator]
    return info.value.field, info.value.reason


def test_a_query_of_thousands_of_words_is_refused_naming_the_search_field(access: DataAccess) -> None:
    submit(access, report())
    huge = ("a " * 5000).strip()
    too_long = ("q", "is 9,999 characters long; a search may be at most 200 characters")
    assert refusal(lambda: search.search_reports(access, huge, NONE)) == too_long
    assert refusal(lambda: search.search_names(access, huge, NONE)) == too_long
    many = " ".join(["nail"] * (LIMITS.search_words + 1))
    too_many = ("q", "has 21 words; a search may have at most 20 (every word must match, so fewer words find more)")
    assert refusal(lambda: search.search_reports(access, many, NONE)) == too_many
    assert refusal(lambda: search.search_names(access, many, NONE)) == too_many


def test_a_refused_search_is_a_validation_error_with_its_field() -> None:
    error = search.BadSearch("q", "is too long")
    assert isinstance(error, ValidationFailed)
    assert [(e.field, e.reason) for e in error.errors] == [("q", "is too long")]
    assert str(error) == "q: is too long"


def test_a_query_at_the_limits_is_answered(access: DataAccess) -> None:
    submit(access, report(title="Nail bar", text="Workers at the nail bar."))
    words = " ".join(["nail"] * LIMITS.search_words)
    total, rows = search.search_reports(access, words, NONE)
    assert (total, [r["title"] for r in rows]) == (1, ["Nail bar"])
    assert search.search_names(access, "x" * LIMITS.search_characters, NONE) == []


def test_words_under_three_letters_match_whole_words_not_prefixes(access: DataAccess) -> None:
    submit(access, report(reference="R/1", entities=[person("p1", "Li Alpharson")]))
    submit(access, report(reference="R/2", entities=[person("p1", "Lindqvist Bravo")]))

    def exact(query: str) -> list[str]:
        found = search.search_names(access, query, NONE, fuzzy=False)
        return sorted(r["caption"] for r in found)

    assert exact("li") == ["Li Alpharson"]  # not Lindqvist: "li" is not a prefix search
    assert exact("a*") == []  # the star is not syntax; "a" is a whole word no name has
    assert exact("lin") == ["Lindqvist Bravo"]  # three letters and more match as prefixes
    assert exact("alp") == ["Li Alpharson"]


@pytest.fixture
def client(database_url: str, tmp_path: Path, make_user: UserFactory) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    _, token = make_user("ann", "SCD6-MAXIM", "analyst")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client
    app.state.db.dispose()


def test_the_search_page_refuses_a_huge_query_naming_the_field(client: TestClient) -> None:
    response = client.get("/search.json", params={"q": "a " * 5000})
    assert response.status_code == 422
    assert response.json()["error"]["errors"] == [
        {"field": "q", "reason": "is 9,999 characters long; a search may be at most 200 characters"}
    ]
