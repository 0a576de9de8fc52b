"""Referrals in the store, on SQLite and PostgreSQL: routed, explained, accepted once, declined and
re-routed, escalated, alerted when overdue; rule sets versioned with the previous one kept on refusal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from maxim.domain.errors import ValidationFailed
from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import Reference
from maxim.route.rules import RuleSetRefused, shipped_text
from maxim.store.access import DataAccess, Forbidden
from maxim.store.engine import Database
from maxim.store.tables import audit_log
from maxim.store.workflow_access import Conflict, WorkflowAccess
from tests.factories import report
from tests.route.helpers import REF, T0, facts_data, referral_report, with_capacity


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def flow_for(access: DataAccess, ref: Reference = REF, clock: Callable[[], datetime] | None = None) -> WorkflowAccess:
    if clock is not None:
        access = DataAccess(access.db, access.actor, channel="test", clock=clock)
    return WorkflowAccess(access, ref)


def new_referral(flow: WorkflowAccess, reference: str = "REF/1", **overrides: Any) -> dict[str, Any]:
    report_id = referral_report(flow.access, reference)
    return flow.create_referral(report_id, facts_data(**overrides))


def routed(flow: WorkflowAccess, reference: str = "REF/1", **overrides: Any) -> dict[str, Any]:
    created = new_referral(flow, reference, **overrides)
    flow.route_referral(created["id"], created["version"])
    found = flow.referral(created["id"])
    assert found is not None
    return found


def test_a_referral_is_routed_and_the_explanation_stored(access: DataAccess, db: Database) -> None:
    flow = flow_for(access)
    created = new_referral(flow, national_security_indicators=True)
    assert (created["status"], created["version"], created["decisions"]) == ("NEW", 1, [])
    flow.route_referral(created["id"], 1)
    stored = flow.referral(created["id"])
    assert stored is not None
    assert (stored["status"], stored["assigned_unit"], stored["version"]) == ("ROUTED", "SCD6-HTT", 2)
    [decision] = stored["decisions"]
    assert decision["rule_set_version"] == "2026-11-29.1"
    assert decision["rule_id"] == "sexual-exploitation-referred-to-htt"
    explanation = decision["explanation"]
    assert [s["outcome"] for s in explanation["steps"]] == ["not_applicable"] * 4 + ["fired"]
    assert explanation["steps"][-1]["capacity"] == {"unit": "SCD6-HTT", "load": 0, "capacity": 25}
    assert explanation["notifications"][0]["unit"] == "CT"
    with db.reader.connect() as conn:
        events = [(r.operation, r.object_type) for r in conn.execute(select(audit_log).order_by(audit_log.c.id))]
    assert ("COLLECTION", "referral") in events and ("ALTERATION", "referral") in events


def test_a_unit_at_capacity_is_passed_over_with_the_load_seen(access: DataAccess) -> None:
    flow = flow_for(access, with_capacity(SCD6_HTT=1))
    first = routed(flow, "REF/1")
    second = routed(flow, "REF/2")
    assert (first["assigned_unit"], second["assigned_unit"]) == ("SCD6-HTT", "BOCU-LAMBETH")
    steps = second["decisions"][0]["explanation"]["steps"]
    htt = next(s for s in steps if s["target"] == "SCD6-HTT")
    assert htt["outcome"] == "at_capacity" and htt["capacity"] == {"unit": "SCD6-HTT", "load": 1, "capacity": 1}
    assert second["decisions"][0]["fell_through"] is True


def test_only_referral_reports_take_referral_records(access: DataAccess) -> None:
    flow = flow_for(access)
    record = build_record(parse_report(report(reference="INT/1"), REF), received_by="admin", now=T0)
    [intelligence] = access.submit([record])
    with pytest.raises(ValidationFailed, match="is of kind 'intelligence', not a referral"):
        flow.create_referral(intelligence.report_id, facts_data())
    with pytest.raises(ValidationFailed) as caught:
        flow.create_referral("nope", facts_data())
    assert caught.value.errors[0].field == "report_id"
    created = new_referral(flow)
    with pytest.raises(ValidationFailed, match="already has a referral record"):
        flow.create_referral(created["report_id"], facts_data())


def test_decline_reroutes_without_that_unit_and_keeps_the_reason(access: DataAccess) -> None:
    flow = flow_for(access)
    referral = routed(flow)
    after = flow.decline(referral["id"], referral["version"], "No capacity for a new victim this week")
    assert (after["status"], after["assigned_unit"]) == ("ROUTED", "BOCU-LAMBETH")
    again = flow.decline(after["id"], after["version"], "Victim has moved out of the borough")
    assert again["assigned_unit"] == "SCD6-MAXIM"
    stored = flow.referral(referral["id"])
    assert stored is not None
    assert [(d["kind"], d["target_unit"], d["declined_unit"]) for d in stored["decisions"]] == [
        ("ROUTE", "SCD6-HTT", None),
        ("REROUTE", "BOCU-LAMBETH", "SCD6-HTT"),
        ("REROUTE", "SCD6-MAXIM", "BOCU-LAMBETH"),
    ]
    assert stored["decisions"][1]["reason"] == "No capacity for a new victim this week"
    assert stored["decisions"][2]["explanation"]["excluded"] == ["BOCU-LAMBETH", "SCD6-HTT"]


def test_decline_needs_a_reason_and_the_current_version(access: DataAccess) -> None:
    flow = flow_for(access)
    referral = routed(flow)
    with pytest.raises(ValidationFailed):
        flow.decline(referral["id"], referral["version"], "  ")
    with pytest.raises(Conflict, match="you saw version 1, it is now version 2"):
        flow.decline(referral["id"], 1, "stale")


def test_escalate_hands_it_to_maxim(access: DataAccess) -> None:
    flow = flow_for(access)
    referral = routed(flow)
    after = flow.escalate(referral["id"], referral["version"], "Links to a live SCD10 operation")
    assert (after["status"], after["assigned_unit"]) == ("ESCALATED", "SCD6-MAXIM")
    assert after["decision"]["kind"] == "ESCALATE" and after["decision"]["reason"] == "Links to a live SCD10 operation"
    accepted = flow.accept(after["id"], after["version"])
    assert accepted["status"] == "ACCEPTED"


def test_another_unit_may_not_accept(access: DataAccess) -> None:
    from dataclasses import replace

    flow = flow_for(access)
    referral = routed(flow)
    outsider = replace(access.actor, unit="CO14", roles=frozenset({"investigator"}))
    with pytest.raises(Forbidden):
        WorkflowAccess(DataAccess(access.db, outsider, channel="test")).accept(referral["id"], referral["version"])


def test_overdue_acceptance_raises_one_alert_per_decision(access: DataAccess) -> None:
    clock = Clock()
    flow = flow_for(access, clock=clock)
    referral = routed(flow)  # SCD6-HTT, SLA 48 hours
    clock.now = T0 + timedelta(hours=47)
    assert flow.raise_sla_alerts() == []
    clock.now = T0 + timedelta(hours=49)
    [alert] = flow.raise_sla_alerts()
    assert (alert["unit"], alert["kind"], alert["referral_id"]) == ("SCD6-HTT", "SLA_OVERDUE", referral["id"])
    assert "SLA is 48 hours" in alert["detail"]
    assert flow.raise_sla_alerts() == []  # computed again: nothing new
    stored = flow.referral(referral["id"])
    assert stored is not None and len(stored["alerts"]) == 1
    # an accepted referral is not overdue
    other = routed(flow, "REF/2")
    flow.accept(other["id"], other["version"])
    clock.now = T0 + timedelta(days=30)
    assert flow.raise_sla_alerts() == []


def test_a_refused_rule_file_leaves_the_previous_version_active(access: DataAccess) -> None:
    flow = flow_for(access)
    first = routed(flow, "REF/1")
    newer = (
        shipped_text()
        .replace('version: "2026-11-29.1"', 'version: "2026-12-01.1"')
        .replace(
            "    target: SCD6-HTT\n    capacity: check",
            "    target: SCD6-HTT\n    capacity: check\n    advice: SCD6-FIN",
        )
    )
    assert flow.load_rules(newer).version == "2026-12-01.1"
    broken = newer.replace('version: "2026-12-01.1"', 'version: "2026-12-02.1"').replace(
        "target: SO18-HSU", "target: SO19-NOWHERE"
    )
    with pytest.raises(RuleSetRefused) as caught:
        flow.load_rules(broken, "broken.yaml")
    assert "unknown unit 'SO19-NOWHERE'" in str(caught.value) and "line " in str(caught.value)
    assert flow.active_rules().version == "2026-12-01.1"
    second = routed(flow, "REF/2")
    assert second["decisions"][0]["rule_set_version"] == "2026-12-01.1"
    assert second["decisions"][0]["advice_unit"] == "SCD6-FIN"
    again = flow.referral(first["id"])
    assert again is not None and again["decisions"][0]["rule_set_version"] == "2026-11-29.1"
    with pytest.raises(RuleSetRefused, match="already loaded with different rules"):
        flow.load_rules(newer.replace("advice: SCD6-FIN", "advice: SCD6-MAXIM"))
    assert [(v["version"], v["active"]) for v in flow.rule_versions()] == [("2026-12-01.1", True)]


def test_two_people_accepting_at_once_one_wins_the_other_is_told(access: DataAccess) -> None:
    flow = flow_for(access)
    referral = routed(flow)
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def accept() -> None:
        mine = WorkflowAccess(DataAccess(access.db, access.actor, channel="test"))
        barrier.wait()
        try:
            results.append(mine.accept(referral["id"], referral["version"]))
        except Conflict as exc:
            results.append(exc)

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [r for r in results if isinstance(r, dict)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].current_version == 3 and "it is now version 3 (ACCEPTED)" in str(losses[0])
    stored = flow.referral(referral["id"])
    assert stored is not None and (stored["status"], stored["version"]) == ("ACCEPTED", 3)
