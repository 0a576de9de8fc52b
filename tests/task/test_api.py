"""The workflow JSON API: referrals routed, accepted (409 when stale), declined; tasks; NRM; totals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from maxim.security.users import ensure_local_admin
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.web.api_workflow import make_router
from maxim.web.app import create_app
from tests.factories import report
from tests.route.helpers import facts_data


def mounted(app: FastAPI) -> FastAPI:
    """Mount the workflow router if the app does not already (the lead wires it into create_app)."""
    if not any(getattr(r, "path", "") == "/api/referrals" for r in app.routes):
        get_access = getattr(app.state, "get_access", None)
        if get_access is None:  # an app without authentication yet: act as the local administrator
            admin = ensure_local_admin(app.state.db)

            def get_access() -> DataAccess:
                return DataAccess(app.state.db, admin, channel="api")

        app.include_router(make_router(get_access))
    return app


@pytest.fixture
def client(database_url: str, tmp_path: Path, make_user: Any) -> Iterator[TestClient]:
    """A client logged in as a supervising administrator of the clearinghouse (may act for any unit)."""
    app = mounted(create_app(Settings(database_url=database_url, data_dir=tmp_path)))
    _, token = make_user("sue", "SCD6-MAXIM", "analyst", "supervisor", "administrator")
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client
    app.state.db.dispose()


def referral(client: TestClient, reference: str = "REF/API/1", **facts: Any) -> dict[str, Any]:
    created = client.post("/api/reports", json=report(kind="referral", reference=reference))
    assert created.status_code == 201, created.text
    response = client.post("/api/referrals", json={"report_id": created.json()["report_id"], **facts_data(**facts)})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_route_accept_and_a_stale_accept_is_409(client: TestClient) -> None:
    made = referral(client)
    routed = client.post(f"/api/referrals/{made['id']}/route", json={"version": made["version"]})
    assert routed.status_code == 200, routed.text
    assert routed.json()["target_unit"] == "SCD6-HTT"
    assert routed.json()["explanation"]["steps"][-1]["outcome"] == "fired"
    accepted = client.post(f"/api/referrals/{made['id']}/accept", json={"version": 2})
    assert accepted.status_code == 200 and accepted.json()["status"] == "ACCEPTED"
    stale = client.post(f"/api/referrals/{made['id']}/accept", json={"version": 2})
    assert stale.status_code == 409
    assert "it is now version 3" in stale.json()["error"]["title"]
    assert client.post("/api/referrals/missing/accept", json={"version": 1}).status_code == 404
    full = client.get(f"/api/referrals/{made['id']}").json()
    assert [d["rule_id"] for d in full["decisions"]] == ["sexual-exploitation-referred-to-htt"]


def test_decline_reroutes_and_bad_input_names_fields(client: TestClient) -> None:
    made = referral(client)
    client.post(f"/api/referrals/{made['id']}/route", json={"version": 1})
    declined = client.post(f"/api/referrals/{made['id']}/decline", json={"version": 2, "reason": "Team at capacity"})
    assert declined.status_code == 200 and declined.json()["assigned_unit"] == "BOCU-LAMBETH"
    bad = client.post("/api/referrals", json={"report_id": "nope", "referral_route": "PIGEON"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["error"]["errors"]} == {"report_id"}
    created = client.post("/api/reports", json=report(kind="referral", reference="REF/API/2")).json()
    bad = client.post(
        "/api/referrals",
        json={"report_id": created["report_id"], "referral_route": "PIGEON", "referring_organisation": "BOCU-LAMBETH"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["errors"][0]["field"] == "referral_route"


def test_a_refused_rule_file_is_422_with_lines(client: TestClient) -> None:
    from maxim.route.rules import shipped_text

    text = shipped_text().replace("target: CO14", "target: CO99")
    response = client.post("/api/sop", content=text, headers={"content-type": "text/plain"})
    assert response.status_code == 422, response.text
    [error] = response.json()["error"]["errors"]
    assert error["field"].startswith("line ") and "unknown unit 'CO99'" in error["reason"]
    assert client.get("/api/sop").json()["version"] == "2026-11-29.1"


def test_tasks_nrm_outcomes_and_totals(client: TestClient) -> None:
    op = client.post("/api/operations", json={"name": "Operation Bluesky", "owner_unit": "SCD6-HTT"}).json()
    task = client.post(
        "/api/tasks",
        json={"title": "Check the flat", "owner_unit": "SCD6-HTT", "due_date": "2025-07-01", "operation_id": op["id"]},
    )
    assert task.status_code == 201, task.text
    tid = task.json()["id"]
    moved = client.patch(f"/api/tasks/{tid}", json={"version": 1, "status": "ACCEPTED"})
    assert moved.status_code == 200 and moved.json()["version"] == 2
    assert client.patch(f"/api/tasks/{tid}", json={"version": 1, "priority": "HIGH"}).status_code == 409
    illegal = client.patch(f"/api/tasks/{tid}", json={"version": 2, "status": "CLOSED"})
    assert illegal.status_code == 422 and illegal.json()["error"]["errors"][0]["field"] == "status"
    case = client.post("/api/nrm", json={"operation_id": op["id"], "age_group": "ADULT", "identified_on": "2025-05-01"})
    assert case.status_code == 201, case.text
    refused = client.post(
        f"/api/nrm/{case.json()['id']}/transition", json={"version": 1, "to": "REFERRED", "on": "2025-05-01"}
    )
    assert refused.status_code == 422
    assert "an adult enters the NRM only with consent" in refused.json()["error"]["errors"][0]["reason"]
    sought = client.post(
        f"/api/nrm/{case.json()['id']}/transition", json={"version": 1, "to": "CONSENT_SOUGHT", "on": "2025-05-01"}
    )
    assert sought.status_code == 200 and sought.json()["allowed"] == ["DTN_SUBMITTED", "REFERRED", "WITHDRAWN"]
    outcome = client.post(
        "/api/outcomes",
        json={
            "operation_id": op["id"],
            "kind": "POCA",
            "occurred_on": "2025-05-02",
            "poca_kind": "CASH_SEIZURE",
            "amount_pounds": "4,000.00",
        },
    )
    assert outcome.status_code == 201, outcome.text
    totals = client.get("/api/outcomes/totals", params={"period": "2025-05"}).json()
    assert totals["poca_total"] == {"pence": 400_000, "pounds": "£4,000.00"}
    series = client.get("/api/outcomes/totals", params={"from": "2025-04-01", "to": "2025-06-30", "by": "month"})
    assert [t["period"] for t in series.json()] == ["2025-04", "2025-05", "2025-06"]
