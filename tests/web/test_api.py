from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maxim.settings import Settings
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, report


@pytest.fixture
def client(database_url: str, tmp_path: Path, make_user: UserFactory) -> Iterator[TestClient]:
    """A client logged in by bearer token as an analyst of the clearinghouse (SCD6-MAXIM)."""
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    _, token = make_user("ann", "SCD6-MAXIM", "analyst")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client
    app.state.db.dispose()


def test_submit_a_report_and_read_it_back(client: TestClient) -> None:
    # As the submitter's own unit: a user submits only as their unit (or a partner they take in).
    response = client.post("/api/reports", json=c_coded(originator="SCD6-MAXIM"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["outcome"], body["version"], body["grading"]) == ("created", 1, "2B C")
    assert [(e["identifier_kind"], e["value"]) for e in body["extracted"]] == [
        ("phone", "+447700900123"),
        ("postcode", "SE1 7XX"),
        ("vrm", "AB12CDE"),
    ]
    stored = client.get(body["links"]["self"]).json()
    assert stored["handling_conditions"] == "Contact originator before any executive action"
    assert stored["grading"] == "2B C"
    person = next(s for s in stored["subjects"] if s["category"] == "suspect")
    entity = client.get(f"/api/entities/{person['entity_id']}").json()
    assert entity["caption"] == "Testperson Alpha"
    phones = entity["properties"]["phone"]
    assert [(p["value"], p["original_value"], p["grading"], p["report_id"]) for p in phones] == [
        ("+447700900123", "07700 900123", "2B C", body["report_id"])
    ]


def test_resubmission_is_idempotent_and_changes_make_versions(client: TestClient) -> None:
    own = {"originator": "SCD6-MAXIM"}
    first = client.post("/api/reports", json=report(**own)).json()
    again = client.post("/api/reports", json=report(**own)).json()
    changed = client.post("/api/reports", json=report(**own, text="Corrected text")).json()
    assert (again["outcome"], again["report_id"]) == ("unchanged", first["report_id"])
    assert (changed["outcome"], changed["version"]) == ("new_version", 2)


def test_refused_reports_get_the_error_envelope_naming_each_field(client: TestClient) -> None:
    response = client.post("/api/reports", json=report(source_evaluation="4", handling_code="C"))
    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "status": 422,
            "title": "The request was refused",
            "errors": [
                {"field": "source_evaluation", "reason": "must be 1, 2 or 3, got '4'"},
                {"field": "handling_conditions", "reason": "handling_code C requires conditions"},
                {"field": "action_code", "reason": "handling_code C requires an action code A1-A3"},
                {
                    "field": "sanitisation_code",
                    "reason": "handling_code C requires a sanitisation code S1-S2",
                },
            ],
        }
    }
    assert client.get("/index.json").json()["total"] == 0  # nothing half-written


def test_a_body_that_is_not_an_object_gets_the_same_envelope(client: TestClient) -> None:
    response = client.post("/api/reports", content=b"[1, 2]", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"]["title"] == "The request was refused"
    assert response.json()["error"]["errors"]


def test_missing_things_are_404_in_json_and_html(client: TestClient) -> None:
    api = client.get("/api/reports/nope")
    assert api.status_code == 404
    assert api.json() == {"error": {"status": 404, "title": "Not found", "errors": []}}
    page = client.get("/entities/nope")
    assert page.status_code == 404
    assert "text/html" in page.headers["content-type"] and "Not found" in page.text


def test_pages_and_their_json_twins_show_the_same_data(client: TestClient) -> None:
    body = client.post("/api/reports", json=c_coded(originator="SCD6-MAXIM", title="Flat above nail bar")).json()
    home = client.get("/")
    assert home.status_code == 200 and "Flat above nail bar" in home.text and "2B C" in home.text
    assert "OFFICIAL-SENSITIVE" in home.text and "Ann · SCD6-MAXIM" in home.text
    twin = client.get("/index.json").json()
    assert [r["id"] for r in twin["reports"]] == [body["report_id"]]
    page = client.get(f"/reports/{body['report_id']}")
    assert "Contact originator before any executive action" in page.text
    assert "extracted from text, characters 6–18" in page.text
    negotiated = client.get(f"/reports/{body['report_id']}", headers={"accept": "application/json"}).json()
    assert negotiated == client.get(f"/reports/{body['report_id']}.json").json()
    assert negotiated["id"] == body["report_id"]


def test_openapi_lists_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/reports", "/api/reports/{report_id}", "/api/entities/{entity_id}"} <= set(paths)
