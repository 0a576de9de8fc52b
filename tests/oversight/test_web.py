"""The committee page and its JSON twin through the router (mounted alone, with a fixed user)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from maxim.store.access import DataAccess
from maxim.web.api_oversight import make_router


def test_page_and_json_twin(access: DataAccess) -> None:
    app = FastAPI()
    app.include_router(make_router(lambda: access))
    client = TestClient(app)
    twin = client.get("/reports/committee.json", params={"from": "2025-04-01", "to": "2026-03-31"})
    assert twin.status_code == 200
    body = twin.json()
    assert body["meta"]["from"] == "2025-04-01" and all(f["query"] in body["queries"] for f in body["figures"])
    page = client.get("/reports/committee", params={"from": "2025-04-01", "to": "2026-03-31"})
    assert (
        page.status_code == 200
        and "C. Race and equality impact" in page.text
        and not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    )
    assert 'href="/static/oversight.css"' in page.text and " style=" not in page.text  # CSP: no inline script or style
    funding = client.get("/api/funding").json()
    assert funding["apf"]["successful_bids"] > 40
    assert client.get("/api/victims").json() == []
