"""Outcome totals by period: the pure sum, and the same figures read back from the store."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.domain.offences import load_offences
from maxim.store.access import DataAccess
from maxim.store.workflow_access import WorkflowAccess
from maxim.task.outcomes import parse_outcome, parse_period, periods_between, pounds, totals
from tests.route.helpers import REF, facts_data, referral_report

OFFENCES = load_offences()


def outcome(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"operation_id": "op1"}
    base.update(fields)
    return parse_outcome(base, OFFENCES)


ROWS = [
    outcome(kind="ARREST", occurred_on="2025-04-01", count=3),
    outcome(kind="ARREST", occurred_on="2025-03-31", count=5),  # previous financial year
    outcome(kind="CHARGE", occurred_on="2025-05-10", offence_code="MSA2015_S2", count=2),
    outcome(kind="CHARGE", occurred_on="2025-06-30", offence_code="IA1971_S25"),
    outcome(kind="CONVICTION", occurred_on="2026-03-31", offence_code="MSA2015_S2"),
    outcome(kind="VICTIMS_SAFEGUARDED", occurred_on="2025-05-11", adults=4, children=2),
    outcome(kind="POCA", occurred_on="2025-07-01", poca_kind="CASH_SEIZURE", amount_pounds="12,500.50"),
    outcome(kind="POCA", occurred_on="2025-08-01", poca_kind="CASH_SEIZURE", amount_pence=99),
    outcome(kind="POCA", occurred_on="2026-04-01", poca_kind="CONFISCATION", amount_pounds="1000000"),  # next FY
]
NRM: list[dict[str, Any]] = [
    {
        "is_child": True,
        "referred_on": date(2025, 5, 12),
        "dtn_on": None,
        "rg_decision_on": date(2025, 5, 16),
        "rg_positive": True,
        "cg_decision_on": None,
        "cg_positive": None,
    },
    {
        "is_child": False,
        "referred_on": None,
        "dtn_on": date(2025, 5, 13),
        "rg_decision_on": None,
        "rg_positive": None,
        "cg_decision_on": None,
        "cg_positive": None,
    },
]


def test_totals_for_a_financial_year() -> None:
    result = totals(parse_period("FY2025"), ROWS, NRM)
    assert (result.start, result.end, result.period) == (date(2025, 4, 1), date(2026, 3, 31), "FY2025/26")
    assert (result.arrests, result.charges, result.convictions) == (3, 3, 1)
    assert result.charges_by_offence == {"IA1971_S25": 1, "MSA2015_S2": 2}
    assert (result.victims_safeguarded_adult, result.victims_safeguarded_child) == (4, 2)
    assert (result.nrm_referrals_child, result.nrm_referrals_adult, result.duty_to_notify) == (1, 0, 1)
    assert result.reasonable_grounds_positive == 1
    assert result.poca_pence == {"CASH_SEIZURE": 1_250_149} and pounds(result.poca_total_pence) == "£12,501.49"


def test_totals_by_quarter_split_the_same_rows() -> None:
    quarters = [totals(p, ROWS, NRM) for p in periods_between(date(2025, 1, 15), date(2025, 9, 1), "quarter")]
    assert [q.period for q in quarters] == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert [q.arrests for q in quarters] == [5, 3, 0]
    assert [q.charges for q in quarters] == [0, 3, 0]
    assert [q.poca_total_pence for q in quarters] == [0, 0, 1_250_149]
    months = periods_between(date(2025, 11, 3), date(2026, 2, 1), "month")
    assert [m.label for m in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months[1].end == date(2025, 12, 31) and parse_period("2024-02").end == date(2024, 2, 29)


def test_outcomes_are_validated_field_by_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_outcome({"kind": "CHARGE", "occurred_on": "2025-05-01", "offence_code": "SOA2003_S57"}, OFFENCES)
    reasons = {e.field: e.reason for e in caught.value.errors}
    assert "record an outcome against an operation or a referral" in reasons["operation_id"]
    assert (
        "SOA2003_S57 (Trafficking into the UK for sexual exploitation) was not in force on 2025-05-01"
        in (reasons["offence_code"])
    )
    with pytest.raises(ValidationFailed) as caught:
        outcome(kind="POCA", occurred_on="2025-05-01", poca_kind="BITCOIN", amount_pounds="1.234")
    assert {e.field for e in caught.value.errors} == {"poca_kind", "amount_pounds"}
    assert outcome(kind="CHARGE", occurred_on="2012-01-01", offence_code="SOA2003_S57")["offence_code"] == "SOA2003_S57"
    with pytest.raises(ValidationFailed, match="use 2025, 2025-05, 2025-Q2 or FY2025"):
        parse_period("last year")


def test_stored_outcomes_total_by_period_and_trace_to_their_reports(access: DataAccess) -> None:
    flow = WorkflowAccess(access, REF)
    report_id = referral_report(access)
    referral = flow.create_referral(report_id, facts_data())
    operation = flow.create_operation("Operation Bluesky", "SCD6-HTT")
    flow.link_referral(operation["id"], referral["id"], referral["version"])
    for row in (
        {"kind": "ARREST", "occurred_on": "2025-04-02", "count": 2},
        {"kind": "CHARGE", "occurred_on": "2025-04-03", "offence_code": "MSA2015_S1"},
        {"kind": "POCA", "occurred_on": "2025-06-01", "poca_kind": "ACCOUNT_FREEZING", "amount_pounds": "2500"},
        {"kind": "ARREST", "occurred_on": "2025-07-01"},
    ):
        flow.record_outcome({"operation_id": operation["id"], **row})
    saved = flow.record_outcome(
        {"referral_id": referral["id"], "kind": "VICTIMS_SAFEGUARDED", "occurred_on": "2025-04-02", "children": 1}
    )
    assert saved["trace"] == {"operation_id": None, "referral_ids": [referral["id"]], "report_ids": [report_id]}
    case = flow.open_nrm({"referral_id": referral["id"], "age_group": "UNCERTAIN", "identified_on": "2025-04-02"})
    flow.nrm_transition(case["id"], case["version"], "REFERRED", date(2025, 4, 3))
    q2 = flow.totals("2025-Q2")
    assert (q2.arrests, q2.charges, q2.victims_safeguarded_child, q2.nrm_referrals_child) == (2, 1, 1, 1)
    assert q2.to_json()["poca_total"] == {"pence": 250_000, "pounds": "£2,500.00"}
    series = flow.totals_by(date(2025, 4, 1), date(2025, 7, 31), "month")
    assert [(t.period, t.arrests) for t in series] == [("2025-04", 2), ("2025-05", 0), ("2025-06", 0), ("2025-07", 1)]
    whole = flow.operation(operation["id"])
    assert whole is not None and len(whole["outcomes"]) == 4 and whole["referrals"][0]["id"] == referral["id"]
    first = flow.outcomes(operation_id=operation["id"])[0]
    assert flow.trace(first["id"])["report_ids"] == [report_id]
