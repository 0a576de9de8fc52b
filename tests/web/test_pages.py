"""The analyst's pages: intake form, search, link chart, timeline, audit trail; on both engines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

from maxim.settings import Settings
from maxim.store.engine import Database
from maxim.store.schema import full_metadata
from maxim.store.tables_search import include_name
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[object]:
    application = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    yield application
    application.state.db.dispose()


def client_for(app: object, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]


def session_client(app: object, username: str) -> tuple[TestClient, str]:
    """A browser-like client logged in with a session cookie; returns it and its CSRF token."""
    client = TestClient(app)  # type: ignore[arg-type]
    login = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token
    client.post("/login", data={"username": username, "password": UserFactory.PASSWORD, "csrf_token": token.group(1)})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/reports/new").text)
    assert csrf
    return client, csrf.group(1)


FORM = {
    "kind": "intelligence",
    "originator": "SCD6-MAXIM",
    "reference": "MAX/WEB/1",
    "title": "Women controlled at flat above nail bar",
    "source_evaluation": "2",
    "intelligence_assessment": "B",
    "handling_code": "C",
    "handling_conditions": "Contact originator before any executive action",
    "action_code": "A2",
    "sanitisation_code": "S1",
    "share_with": "SCD6-HTT",
    "themes": "TRAFFICKING",
    "subject-1-name": "Testperson Alpha",
    "subject-1-dob": "1984-03-02",
    "subject-1-phone": "07700 900123",
    "subject-1-role": "suspect",
    "text": "Phone 07700 900123 used by the controller; flat at SE1 7XX.",
}


def test_the_intake_form_records_a_graded_c_report_and_shows_the_identifiers(
    app: object, make_user: UserFactory
) -> None:
    make_user("ivy", "SCD6-MAXIM", "intake_officer")
    client, csrf = session_client(app, "ivy")
    response = client.post("/reports/new", data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "Report recorded" in page.text and "2B C" in page.text
    assert "+447700900123" in page.text and "SE1 7XX" in page.text
    stored = client.get(response.headers["location"].split("?")[0] + ".json").json()
    assert stored["share_with"] == ["SCD6-HTT"]
    assert [s["caption"] for s in stored["subjects"]] == ["Testperson Alpha"]


def test_a_refused_form_names_each_field_and_keeps_what_was_typed(app: object, make_user: UserFactory) -> None:
    make_user("ivy", "SCD6-MAXIM", "intake_officer")
    client, csrf = session_client(app, "ivy")
    bad = {**FORM, "csrf_token": csrf, "source_evaluation": "", "action_code": "", "subject-2-phone": "07700 900124"}
    response = client.post("/reports/new", data=bad)
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert 'href="#source_evaluation"' in response.text
    assert 'href="#action_code"' in response.text
    assert 'href="#subject-2-name">Person 2, name: enter the person' in response.text
    assert 'value="Testperson Alpha"' in response.text  # nothing typed is lost
    assert client.get("/index.json").json()["total"] == 0


def test_under_p_the_c_fields_are_ignored_and_the_form_needs_its_csrf_token(
    app: object, make_user: UserFactory
) -> None:
    make_user("ivy", "SCD6-MAXIM", "intake_officer")
    client, csrf = session_client(app, "ivy")
    assert client.post("/reports/new", data={**FORM, "handling_code": "P"}).status_code == 403
    response = client.post(
        "/reports/new", data={**FORM, "handling_code": "P", "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get(response.headers["location"].split("?")[0] + ".json").json()["handling_code"] == "P"


def test_search_finds_words_and_similar_names_and_never_counts_what_is_hidden(
    app: object, make_user: UserFactory
) -> None:
    _, owner = make_user("sutton", "BOCU-SUTTON", "investigator")
    _, other = make_user("ann", "SCD6-MAXIM", "analyst")
    sutton = client_for(app, owner)
    visible = report(originator="BOCU-SUTTON", reference="S/1", title="Nail bar visit", text="Workers at the nail bar.")
    hidden = c_coded(
        originator="BOCU-SUTTON",
        reference="S/2",
        share_with=[],
        title="Nail bar secret",
        text="Secret source on the nail bar.",
        entities=[person("p1", "Hiddenname Person")],
    )
    assert sutton.post("/api/reports", json=visible).status_code == 201
    assert sutton.post("/api/reports", json=hidden).status_code == 201
    ann = client_for(app, other)
    assert sutton.get("/search.json?q=nail+bar").json()["total"] == 2
    seen = ann.get("/search.json?q=nail+bar").json()
    assert seen["total"] == 1 and [r["title"] for r in seen["reports"]] == ["Nail bar visit"]
    assert ann.get("/search.json?q=Hiddenname").json()["entities"] == []
    assert "No names match" in ann.get("/search?q=Hiddenname").text
    similar = sutton.get("/search.json?q=Testperson+Alpah").json()["entities"]
    assert similar and similar[0]["caption"] == "Testperson Alpha" and similar[0]["match"] == "similar"
    exact = sutton.get("/search.json?q=testperson").json()["entities"]
    assert exact[0]["match"] == "exact"
    assert sutton.get("/search.json?q=nail&grading=2B+C").json()["total"] == 1
    assert sutton.get("/search.json?q=nail&theme=VICE&unit=BOCU-SUTTON").json()["total"] == 2
    assert sutton.get("/search.json?q=nail&theme=VICE&unit=BOCU-LAMBETH").json()["total"] == 0
    assert sutton.get("/search.json?q=nail&from=2030-01-01").json()["total"] == 0
    refused = sutton.get("/search.json?q=nail&from=yesterday")
    assert refused.status_code == 422
    assert refused.json()["error"]["errors"] == [
        {"field": "from", "reason": "use a date as YYYY-MM-DD, for example 2025-04-28 (got 'yesterday')"}
    ]
    page = sutton.get("/search?q=nail&from=yesterday")  # the form again, the filter at fault marked
    assert page.status_code == 422 and "use a date as YYYY-MM-DD" in page.text


def test_the_link_chart_joins_shared_identifiers_and_lists_the_reports_behind_each_edge(
    app: object, make_user: UserFactory
) -> None:
    _, token = make_user("ann", "BOCU-LAMBETH", "analyst")  # the reports' own unit submits them
    client = client_for(app, token)
    first = client.post("/api/reports", json=report()).json()
    second = report(
        reference="LAM/2",
        title="Bravo",
        entities=[
            person("p1", "Testperson Bravo", phone=["07700 900123"], addressEntity=["a1"]),
            {"id": "a1", "schema": "Address", "properties": {"full": ["14 Example Road"]}},
        ],
    )
    client.post("/api/reports", json=second)
    alpha = next(s["entity_id"] for s in client.get(f"/api/reports/{first['report_id']}").json()["subjects"])
    graph = client.get(f"/entities/{alpha}/graph.json").json()
    labels = {n["label"] for n in graph["nodes"]}
    assert {"Testperson Alpha", "Testperson Bravo"} <= labels
    phone = next(e for e in graph["edges"] if e["type"] == "phone" and e["label"] == "+447700900123")
    assert {r["reference"] for r in phone["reports"]} >= {"LAM/2025/000001", "LAM/2"}
    bravo = next(n["id"] for n in graph["nodes"] if n["label"] == "Testperson Bravo")
    expanded = client.get(f"/entities/{bravo}/graph.json").json()
    assert any(e["type"] == "addressEntity" for e in expanded["edges"])
    graphml = client.get(f"/entities/{alpha}/graph.graphml")
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    assert b"<graphml" in graphml.content and b"Testperson Bravo" in graphml.content
    assert "Testperson Bravo" in client.get(f"/entities/{alpha}").text  # the links table
    timeline = client.get(f"/entities/{alpha}/timeline.json").json()
    assert [e["reference"] for e in timeline["events"]] == ["LAM/2025/000001"]


def test_only_audit_roles_read_a_reports_audit_trail(app: object, make_user: UserFactory) -> None:
    _, analyst = make_user("ann", "BOCU-LAMBETH", "analyst")
    _, dpo = make_user("dee", "SCD6-MAXIM", "data_protection_officer")
    created = client_for(app, analyst).post("/api/reports", json=report()).json()
    refused = client_for(app, analyst).get(f"/reports/{created['report_id']}/audit.json")
    assert refused.status_code == 403
    trail = client_for(app, dpo).get(f"/reports/{created['report_id']}/audit.json").json()
    assert next(e["operation"] for e in trail["events"]) == "COLLECTION"
    assert trail["events"][0]["username"] == "ann"


def test_the_search_index_is_left_out_of_schema_comparison(db: Database) -> None:
    with db.reader.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        assert compare_metadata(context, full_metadata()) == []
