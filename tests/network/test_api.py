"""The network JSON API: ranked networks with breakdowns, a network with edge reports, paths,
alerts; bad input is 422 naming the field, unknown ids 404."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from maxim.domain.ids import mention_id
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.web.api_network import make_router
from maxim.web.app import create_app
from tests.factories import person, report
from tests.network.helpers import records


def mounted(app: FastAPI) -> FastAPI:
    """Mount the network router if the app does not already (the lead wires it into create_app)."""
    if not any(getattr(r, "path", "") == "/api/networks" for r in app.routes):
        app.include_router(make_router(app.state.get_access))
    return app


@pytest.fixture
def client(database_url: str, tmp_path: Path, make_user: Any) -> Iterator[TestClient]:
    app = mounted(create_app(Settings(database_url=database_url, data_dir=tmp_path)))
    actor, token = make_user("ann", "BOCU-LAMBETH", "analyst")
    DataAccess(app.state.db, actor, channel="test").submit(
        records(
            [
                report(
                    reference="LAM/2025/000301",
                    entities=[
                        person("p1", "Testperson Alpha", phone=["07700 900021"]),
                        person("p2", "Testperson Bravo", phone=["07700 900021"]),
                    ],
                ),
                report(
                    reference="LAM/2025/000302", entities=[person("p1", "Testperson Charlie", phone=["07700 900021"])]
                ),
            ]
        )
    )
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


def test_networks_ranked_with_breakdown_and_a_network_with_its_evidence(client: TestClient) -> None:
    body = client.get("/api/networks").json()
    [net] = body["networks"]
    assert net["rank"] == 1 and net["persons"] == 3
    assert {f["code"] for f in net["breakdown"]["factors"]} >= {"PHYSICAL.violence", "CONFIDENCE"}
    detail = client.get(f"/api/networks/{net['id']}").json()
    assert len(detail["members"]) == 4 and detail["edges"]
    assert all(e["reports"][0]["report_id"] and e["reports"][0]["grading"] == "2BP" for e in detail["edges"])
    nominals = client.get(f"/api/networks/{net['id']}/nominals").json()["key_nominals"]
    assert {n["caption"] for n in nominals} == {"Testperson Alpha", "Testperson Bravo", "Testperson Charlie"}
    assert client.get("/api/networks/NOPE").status_code == 404


def test_path_and_bad_input(client: TestClient) -> None:
    a = mention_id("BOCU-LAMBETH", "LAM/2025/000301", "p1")
    c = mention_id("BOCU-LAMBETH", "LAM/2025/000302", "p1")
    found = client.get("/api/path", params={"from": a, "to": c}).json()
    assert found["paths"][0]["length"] == 2 and found["paths"][0]["hops"][0]["reports"]
    missing = client.get("/api/path", params={"from": a})
    assert missing.status_code == 422
    assert [e["field"] for e in missing.json()["error"]["errors"]] == ["to"]
    assert client.get("/api/path", params={"from": a, "to": "nobody"}).status_code == 404
    assert client.get("/api/deconfliction/alerts").json() == {"alerts": []}
