"""A small synthetic year for the committee report: the scenario's reports, plus referrals,
routing, acceptances, outcomes and NRM cases recorded through the workflow layer (all invented)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from maxim.intake.batch import ingest_file
from maxim.reference import load_reference
from maxim.scenario import write_scenario
from maxim.store.access import DataAccess
from maxim.store.tables import reports
from maxim.store.workflow_access import WorkflowAccess

REF = load_reference()
START, END = date(2025, 4, 1), date(2026, 3, 31)


def ticking(start: datetime, step: timedelta = timedelta(hours=7)) -> Callable[[], datetime]:
    """A clock that moves on a little at every call, inside the report's period."""
    counter = itertools.count()
    return lambda: start + step * next(counter)


def build_year(access: DataAccess, tmp: Path, *, reports_n: int = 150, seed: int = 3) -> dict[str, Any]:
    """Ingest a small scenario and record a year of referrals and outcomes; returns what was recorded."""
    write_scenario(tmp / "scenario", seed=seed, reports=reports_n)
    ingest_file(tmp / "scenario" / "reports.jsonl", access, REF, workers=1)
    timed = DataAccess(access.db, access.actor, channel="test", clock=ticking(datetime(2025, 5, 1, 9, tzinfo=UTC)))
    flow = WorkflowAccess(timed, REF)
    with access.db.reader.connect() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                select(reports.c.id)
                .where(reports.c.kind == "referral", reports.c.is_current, reports.c.handling_code == "P")
                .order_by(reports.c.id)
            )
        ]
    nationalities = ["al", "vn", "ro", "al", "ng", "al", "gb", "er"]
    made = []
    for i, rid in enumerate(ids):
        facts = {
            "referral_route": ["BOROUGH", "UKHTC", "NGO_VIA_UKHTC", "LAW_ENFORCEMENT_AGENCY"][i % 4],
            "referring_organisation": "BOCU-LAMBETH" if i % 4 == 0 else "UKHTC",
            "found_borough": "BOCU-LAMBETH",
            "victims_adult": 1 if i % 3 else 0,
            "victims_child": 0 if i % 3 else 1,
            "exploitation_types": ["S3"],
            "setting": "PRIVATE_HOUSEHOLD",
            "travel_documents": "UNKNOWN",
            "monitoring": {"victim_nationalities": [nationalities[i % len(nationalities)]]},
        }
        referral = flow.create_referral(rid, facts)
        flow.route_referral(referral["id"], referral["version"])
        current = flow.referral(referral["id"])
        assert current is not None
        if i % 2 == 0 and current["status"] == "ROUTED":
            flow.accept(referral["id"], current["version"])
        made.append(referral["id"])
    op = flow.create_operation("Operation Example", "SCD6-HTT")
    outcomes = [
        {"kind": "ARREST", "occurred_on": "2025-06-02", "count": 7},
        {"kind": "ARREST", "occurred_on": "2025-11-20", "count": 5},
        {"kind": "CHARGE", "occurred_on": "2025-07-03", "offence_code": "MSA2015_S2", "count": 4},
        {"kind": "CHARGE", "occurred_on": "2025-08-03", "offence_code": "IA1971_S25", "count": 2},
        {"kind": "CONVICTION", "occurred_on": "2026-02-10", "offence_code": "MSA2015_S2", "count": 2},
        {"kind": "VICTIMS_SAFEGUARDED", "occurred_on": "2025-06-02", "adults": 12, "children": 3},
        {"kind": "POCA", "occurred_on": "2025-09-01", "poca_kind": "CASH_SEIZURE", "amount_pounds": "25000"},
        {"kind": "POCA", "occurred_on": "2026-01-15", "poca_kind": "CONFISCATION", "amount_pounds": "180000.50"},
    ]
    for row in outcomes:
        flow.record_outcome({"operation_id": op["id"], **row})
    for n, group in enumerate(["ADULT", "ADULT", "CHILD", "ADULT", "ADULT", "ADULT", "ADULT"]):
        case = flow.open_nrm({"operation_id": op["id"], "age_group": group, "identified_on": "2025-06-02"})
        if group == "ADULT":
            case = flow.nrm_transition(case["id"], case["version"], "CONSENT_SOUGHT", date(2025, 6, 3))
            case = flow.nrm_transition(case["id"], case["version"], "REFERRED", date(2025, 6, 4), consent=True)
        else:
            case = flow.nrm_transition(case["id"], case["version"], "REFERRED", date(2025, 6, 4))
        if n < 6:
            case = flow.nrm_transition(case["id"], case["version"], "RG_PENDING", date(2025, 6, 5))
            flow.nrm_transition(case["id"], case["version"], "RG_POSITIVE", date(2025, 6, 9))
    return {"referrals": made, "operation": op["id"]}


def figures_by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in report["figures"]}


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, default=str)
