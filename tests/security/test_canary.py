"""The canary: what a user may not see never appears in any response, for any role, on any route.

Seeds a handling-code C report and a victim with unique marker strings, then calls every GET
route of the app (pages, JSON twins, API; routes added later are picked up automatically) as
a user of every role, and searches each response for the markers. A user of the originating
unit is the positive control: the markers do reach someone entitled to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.security.users import DEMO_USERS
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report

C_MARKERS = ("CANARYCTITLE", "CANARYCTEXT", "Canaryc Subject", "+447700900991")
VICTIM_MARKERS = ("Canaryv Victim", "+447700900992")


def seed(access: DataAccess) -> dict[str, str]:
    ref = load_reference()
    c_raw = c_coded(
        originator="BOCU-SUTTON",
        reference="SUT/CANARY/1",
        share_with=["CO14"],
        title="CANARYCTITLE",
        text="CANARYCTEXT phone 07700 900991",
        entities=[person("p1", "Canaryc Subject", phone=["07700 900991"])],
    )
    v_raw = report(
        originator="BOCU-SUTTON",
        reference="SUT/CANARY/2",
        title="Visible report with a victim",
        text="A woman was found at the address.",
        entities=[
            person("s1", "Visible Suspect", role="suspect"),
            person("v1", "Canaryv Victim", role="victim", phone=["07700 900992"]),
            {"id": "l1", "schema": "Associate", "properties": {"person": ["s1"], "associate": ["v1"]}},
        ],
    )
    ids: dict[str, str] = {}
    for name, raw in (("c", c_raw), ("v", v_raw)):
        record = build_record(parse_report(raw, ref), received_by="admin", now=datetime.now(UTC))
        ids[f"{name}_report"] = access.submit([record])[0].report_id
        for subject in record.subjects:
            ids[f"{name}_{subject['category']}"] = subject["entity_id"]
    return ids


def get_paths(app: object, ids: dict[str, str]) -> list[str]:
    """Every GET route, with each path parameter filled by every seeded id."""
    paths: set[str] = set()
    for route in app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or "GET" not in route.methods or route.path in ("/login", "/health"):
            continue
        params = re.findall(r"{(\w+)}", route.path)
        if not params:
            paths.add(route.path)
            continue
        for value in ids.values():
            path = route.path
            for param in params:
                path = path.replace("{" + param + "}", value)
            paths.add(path)
    return sorted(paths)


@pytest.fixture
def seeded(database_url: str, tmp_path: Path, access: DataAccess) -> Iterator[tuple[object, dict[str, str]]]:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    yield app, seed(access)
    app.state.db.dispose()


def responses(app: object, token: str, paths: list[str]) -> str:
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]
    bodies = []
    for path in paths:
        for accept in ("text/html", "application/json"):
            bodies.append(client.get(path, headers={"Accept": accept}).text)
    return "\n".join(bodies)


def test_no_role_sees_what_it_may_not(seeded: tuple[object, dict[str, str]], make_user: UserFactory) -> None:
    app, ids = seeded
    paths = get_paths(app, ids)
    assert any("/entities/" in p for p in paths) and any("/reports/" in p for p in paths)
    # Positive control: the originating borough sees both the C material and the victim.
    _, owner = make_user("sutton", "BOCU-SUTTON", "investigator")
    seen = responses(app, owner, paths)
    assert all(marker in seen for marker in C_MARKERS + VICTIM_MARKERS)
    for username, _, unit, roles, external in DEMO_USERS:
        _, token = make_user(username, unit, *roles, external=external)
        body = responses(app, token, paths)
        forbidden = C_MARKERS if "safeguarding_lead" in roles else C_MARKERS + VICTIM_MARKERS
        leaked = [marker for marker in forbidden if marker in body]
        assert leaked == [], f"{username} ({', '.join(roles)}, {unit}) saw {leaked}"
        if "safeguarding_lead" in roles:
            assert all(marker in body for marker in VICTIM_MARKERS)
