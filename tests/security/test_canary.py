"""The canary: what a user may not see never appears in any response, for any role, on any route.

Seeds a handling-code C report, a report re-graded from P to C for its originator only (its
earlier P version must go dark too) and a victim with an address of her own and a link naming
her, all with unique marker strings, then calls every GET route of the app (pages, JSON twins,
API; routes added later are picked up automatically) as a user of every role, and searches each
response for the markers. A user of the originating unit is the positive control: the markers
do reach someone entitled to them. Then the other way in: submitting as another unit, through
the API, the intake form and `maxim ingest`, is refused alike whether the reference exists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maxim.cli import app as cli
from maxim.domain import ids as id_of
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.security.users import DEMO_USERS
from maxim.settings import Settings
from maxim.store.access import DataAccess
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import c_coded, person, report
from tests.web.test_pages import FORM, session_client

C_MARKERS = ("CANARYCTITLE", "CANARYCTEXT", "Canaryc Subject", "+447700900991", "CANARYOLDTITLE", "Canaryo Oldname")
# The victim, her own address, and the link entity naming her (its role would be a hint).
VICTIM_MARKERS = ("Canaryv Victim", "+447700900992", "Canaryaddr Victimhouse", "Canaryrole")


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
            person("v1", "Canaryv Victim", role="victim", phone=["07700 900992"], addressEntity=["a1"]),
            {"id": "a1", "schema": "Address", "properties": {"full": ["Canaryaddr Victimhouse, Sutton SM1 9ZZ"]}},
            {"id": "l1", "schema": "Associate", "properties": {"person": ["s1"], "associate": ["v1"]}},
            {
                "id": "l2",
                "schema": "UnknownLink",
                "properties": {"subject": ["s1"], "object": ["v1"], "role": ["Canaryrole"]},
            },
        ],
    )
    # Published as P, then re-graded C for the originator only: version 1 must go dark as well.
    old_raw = report(
        originator="BOCU-SUTTON",
        reference="SUT/CANARY/3",
        title="CANARYOLDTITLE",
        entities=[person("o1", "Canaryo Oldname")],
    )
    regraded = c_coded(
        originator="BOCU-SUTTON", reference="SUT/CANARY/3", share_with=[], entities=[person("o1", "Canaryo Oldname")]
    )
    ids: dict[str, str] = {}
    for name, raw in (("c", c_raw), ("v", v_raw), ("old", old_raw), ("regraded", regraded)):
        record = build_record(parse_report(raw, ref), received_by="admin", now=datetime.now(UTC))
        report_id = access.submit([record])[0].report_id
        if name == "regraded":  # its pages are those of any C report; the old version's are the test
            continue
        ids[f"{name}_report"] = report_id
        for subject in record.subjects:
            ids[f"{name}_{subject['category']}"] = subject["entity_id"]
    for local in ("a1", "l2"):
        ids[f"v_{local}"] = id_of.mention_id("BOCU-SUTTON", "SUT/CANARY/2", local)
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


# -- submitting as another unit ----------------------------------------------------------------


def co14_report(reference: str) -> dict[str, Any]:
    return report(originator="CO14", reference=reference, entities=[person("p1", "Placeholder Person")])


@pytest.fixture
def hidden_co14(access: DataAccess) -> str:
    """A CO14 report shared with safeguarding leads only, with a victim; its reference is one of a sequence."""
    raw = c_coded(
        originator="CO14",
        reference="CO14/2025/000041",
        share_with=["safeguarding_lead"],
        entities=[
            person("p1", "Canaryk Hidden", phone=["07700 900993"]),
            person("v1", "Canaryk Victim", role="victim"),
        ],
    )
    record = build_record(parse_report(raw, load_reference()), received_by="admin", now=datetime.now(UTC))
    return access.submit([record])[0].report_id


def test_the_api_refuses_another_originator_alike_whether_the_reference_is_used(
    seeded: tuple[object, dict[str, str]], hidden_co14: str, make_user: UserFactory
) -> None:
    app, _ = seeded
    _, borough = make_user("bo", "BOCU-LAMBETH", "investigator")
    client = TestClient(app, headers={"Authorization": f"Bearer {borough}", "Accept": "application/json"})  # type: ignore[arg-type]
    used = client.post("/api/reports", json=co14_report("CO14/2025/000041"))
    unused = client.post("/api/reports", json=co14_report("CO14/2025/000042"))
    assert used.status_code == unused.status_code == 422
    assert used.json() == unused.json()
    assert [e["field"] for e in used.json()["error"]["errors"]] == ["originator"]
    # Nothing changed: CO14's report is still current, its victim still flagged for safeguarding.
    _, safeguarding = make_user("sam", "SCD6-HTT", "safeguarding_lead")
    _, co14 = make_user("cora", "CO14", "investigator")
    owner = TestClient(app, headers={"Authorization": f"Bearer {co14}"})  # type: ignore[arg-type]
    stored = owner.get(f"/api/reports/{hidden_co14}").json()
    assert stored["is_current"] and [v["version"] for v in stored["versions"]] == [1]
    lead = TestClient(app, headers={"Authorization": f"Bearer {safeguarding}"})  # type: ignore[arg-type]
    flagged = lead.get(f"/api/reports/{hidden_co14}").json()
    assert {(s["caption"], s["category"]) for s in flagged["subjects"]} == {
        ("Canaryk Hidden", "suspect"),
        ("Canaryk Victim", "victim"),
    }
    assert "Canaryk Hidden" not in client.get("/search.json", params={"q": "Canaryk"}).text


def test_the_intake_form_refuses_another_originator(
    seeded: tuple[object, dict[str, str]], hidden_co14: str, make_user: UserFactory
) -> None:
    app, _ = seeded
    make_user("bo", "BOCU-LAMBETH", "investigator")
    client, csrf = session_client(app, "bo")
    assert "CO14" not in client.get("/reports/new.json").json()["options"]["originators"]
    form = {**FORM, "originator": "CO14", "reference": "CO14/2025/000041", "csrf_token": csrf}
    response = client.post("/reports/new", data=form, follow_redirects=False)
    assert response.status_code == 422
    assert 'href="#originator"' in response.text and "your own unit, BOCU-LAMBETH" in response.text


def test_maxim_ingest_refuses_rows_of_another_originator(
    seeded: tuple[object, dict[str, str]], database_url: str, tmp_path: Path, hidden_co14: str, make_user: UserFactory
) -> None:
    app, _ = seeded
    make_user("bo", "BOCU-LAMBETH", "investigator")
    batch = tmp_path / "batch.jsonl"
    rows = [report(reference="LAM/OK/1"), co14_report("CO14/2025/000041"), co14_report("CO14/2025/000042")]
    batch.write_text("".join(json.dumps(r) + "\n" for r in rows))
    # Acting `--as bo` needs bo's credentials.
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path), "MAXIM_PASSWORD": UserFactory.PASSWORD}
    result = CliRunner().invoke(cli, ["ingest", str(batch), "--as", "bo", "--workers", "1"], env=env)
    assert result.exit_code == 1
    assert "read 3: 1 new, 0 new versions, 0 unchanged, 2 rejected" in result.output
    rejects = [json.loads(line) for line in (tmp_path / "batch.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [r["errors"] for r in rejects] == [
        ["originator: you may submit only as your own unit, BOCU-LAMBETH, not as CO14"]
    ] * 2
    _, co14 = make_user("cora", "CO14", "investigator")
    stored = TestClient(app, headers={"Authorization": f"Bearer {co14}"}).get(f"/api/reports/{hidden_co14}").json()  # type: ignore[arg-type]
    assert stored["is_current"] and [v["version"] for v in stored["versions"]] == [1]
