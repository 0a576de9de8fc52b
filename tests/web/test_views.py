"""View data of the home page: the total kept per access scope for a while, the unit's referral
queue read in one query and audited once; on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.tables import audit_log
from maxim.store.workflow_access import WorkflowAccess
from maxim.web.app import app_from_env
from maxim.web.views import Totals, home_view, unit_queue
from tests.conftest import UserFactory
from tests.factories import report
from tests.route.helpers import REF, T0, facts_data, referral_report


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def submit(access: DataAccess, reference: str, **overrides: object) -> None:
    from maxim.intake.parse import parse_report
    from maxim.intake.statements import build_record

    body = report(reference=reference, **overrides)
    access.submit([build_record(parse_report(body, REF), received_by=access.actor.username, now=T0)])


def test_the_home_total_is_counted_once_per_scope_for_a_while(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    clock = Clock()
    totals = Totals(ttl=30, clock=clock)
    lambeth, _ = make_user("lee", "BOCU-LAMBETH", "investigator")
    sutton, _ = make_user("sue", "BOCU-SUTTON", "investigator")
    submit(access, "L/1", originator="BOCU-LAMBETH", handling_code="C", handling_conditions="Ask first",
           action_code="A2", sanitisation_code="S1", share_with=[])  # fmt: skip
    as_lambeth, as_sutton = DataAccess(db, lambeth, channel="test"), DataAccess(db, sutton, channel="test")
    assert home_view(as_lambeth, totals=totals)["total"] == 1
    assert home_view(as_sutton, totals=totals)["total"] == 0  # another scope: counted for itself
    submit(access, "L/2", originator="BOCU-LAMBETH")
    clock.now = 29.0
    kept = home_view(as_lambeth, totals=totals)
    assert kept["total"] == 1 and len(kept["reports"]) == 2  # the total may lag, the list never does
    clock.now = 30.0
    assert home_view(as_lambeth, totals=totals)["total"] == 2
    assert home_view(as_sutton)["total"] == 1  # without the cache: counted now


def test_the_queue_shows_referrals_whose_report_is_visible_and_audits_them_in_one_event(
    db: Database, access: DataAccess, make_user: UserFactory
) -> None:
    flow = WorkflowAccess(access, REF)
    shown = referral_report(access, "REF/1")
    hidden = referral_report(access, "REF/2", handling_code="C", handling_conditions="Ask first",
                             action_code="A2", sanitisation_code="S1", share_with=["SCD6-MAXIM"])  # fmt: skip
    ids = {}
    for report_id in (shown, hidden):
        made = flow.create_referral(report_id, facts_data())
        decision = flow.route_referral(made["id"], made["version"])
        assert decision["target_unit"] == "SCD6-HTT"
        ids[report_id] = made["id"]
    htt, _ = make_user("hal", "SCD6-HTT", "investigator")
    queue = unit_queue(DataAccess(db, htt, channel="test"))
    assert [r["id"] for r in queue["awaiting"]] == [ids[shown]]  # the other's report is not theirs to see
    with db.reader.connect() as conn:
        events = conn.execute(
            select(audit_log.c.object_ids).where(audit_log.c.username == "hal", audit_log.c.object_type == "referral")
        ).all()
    assert [list(e.object_ids) for e in events] == [[ids[shown]]]


def test_each_worker_builds_its_app_from_the_environment(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    monkeypatch.setenv("MAXIM_DATA_DIR", str(tmp_path))
    app = app_from_env()
    try:
        with TestClient(app) as client:
            assert client.get("/health").json() == {"status": "ok"}
            assert client.get("/index.json").status_code == 401
    finally:
        app.state.db.dispose()
