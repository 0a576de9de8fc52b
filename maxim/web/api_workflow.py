"""JSON API for referrals, routing, tasks, operations, outcomes and NRM cases (no `from __future__
import annotations`: FastAPI reads the annotations at definition time).

Thin: each route parses the request and calls `WorkflowAccess`. Bad input raises
`ValidationFailed` (the app's 422 envelope names each field); a stale `version` is 409 with the
current version in the message; an unknown id is 404.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.route.rules import RuleSetRefused
from maxim.store.access import DataAccess, Forbidden
from maxim.store.workflow_access import Conflict, NotFound, WorkflowAccess

# Versions are small counters; anything beyond a 32-bit integer is refused before it reaches SQL.
MAX_VERSION = 2**31 - 1


class Versioned(BaseModel):
    version: int = Field(ge=0, le=MAX_VERSION, description="The version you read; a stale one is refused with 409.")


class Reasoned(Versioned):
    reason: str


class OperationIn(BaseModel):
    name: str
    owner_unit: str
    description: str | None = None


class SubjectIn(BaseModel):
    entity_id: str
    role: str | None = None


class LinkIn(Versioned):
    referral_id: str


class NrmMove(Versioned):
    to: str
    on: date
    consent: bool | None = None
    requested_by: str | None = None
    note: str | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@contextmanager
def _errors() -> Iterator[None]:
    """Workflow errors as HTTP answers: the one mapping every route shares."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except Conflict as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except Forbidden as exc:
        raise HTTPException(status_code=403, detail=str(exc)) from exc
    except RuleSetRefused as exc:
        raise ValidationFailed([FieldError(f"line {f.line}", f.reason) for f in exc.faults]) from exc


def _found(value: dict[str, Any] | None, what: str) -> dict[str, Any]:
    if value is None:
        raise HTTPException(status_code=404, detail=f"no such {what}")
    return value


def make_router(get_access: Callable[..., DataAccess]) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["workflow"])

    def workflow(access: Annotated[DataAccess, Depends(get_access)]) -> WorkflowAccess:
        return WorkflowAccess(access)

    Flow = Annotated[WorkflowAccess, Depends(workflow)]

    # -- SOP ----------------------------------------------------------------------------

    @router.get("/sop", summary="The active routing rule set and the loaded versions")
    def sop(flow: Flow) -> Any:
        rules = flow.active_rules()
        return _jsonable(
            {
                "version": rules.version,
                "sha256": rules.sha256,
                "title": rules.title,
                "rules": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "target": r.target,
                        "target_from": r.target_from,
                        "capacity": r.capacity,
                        "fall_through": r.fall_through,
                    }
                    for r in rules.rules
                ],
                "versions": flow.rule_versions(),
            }
        )

    @router.post("/sop", status_code=201, summary="Load a new rule set (YAML text); refused files change nothing")
    def load_sop(flow: Flow, body: Annotated[str, Body(media_type="text/plain")]) -> Any:
        with _errors():
            rules = flow.load_rules(body, "uploaded sop")
        return {"version": rules.version, "sha256": rules.sha256, "active": True}

    # -- referrals ----------------------------------------------------------------------

    @router.post("/referrals", status_code=201, summary="Create a referral record for a referral report")
    def create_referral(flow: Flow, body: Annotated[dict[str, Any], Body()]) -> Any:
        report_id = body.get("report_id")
        if not isinstance(report_id, str):
            raise ValidationFailed([FieldError("report_id", "required: the id of a report of kind referral")])
        with _errors():
            return _jsonable(flow.create_referral(report_id, body))

    @router.get("/referrals", summary="Referrals, by assigned unit and status")
    def list_referrals(flow: Flow, unit: str | None = None, status: str | None = None) -> Any:
        return _jsonable(flow.referrals(unit=unit, status=status))

    @router.get("/referrals/{referral_id}", summary="A referral with every routing decision and alert")
    def get_referral(flow: Flow, referral_id: str) -> Any:
        return _jsonable(_found(flow.referral(referral_id), "referral"))

    @router.post("/referrals/{referral_id}/route", summary="Route a new referral by the active SOP")
    def route_referral(flow: Flow, referral_id: str, body: Versioned) -> Any:
        with _errors():
            return _jsonable(flow.route_referral(referral_id, body.version))

    @router.post("/referrals/{referral_id}/accept", summary="Accept a routed referral (409 if someone was first)")
    def accept(flow: Flow, referral_id: str, body: Versioned) -> Any:
        with _errors():
            return _jsonable(flow.accept(referral_id, body.version))

    @router.post("/referrals/{referral_id}/decline", summary="Decline with a reason: re-routed without this unit")
    def decline(flow: Flow, referral_id: str, body: Reasoned) -> Any:
        with _errors():
            return _jsonable(flow.decline(referral_id, body.version, body.reason))

    @router.post("/referrals/{referral_id}/escalate", summary="Escalate to Maxim for a decision by hand")
    def escalate(flow: Flow, referral_id: str, body: Reasoned) -> Any:
        with _errors():
            return _jsonable(flow.escalate(referral_id, body.version, body.reason))

    @router.post("/referrals/{referral_id}/close", summary="Close an accepted referral")
    def close(flow: Flow, referral_id: str, body: Versioned) -> Any:
        with _errors():
            return _jsonable(flow.close(referral_id, body.version))

    @router.post("/alerts/sla", summary="Raise SLA alerts for referrals not accepted in time; returns new ones")
    def raise_alerts(flow: Flow) -> Any:
        return _jsonable(flow.raise_sla_alerts())

    @router.get("/alerts", summary="Stored alerts")
    def alerts(flow: Flow, unit: str | None = None) -> Any:
        return _jsonable(flow.alerts(unit))

    # -- operations ---------------------------------------------------------------------

    @router.post("/operations", status_code=201, summary="Create a named operation owned by a unit")
    def create_operation(flow: Flow, body: OperationIn) -> Any:
        with _errors():
            return _jsonable(flow.create_operation(body.name, body.owner_unit, body.description))

    @router.get("/operations/{operation_id}", summary="An operation with subjects, referrals, tasks, outcomes")
    def get_operation(flow: Flow, operation_id: str) -> Any:
        return _jsonable(_found(flow.operation(operation_id), "operation"))

    @router.post("/operations/{operation_id}/subjects", status_code=201, summary="Add a subject (canonical entity)")
    def add_subject(flow: Flow, operation_id: str, body: SubjectIn) -> Any:
        with _errors():
            flow.add_subject(operation_id, body.entity_id, body.role)
        return _jsonable(_found(flow.operation(operation_id), "operation"))

    @router.post("/operations/{operation_id}/referrals", summary="Link a referral to the operation")
    def link_referral(flow: Flow, operation_id: str, body: LinkIn) -> Any:
        with _errors():
            return _jsonable(flow.link_referral(operation_id, body.referral_id, body.version))

    # -- tasks --------------------------------------------------------------------------

    @router.post("/tasks", status_code=201, summary="Create a task for a unit (owner, due date, priority)")
    def create_task(flow: Flow, body: Annotated[dict[str, Any], Body()]) -> Any:
        with _errors():
            return _jsonable(flow.create_task(body))

    @router.get("/tasks", summary="Tasks by unit, status or operation")
    def list_tasks(
        flow: Flow, unit: str | None = None, status: str | None = None, operation_id: str | None = None
    ) -> Any:
        return _jsonable(flow.tasks(unit=unit, status=status, operation_id=operation_id))

    @router.get("/tasks/{task_id}", summary="A task")
    def get_task(flow: Flow, task_id: str) -> Any:
        return _jsonable(_found(flow.task(task_id), "task"))

    @router.patch("/tasks/{task_id}", summary="Update a task read at `version` (409 when it changed since)")
    def update_task(flow: Flow, task_id: str, body: Annotated[dict[str, Any], Body()]) -> Any:
        version = body.get("version")
        if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= MAX_VERSION:
            raise ValidationFailed([FieldError("version", "required: the version you read")])
        with _errors():
            return _jsonable(flow.update_task(task_id, version, {k: v for k, v in body.items() if k != "version"}))

    @router.delete("/tasks/{task_id}", status_code=204, summary="Delete a PROPOSED task read at `version`")
    def delete_task(flow: Flow, task_id: str, version: Annotated[int, Query(ge=0, le=MAX_VERSION)]) -> None:
        with _errors():
            flow.delete_task(task_id, version)

    # -- outcomes and NRM ---------------------------------------------------------------

    @router.post(
        "/outcomes", status_code=201, summary="Record an arrest, charge, conviction, safeguarding or POCA result"
    )
    def record_outcome(flow: Flow, body: Annotated[dict[str, Any], Body()]) -> Any:
        with _errors():
            return _jsonable(flow.record_outcome(body))

    @router.get("/outcomes", summary="Outcomes of an operation or referral")
    def list_outcomes(flow: Flow, operation_id: str | None = None, referral_id: str | None = None) -> Any:
        return _jsonable(flow.outcomes(operation_id=operation_id, referral_id=referral_id))

    @router.get("/outcomes/totals", summary="Totals for a period (2025-Q2, FY2025) or per period from..to")
    def outcome_totals(
        flow: Flow,
        period: str | None = None,
        from_: Annotated[date | None, Query(alias="from")] = None,
        to: date | None = None,
        by: str = "month",
    ) -> Any:
        if period:
            return flow.totals(period).to_json()
        if from_ is None or to is None:
            raise ValidationFailed([FieldError("period", "give a period, or from and to (with by)")])
        return [t.to_json() for t in flow.totals_by(from_, to, by)]

    @router.get("/outcomes/{outcome_id}/trace", summary="The referrals and reports an outcome came from")
    def trace(flow: Flow, outcome_id: str) -> Any:
        with _errors():
            return flow.trace(outcome_id)

    @router.post("/nrm", status_code=201, summary="Open an NRM case for a potential victim")
    def open_nrm(flow: Flow, body: Annotated[dict[str, Any], Body()]) -> Any:
        with _errors():
            return flow.open_nrm(body)

    @router.get("/nrm/{case_id}", summary="An NRM case with its history and the moves allowed next")
    def get_nrm(flow: Flow, case_id: str) -> Any:
        return _found(flow.nrm(case_id), "NRM case")

    @router.post("/nrm/{case_id}/transition", summary="Move an NRM case; illegal moves are refused with the reason")
    def nrm_move(flow: Flow, case_id: str, body: NrmMove) -> Any:
        details = {
            k: v
            for k, v in (("consent", body.consent), ("requested_by", body.requested_by), ("note", body.note))
            if v is not None
        }
        with _errors():
            return flow.nrm_transition(case_id, body.version, body.to, body.on, **details)

    return router
