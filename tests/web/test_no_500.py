"""Inputs that once answered 500, on both databases: each now gets its answer (200 with nothing,
404 like any hidden id, or 422 in the error envelope naming the parameter or field), and a
refused report leaves nothing behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from maxim.domain.ids import mention_id
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report
from tests.network.helpers import records

HIDDEN = "SUT/2025/000001"


@pytest.fixture
def clients(database_url: str, tmp_path: Path, make_user: UserFactory) -> Iterator[tuple[TestClient, TestClient]]:
    """(owner, ann): Sutton's investigator holds an originator-only report and its network; Ann,
    an analyst elsewhere, may see none of it. A 500 comes back as a response, not an exception."""
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    owner, owner_token = make_user("sue", "BOCU-SUTTON", "investigator")
    _, ann_token = make_user("ann", "SCD6-MAXIM", "analyst")
    hidden = c_coded(
        originator="BOCU-SUTTON",
        reference=HIDDEN,
        share_with=[],
        entities=[
            person("p1", "Testperson Alpha", phone=["07700 900021"]),
            person("p2", "Testperson Bravo", phone=["07700 900021"]),
        ],
    )
    DataAccess(app.state.db, owner, channel="test").submit(records([hidden]))
    with (
        TestClient(app, headers={"Authorization": f"Bearer {owner_token}"}, raise_server_exceptions=False) as sue,
        TestClient(app, headers={"Authorization": f"Bearer {ann_token}"}, raise_server_exceptions=False) as ann,
    ):
        yield sue, ann
    app.state.db.dispose()


def refused(response: Response, *fields: str) -> list[dict[str, str]]:
    """The envelope's errors, after checking it is a 422 naming exactly these fields."""
    assert response.status_code == 422, response.text
    errors: list[dict[str, str]] = response.json()["error"]["errors"]
    assert [e["field"] for e in errors] == list(fields)
    assert all(e["reason"] for e in errors)
    return errors


def test_networks_and_paths_for_a_user_who_sees_nothing(clients: tuple[TestClient, TestClient]) -> None:
    sue, ann = clients
    [network] = sue.get("/api/networks").json()["networks"]  # the owner's scope has one network
    assert ann.get("/api/networks").json() == {"networks": []}
    assert ann.get("/api/networks", params={"refresh": "true"}).json() == {"networks": []}
    for path in (f"/api/networks/{network['id']}", f"/api/networks/{network['id']}/nominals", "/api/networks/NOPE"):
        response = ann.get(path)
        assert response.status_code == 404, (path, response.text)
    a, b = (mention_id("BOCU-SUTTON", HIDDEN, p) for p in ("p1", "p2"))
    assert sue.get("/api/path", params={"from": a, "to": b}).json()["paths"]
    response = ann.get("/api/path", params={"from": a, "to": b})  # as for an id that does not exist
    assert response.status_code == 404 and response.json()["error"]["title"] == "no such entity"


def test_a_search_filter_or_page_it_cannot_read_is_refused_naming_it(clients: tuple[TestClient, TestClient]) -> None:
    _, ann = clients
    [grading] = refused(ann.get("/search.json", params={"q": "nail", "grading": "ZZ"}), "grading")
    assert grading["reason"] == "use a 3x5x2 grading such as 1B, 2C C or C"
    page = ann.get("/search", params={"grading": "ZZ"})  # the page marks the filter, as the form does
    assert page.status_code == 422 and "use a 3x5x2 grading" in page.text
    [deep] = refused(ann.get("/search.json", params={"q": "nail", "page": "9223372036854775807"}), "page")
    assert "10000" in deep["reason"]
    refused(ann.get("/search.json", params={"q": "nail", "page": "0"}), "page")
    refused(ann.get("/search.json", params={"q": "nail", "to": "9999-12-31"}), "to")
    assert ann.get("/search.json", params={"q": "nail", "page": "10000"}).json()["reports"] == []


def test_a_committee_period_beyond_the_calendar_is_refused(clients: tuple[TestClient, TestClient]) -> None:
    _, ann = clients
    errors = refused(
        ann.get("/reports/committee.json", params={"from": "0001-01-01", "to": "9999-12-31"}), "from", "to"
    )
    assert errors[1]["reason"] == "must be between 1900-01-01 and 2999-12-31, got 9999-12-31"
    pdf = ann.get("/reports/committee.pdf", params={"from": "2025-04-01", "to": "9999-12-31"})
    assert pdf.status_code == 422 and "must be between 1900-01-01 and 2999-12-31" in pdf.text  # the error page


def _raw_json(body: dict[str, Any], text: str) -> bytes:
    """The report as JSON with `text` spliced in unescaped (a lone surrogate cannot be encoded)."""
    return json.dumps({**body, "text": "@TEXT@"}).replace('"@TEXT@"', text).encode()


UNSTORABLE = [  # (the body as sent, the field its error names)
    (_raw_json(report(), '"a lone \\ud800 surrogate"'), "text"),
    (json.dumps(report(title="nail\x00bar")).encode(), "title"),
    (json.dumps(report(reference="LAM/\x00")).encode(), "reference"),
    (json.dumps(report(themes=["VICE", "TRAFFICKING\x00"])).encode(), "themes"),
    (json.dumps(report(entities=[person("p1", "Test\x07person")])).encode(), "entities[0].properties.name"),
    (json.dumps(report(entities=[person("p1", "Testperson \udfff")])).encode(), "entities[0].properties.name"),
    # a field's name is text too; the answer names it with the surrogate escaped, so it can be sent
    (json.dumps(report()).replace('"kind"', '"ki\\ud800nd": 1, "kind"', 1).encode(), "ki\\ud800nd"),
]


def test_unstorable_characters_in_a_report_are_refused_and_nothing_is_stored(
    clients: tuple[TestClient, TestClient],
) -> None:
    sue, _ = clients
    for body, field in UNSTORABLE:
        response = sue.post("/api/reports", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 422, (field, response.text)
        reasons = [e["reason"] for e in response.json()["error"]["errors"] if e["field"] == field]
        assert any("U+" in r and "at character" in r for r in reasons), (field, response.text)
    assert sue.get("/index.json").json()["total"] == 1  # only the fixture's report
    # tab, newline and carriage return are text
    # sue's own unit, BOCU-SUTTON: the only originator she may submit as
    response = sue.post(
        "/api/reports", json=report(originator="BOCU-SUTTON", text="Line one\r\n\tindented\nline three")
    )
    assert response.status_code == 201, response.text


URL_PARAMETERS = [  # (a URL with NUL or another control character in a parameter, the parameter)
    ("/search.json?q=nail%00bar", "q"),
    ("/search?q=nail%00bar", "q"),
    ("/api/path?from=a%00&to=b", "from"),
    ("/api/reports/abc%00def", "report_id"),
    ("/api/entities/%00", "entity_id"),
    ("/api/networks/N%00", "network_id"),
    ("/reports/abc%01.json", "report_id"),
]


def test_a_nul_or_control_character_in_a_url_parameter_is_refused_naming_it(
    clients: tuple[TestClient, TestClient],
) -> None:
    _, ann = clients
    for url, field in URL_PARAMETERS:
        refused(ann.get(url, headers={"accept": "application/json"}), field)


def test_a_nul_in_any_json_body_or_declared_form_is_refused_and_the_intake_form_shows_it(
    clients: tuple[TestClient, TestClient],
) -> None:
    sue, _ = clients
    [error] = refused(sue.post("/api/tokens", json={"name": "laptop\x00", "days": 1}), "name")
    assert error["reason"].startswith("holds a NUL character (U+0000) at character 7")
    refused(sue.post("/api/sop", json=["rule\x00"]), "body")
    empty = sue.post("/api/tokens", content=b"", headers={"content-type": "application/json"})
    assert empty.status_code == 422, empty.text
    anonymous = TestClient(sue.app, raise_server_exceptions=False)
    login = anonymous.post("/login", data={"username": "sue\x00", "password": "x", "csrf_token": "t"})
    assert login.status_code == 422 and "U+0000" in login.text
    form = sue.get("/reports/new").text
    csrf = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    fields = {"kind": "intelligence", "originator": "BOCU-LAMBETH", "reference": "LAM/9", "title": "Pasted"}
    grading = {"source_evaluation": "2", "intelligence_assessment": "B", "handling_code": "P"}
    text = {"text": "from a document\x0bwith a vertical tab", "csrf_token": csrf}
    page = sue.post("/reports/new", data={**fields, **grading, **text}, headers={"accept": "text/html"})
    assert page.status_code == 422 and "holds a control character (U+000B)" in page.text  # beside the text
