"""Deconfliction: a report touching another unit's live operation alerts both sides, and the
submitter learns nothing they may not see."""

from __future__ import annotations

from typing import Any

from maxim.domain.ids import mention_id
from maxim.network.deconflict import check_deconfliction
from maxim.store.access import DataAccess
from maxim.store.engine import Database
from maxim.store.network_access import NetworkAccess
from maxim.store.workflow_access import WorkflowAccess
from tests.factories import c_coded, person, report
from tests.network.helpers import records


def test_alerts_fire_across_units_and_reveal_nothing_hidden(db: Database, make_user: Any) -> None:
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    submitter, _ = make_user("lee", "BOCU-LAMBETH", "intake_officer")
    as_owner = DataAccess(db, owner, channel="test")
    as_submitter = DataAccess(db, submitter, channel="test")
    # The owning unit's own C-coded intelligence: the submitter may not see it.
    hidden = c_coded(
        originator="SCD6-HTT",
        reference="HTT/2025/000001",
        share_with=[],
        text="Hidden subject.",
        entities=[person("p1", "Testperson Secretname", phone=["07700 900555"])],
    )
    as_owner.submit(records([hidden]))
    subject = mention_id("SCD6-HTT", "HTT/2025/000001", "p1")
    flow = WorkflowAccess(as_owner)
    op = flow.create_operation("Operation Invented Heron", "SCD6-HTT")
    flow.add_subject(op["id"], subject)
    # Lambeth reports someone else on the same phone.
    new = report(
        reference="LAM/2025/000777",
        text="Phone seen.",
        entities=[person("p1", "Testperson Caller", phone=["07700 900555"])],
    )
    [submitted] = as_submitter.submit(records([new]))
    alerts = check_deconfliction(as_submitter, submitted.report_id)
    by = {a.recipient: a for a in alerts}
    assert set(by) == {"owner", "submitter"}
    assert by["owner"].unit == "SCD6-HTT" and subject in by["owner"].detail and "BOCU-LAMBETH" in by["owner"].detail
    mine = by["submitter"]
    assert mine.username == "lee" and "SCD6-HTT" in mine.detail and "07700" in mine.entity.replace("+44", "0")
    for secret in ("Secretname", "Operation Invented Heron", op["id"], subject):
        assert secret not in mine.detail and secret not in mine.entity
    # Stored and listed for each side; a second check adds nothing.
    assert check_deconfliction(as_submitter, submitted.report_id) == []
    assert [a["recipient"] for a in NetworkAccess(as_owner).alerts()] == ["owner"]
    listed = NetworkAccess(as_submitter).alerts()
    assert [a["recipient"] for a in listed] == ["submitter"]
    assert all("Secretname" not in str(v) and "Heron" not in str(v) for a in listed for v in a.values())


def test_own_unit_and_unrelated_reports_raise_nothing(db: Database, make_user: Any) -> None:
    owner, _ = make_user("hal", "SCD6-HTT", "investigator")
    as_owner = DataAccess(db, owner, channel="test")
    first = report(
        originator="SCD6-HTT",
        reference="HTT/2025/000002",
        entities=[person("p1", "Testperson Known", phone=["07700 900556"])],
    )
    as_owner.submit(records([first]))
    flow = WorkflowAccess(as_owner)
    op = flow.create_operation("Operation Invented Wren", "SCD6-HTT")
    flow.add_subject(op["id"], mention_id("SCD6-HTT", "HTT/2025/000002", "p1"))
    again = report(
        originator="SCD6-HTT",
        reference="HTT/2025/000003",
        entities=[person("p1", "Testperson Known", phone=["07700 900556"])],
    )
    [own] = as_owner.submit(records([again]))
    assert check_deconfliction(as_owner, own.report_id) == []
    other, _ = make_user("lee", "BOCU-LAMBETH", "intake_officer")
    as_other = DataAccess(db, other, channel="test")
    unrelated = report(reference="LAM/2025/000778", entities=[person("p1", "Testperson Else", phone=["07700 900557"])])
    [done] = as_other.submit(records([unrelated]))
    assert check_deconfliction(as_other, done.report_id) == []
