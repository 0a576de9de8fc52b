"""Tasks with optimistic locking, on SQLite and PostgreSQL: no lost update, illegal moves refused."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from maxim.domain.errors import ValidationFailed
from maxim.store.access import DataAccess
from maxim.store.workflow_access import Conflict, NotFound, WorkflowAccess
from tests.route.helpers import REF


def new_task(flow: WorkflowAccess, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Research the flat's tenancy",
        "owner_unit": "SCD6-HTT",
        "due_date": "2025-07-01",
        "tcg_meeting": "TT&CG 2025-06-10",
        "chair": "DCI Example",
        "tactic": "TARGET_OFFENDERS",
    }
    base.update(fields)
    return flow.create_task(base)


def test_a_task_moves_through_its_statuses_with_versions(access: DataAccess) -> None:
    flow = WorkflowAccess(access, REF)
    task = new_task(flow)
    assert (task["status"], task["priority"], task["version"], task["due_date"]) == (
        "PROPOSED",
        "MEDIUM",
        1,
        date(2025, 7, 1),
    )
    task = flow.update_task(task["id"], 1, {"status": "ACCEPTED", "owner_user": "analyst1"})
    task = flow.update_task(task["id"], 2, {"status": "IN_PROGRESS"})
    task = flow.update_task(task["id"], 3, {"status": "RESULTED", "result": "Tenancy in a false name; see report"})
    assert (task["status"], task["version"], task["owner_user"]) == ("RESULTED", 4, "analyst1")
    with pytest.raises(ValidationFailed, match="a RESULTED task cannot become PROPOSED"):
        flow.update_task(task["id"], 4, {"status": "PROPOSED"})
    with pytest.raises(Conflict, match="you saw version 2, it is now version 4"):
        flow.update_task(task["id"], 2, {"priority": "HIGH"})
    assert [t["id"] for t in flow.tasks(unit="SCD6-HTT", status="RESULTED")] == [task["id"]]


def test_bad_task_fields_are_named(access: DataAccess) -> None:
    flow = WorkflowAccess(access, REF)
    with pytest.raises(ValidationFailed) as caught:
        flow.create_task({"title": "", "owner_unit": "SCD99", "due_date": "soon", "priority": "URGENT", "colour": 1})
    assert {e.field for e in caught.value.errors} == {"title", "owner_unit", "due_date", "priority", "colour"}
    with pytest.raises(ValidationFailed, match="no such operation"):
        new_task(flow, operation_id="missing")


def test_only_a_proposed_task_is_deleted_and_only_at_its_version(access: DataAccess) -> None:
    flow = WorkflowAccess(access, REF)
    task = new_task(flow)
    with pytest.raises(Conflict):
        flow.delete_task(task["id"], 7)
    flow.delete_task(task["id"], 1)
    assert flow.task(task["id"]) is None
    with pytest.raises(NotFound):
        flow.delete_task(task["id"], 1)


def test_two_people_updating_one_task_at_once_lose_nothing(access: DataAccess) -> None:
    flow = WorkflowAccess(access, REF)
    task = new_task(flow)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def update(name: str, changes: dict[str, Any]) -> None:
        mine = WorkflowAccess(DataAccess(access.db, access.actor, channel="test"), REF)
        barrier.wait()
        try:
            results[name] = mine.update_task(task["id"], 1, changes)
        except Conflict as exc:
            results[name] = exc

    threads = [
        threading.Thread(target=update, args=("a", {"priority": "HIGH"})),
        threading.Thread(target=update, args=("b", {"result": "Vehicle seen at the address"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [r for r in results.values() if isinstance(r, Conflict)]
    assert len(conflicts) == 1 and conflicts[0].current_version == 2
    stored = flow.task(task["id"])
    assert stored is not None and stored["version"] == 2
    winner = next(name for name, r in results.items() if isinstance(r, dict))
    # the winner's change is there; the loser's was refused, not silently overwritten or merged
    assert (stored["priority"], stored["result"]) == (
        ("HIGH", None) if winner == "a" else ("MEDIUM", "Vehicle seen at the address")
    )


def test_operations_have_subjects_and_tasks(access: DataAccess) -> None:
    flow = WorkflowAccess(access, REF)
    operation = flow.create_operation("Operation Bluesky", "SCD6-MAXIM", "Network controlling off-street brothels")
    flow.add_subject(operation["id"], "ent-synthetic-1", "controller")
    flow.add_subject(operation["id"], "ent-synthetic-1", "controller")  # idempotent
    new_task(flow, operation_id=operation["id"])
    whole = flow.operation(operation["id"])
    assert whole is not None
    assert [s["entity_id"] for s in whole["subjects"]] == ["ent-synthetic-1"] and len(whole["tasks"]) == 1
    with pytest.raises(ValidationFailed, match="exists"):
        flow.create_operation("Operation Bluesky", "SCD6-MAXIM")
