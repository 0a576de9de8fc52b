"""The DPO's audit page works for any report, even one outside the DPO's own need-to-know (the trail
is metadata: who did what, not the content); others are refused as before; it pages; both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from maxim.settings import Settings
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[object]:
    application = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    yield application
    application.state.db.dispose()


def client(app: object, token: str) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]


def hidden_report(app: object, make_user: UserFactory) -> tuple[str, str]:
    """A Lambeth report shared with no one, read twice by its author; returns its id and the author's token."""
    _, lam = make_user("lou", "BOCU-LAMBETH", "analyst")
    made = client(app, lam).post("/api/reports", json=c_coded(reference="LAM/SECRET/1", share_with=[]))
    assert made.status_code in (200, 201), made.text
    report_id = made.json()["report_id"]
    for _ in range(2):
        assert client(app, lam).get(f"/reports/{report_id}").status_code == 200
    return report_id, lam


def test_the_dpo_reads_the_trail_of_a_report_outside_their_need_to_know(app: object, make_user: UserFactory) -> None:
    report_id, _ = hidden_report(app, make_user)
    _, dpo = make_user("dee", "SCD6-MAXIM", "data_protection_officer")
    assert client(app, dpo).get(f"/reports/{report_id}").status_code == 404  # the content stays hidden
    trail = client(app, dpo).get(f"/reports/{report_id}/audit.json")
    assert trail.status_code == 200, trail.text
    body = trail.json()
    assert body["report"]["reference"] == "LAM/SECRET/1" and body["report"]["title"] is None
    assert [(e["username"], e["operation"]) for e in body["events"]] == [
        ("lou", "CONSULTATION"),
        ("lou", "CONSULTATION"),
        ("lou", "COLLECTION"),
    ]
    assert body["page"]["showing"] == "showing 1-3 of 3 entries"
    page = client(app, dpo).get(f"/reports/{report_id}/audit")
    # The DPO's own reading of the trail is in it now.
    assert page.status_code == 200 and "LAM/SECRET/1" in page.text and "showing 1-4 of 4 entries" in page.text


def test_others_are_refused_and_unknown_reports_are_not_found(app: object, make_user: UserFactory) -> None:
    report_id, lam = hidden_report(app, make_user)
    _, supervisor = make_user("sue", "SCD6-MAXIM", "supervisor")
    assert client(app, supervisor).get(f"/reports/{report_id}/audit.json").status_code == 403
    assert client(app, lam).get(f"/reports/{report_id}/audit.json").status_code == 403
    _, dpo = make_user("dee", "SCD6-MAXIM", "data_protection_officer")
    assert client(app, dpo).get("/reports/no-such-report/audit.json").status_code == 404


def test_the_trail_pages(app: object, make_user: UserFactory) -> None:
    report_id, _ = hidden_report(app, make_user)
    _, dpo = make_user("dee", "SCD6-MAXIM", "data_protection_officer")
    second = client(app, dpo).get(f"/reports/{report_id}/audit.json?limit=2&page=2").json()
    assert [e["operation"] for e in second["events"]] == ["COLLECTION"]
    assert second["page"]["showing"] == "showing 3-3 of 3 entries" and second["page"]["previous"] == 1
    first = client(app, dpo).get(f"/reports/{report_id}/audit?limit=2")
    assert 'href="?page=2&amp;limit=2"' in first.text
    bad = client(app, dpo).get(f"/reports/{report_id}/audit.json?page=0")
    assert bad.status_code == 422 and "page" in bad.text
