"""Data access for workflow objects: referrals, routing decisions, SOP versions, SLA alerts,
operations, tasks, outcomes and NRM cases.

It takes a `DataAccess`, so every call carries the acting user, reads report data only through
it (and so through its access policy), and appends s62 events where personal data is touched.
Rows two people may change at once are updated `WHERE version = :seen`: no row changed means
someone else got there first, and the caller gets `Conflict` naming the current version instead
of a lost update. Routing reads unit loads and writes its decision in one transaction (under an
advisory lock on PostgreSQL; SQLite has one writer), so two routings never both take a unit's
last place.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, text, update

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.domain.nrm import IllegalTransition, case_from_json, case_to_json, open_case, transition
from maxim.domain.offences import OffenceCatalogue, load_offences
from maxim.domain.typology import Typology, load_typology
from maxim.reference import Reference, load_reference
from maxim.route.facts import ReferralFacts, facts_from_json, parse_facts
from maxim.route.router import Decision, route
from maxim.route.rules import RuleFault, RuleSet, RuleSetRefused, load_shipped, parse_rules
from maxim.route.sla import aware, overdue
from maxim.store.access import DataAccess, Forbidden
from maxim.store.audit import Operation
from maxim.store.tables import reports
from maxim.store.tables_workflow import (
    nrm_cases,
    operation_subjects,
    operations,
    outcomes,
    referral_alerts,
    referrals,
    routing_decisions,
    sop_versions,
    tasks,
)
from maxim.task.model import check_move, parse_task_fields
from maxim.task.outcomes import Period, Totals, parse_outcome, parse_period, periods_between, totals

OPEN = ("ROUTED", "ACCEPTED", "ESCALATED")
AWAITING = ("ROUTED", "ESCALATED")
SUPERVISING = frozenset({"administrator", "supervisor", "tasking_chair"})
_ROUTE_LOCK = 0x6D78726F757465  # serialises capacity decisions on PostgreSQL


class NotFound(LookupError):
    """No such object, or the actor may not see it (the two are not told apart)."""


class Conflict(RuntimeError):
    """Someone else changed the object first; `current_version` is what it is now."""

    def __init__(self, what: str, seen: int | None, current: int, state: str | None = None) -> None:
        self.current_version = current
        self.state = state
        if seen is not None and seen != current:
            message = (
                f"{what} was changed by someone else: you saw version {seen}, it is now version {current}"
                + (f" ({state})" if state else "")
                + "; reload it and try again"
            )
        else:
            message = f"{what} is {state} (version {current}): that cannot be done now"
        super().__init__(message)


def _new_id() -> str:
    return uuid.uuid4().hex


class WorkflowAccess:
    def __init__(
        self,
        access: DataAccess,
        ref: Reference | None = None,
        typology: Typology | None = None,
        offences: OffenceCatalogue | None = None,
    ) -> None:
        self.access = access
        self.db = access.db
        self.ref = ref or load_reference()
        self.typology = typology or load_typology()
        self.offences = offences or load_offences()

    # -- helpers ------------------------------------------------------------------------

    @property
    def _user(self) -> str:
        return self.access.actor.username

    def _audit(
        self,
        conn: Connection,
        operation: Operation,
        object_type: str,
        ids: Sequence[str],
        justification: str | None = None,
    ) -> None:
        self.access.log(conn, operation, object_type, ids, justification)

    def _may_act_for(self, unit: str | None) -> None:
        actor = self.access.actor
        if unit is not None and actor.unit != unit and not (actor.roles & SUPERVISING):
            raise Forbidden(f"only {unit} (or a supervisor) may do this")

    def _claim(
        self,
        conn: Connection,
        table: Any,
        what: str,
        object_id: str,
        seen: int,
        states: Sequence[str] | None,
        state_col: str = "status",
        **values: Any,
    ) -> None:
        """Bump the version of a row read at `seen` (and in one of `states`), or raise Conflict/NotFound."""
        cond = [table.c.id == object_id, table.c.version == seen]
        if states is not None:
            cond.append(table.c[state_col].in_(states))
        done = conn.execute(update(table).where(*cond).values(version=table.c.version + 1, **values))
        if done.rowcount == 1:
            return
        row = conn.execute(select(table.c.version, table.c[state_col]).where(table.c.id == object_id)).first()
        if row is None:
            raise NotFound(f"no {what} {object_id}")
        raise Conflict(f"{what} {object_id}", seen, int(row[0]), str(row[1]))

    # -- the SOP rule set ---------------------------------------------------------------

    def active_rules(self) -> RuleSet:
        """The active loaded rule set, or the shipped one when none has been loaded."""
        with self.db.reader.connect() as conn:
            stored = conn.execute(select(sop_versions.c.text).where(sop_versions.c.active)).scalar()
        if stored is None:
            return load_shipped(self.ref.units)
        return parse_rules(stored, self.ref.units, "active sop")

    def load_rules(self, text_: str, name: str = "sop.yaml") -> RuleSet:
        """Validate and activate a rule file; a refused file changes nothing (RuleSetRefused)."""
        if "administrator" not in self.access.actor.roles:
            raise Forbidden("only an administrator may load a rule set")
        rules = parse_rules(text_, self.ref.units, name)
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            known = conn.execute(
                select(sop_versions.c.id, sop_versions.c.sha256).where(sop_versions.c.version == rules.version)
            ).first()
            if known is not None and known.sha256 != rules.sha256:
                raise RuleSetRefused(
                    name,
                    [
                        _fault(
                            f"version {rules.version} is already loaded with different "
                            "rules: give this file a new version"
                        )
                    ],
                )
            conn.execute(update(sop_versions).values(active=False))
            if known is None:
                conn.execute(
                    sop_versions.insert().values(
                        version=rules.version,
                        sha256=rules.sha256,
                        text=text_,
                        active=True,
                        loaded_at=now,
                        loaded_by=self._user,
                    )
                )
            else:
                conn.execute(update(sop_versions).where(sop_versions.c.id == known.id).values(active=True))
        return rules

    def rule_versions(self) -> list[dict[str, Any]]:
        with self.db.reader.connect() as conn:
            rows = conn.execute(
                select(
                    sop_versions.c.version,
                    sop_versions.c.sha256,
                    sop_versions.c.active,
                    sop_versions.c.loaded_at,
                    sop_versions.c.loaded_by,
                ).order_by(sop_versions.c.id)
            )
            return [dict(r._mapping) for r in rows]

    # -- referrals ----------------------------------------------------------------------

    def parse_facts(self, data: Mapping[str, Any]) -> ReferralFacts:
        return parse_facts(data, self.ref, self.typology)

    def create_referral(self, report_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """A referral record for a visible report of kind `referral`, with its validated facts."""
        report = self.access.report(report_id)
        if report is None:
            raise ValidationFailed([FieldError("report_id", f"no report {report_id!r} that you may see")])
        if report["kind"] != "referral":
            raise ValidationFailed(
                [FieldError("report_id", f"report {report_id} is of kind {report['kind']!r}, not a referral")]
            )
        facts = self.parse_facts({k: v for k, v in data.items() if k != "report_id"})
        now = self.access.clock()
        rid = _new_id()
        with self.db.writer.begin() as conn:
            if conn.execute(select(referrals.c.id).where(referrals.c.report_id == report_id)).first():
                raise ValidationFailed([FieldError("report_id", f"report {report_id} already has a referral record")])
            conn.execute(
                referrals.insert().values(
                    id=rid,
                    report_id=report_id,
                    referring_organisation=facts.referring_organisation,
                    referral_route=facts.referral_route,
                    found_borough=facts.found_borough,
                    victims_adult=facts.victims_adult,
                    victims_child=facts.victims_child,
                    facts=facts.to_json(),
                    status="NEW",
                    version=1,
                    created_at=now,
                    created_by=self._user,
                    updated_at=now,
                    updated_by=self._user,
                )
            )
            self._audit(conn, Operation.COLLECTION, "referral", [rid])
        found = self.referral(rid)
        assert found is not None
        return found

    def referral(self, referral_id: str) -> dict[str, Any] | None:
        """A referral with its decisions (oldest first) and alerts; the read is audited."""
        with self.db.writer.begin() as conn:
            row = conn.execute(select(referrals).where(referrals.c.id == referral_id)).first()
            if row is None or not self._report_visible(conn, row.report_id):
                return None
            result = dict(row._mapping)
            result["decisions"] = [
                dict(d._mapping)
                for d in conn.execute(
                    select(routing_decisions)
                    .where(routing_decisions.c.referral_id == referral_id)
                    .order_by(routing_decisions.c.seq)
                )
            ]
            result["alerts"] = [
                dict(a._mapping)
                for a in conn.execute(
                    select(referral_alerts)
                    .where(referral_alerts.c.referral_id == referral_id)
                    .order_by(referral_alerts.c.id)
                )
            ]
            self._audit(conn, Operation.CONSULTATION, "referral", [referral_id])
        return result

    def _report_visible(self, conn: Connection, report_id: str) -> bool:
        """A referral is visible only with its report: the access policy of reports applies to it."""
        found = conn.execute(
            select(reports.c.id).where(reports.c.id == report_id, self.access.policy.report_filter(self.access.actor))
        ).first()
        return found is not None

    def referrals(
        self, *, unit: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        query = (
            select(
                referrals.c.id,
                referrals.c.report_id,
                referrals.c.status,
                referrals.c.assigned_unit,
                referrals.c.routed_at,
                referrals.c.version,
                referrals.c.referral_route,
                referrals.c.found_borough,
            )
            .order_by(referrals.c.created_at.desc())
            .limit(limit)
        )
        if unit:
            query = query.where(referrals.c.assigned_unit == unit)
        if status:
            query = query.where(referrals.c.status == status)
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def loads(self, conn: Connection | None = None) -> dict[str, int]:
        """Open referrals (routed, accepted or escalated) each unit carries now."""
        query = (
            select(referrals.c.assigned_unit, func.count())
            .where(referrals.c.status.in_(OPEN))
            .group_by(referrals.c.assigned_unit)
        )
        if conn is not None:
            return {str(u): int(n) for u, n in conn.execute(query) if u}
        with self.db.reader.connect() as reader:
            return {str(u): int(n) for u, n in reader.execute(query) if u}

    def _lock_routing(self, conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ROUTE_LOCK})

    def _decide(
        self,
        conn: Connection,
        referral_id: str,
        kind: str,
        decision: Decision,
        *,
        declined_unit: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        seq = (
            conn.execute(
                select(func.coalesce(func.max(routing_decisions.c.seq), 0)).where(
                    routing_decisions.c.referral_id == referral_id
                )
            ).scalar_one()
            + 1
        )
        explanation = decision.explanation()
        row = {
            "referral_id": referral_id,
            "seq": seq,
            "kind": kind,
            "decided_at": decision.decided_at,
            "decided_by": self._user,
            "rule_set_version": decision.rule_set_version,
            "rule_id": decision.rule_id,
            "target_unit": decision.target,
            "advice_unit": decision.advice,
            "fell_through": decision.fell_through,
            "declined_unit": declined_unit,
            "reason": reason,
            "explanation": explanation,
        }
        conn.execute(routing_decisions.insert().values(**row))
        conn.execute(
            update(referrals)
            .where(referrals.c.id == referral_id)
            .values(
                status="ROUTED" if decision.target else "UNROUTED",
                assigned_unit=decision.target,
                routed_at=decision.decided_at,
                accepted_at=None,
                accepted_by=None,
                updated_at=decision.decided_at,
                updated_by=self._user,
            )
        )
        self._audit(conn, Operation.ALTERATION, "referral", [referral_id], justification=f"routing: {kind}")
        return row

    def route_referral(self, referral_id: str, version: int) -> dict[str, Any]:
        """Route a new (or unrouted) referral by the active rule set and store the explained decision."""
        rules = self.active_rules()
        with self.db.writer.begin() as conn:
            self._lock_routing(conn)
            self._claim(conn, referrals, "referral", referral_id, version, ("NEW", "UNROUTED"))
            facts = facts_from_json(
                conn.execute(select(referrals.c.facts).where(referrals.c.id == referral_id)).scalar_one()
            )
            decision = route(
                facts,
                rules,
                self.ref.units,
                self.loads(conn),
                at=self.access.clock(),
                excluded=self._declined(conn, referral_id),
            )
            row = self._decide(conn, referral_id, "ROUTE", decision)
        return row

    def _declined(self, conn: Connection, referral_id: str) -> frozenset[str]:
        rows = conn.execute(
            select(routing_decisions.c.declined_unit).where(
                routing_decisions.c.referral_id == referral_id, routing_decisions.c.declined_unit.is_not(None)
            )
        )
        return frozenset(str(r[0]) for r in rows)

    def _assigned(self, conn: Connection, referral_id: str) -> str | None:
        row = conn.execute(select(referrals.c.assigned_unit).where(referrals.c.id == referral_id)).first()
        if row is None:
            raise NotFound(f"no referral {referral_id}")
        return row[0] if row[0] is None else str(row[0])

    def accept(self, referral_id: str, version: int) -> dict[str, Any]:
        """The assigned unit accepts: one of two people accepting at once wins, the other gets Conflict."""
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            self._may_act_for(self._assigned(conn, referral_id))
            self._claim(
                conn,
                referrals,
                "referral",
                referral_id,
                version,
                AWAITING,
                status="ACCEPTED",
                accepted_at=now,
                accepted_by=self._user,
                updated_at=now,
                updated_by=self._user,
            )
            self._audit(conn, Operation.ALTERATION, "referral", [referral_id], justification="accepted")
        return self._state(referral_id)

    def decline(self, referral_id: str, version: int, reason: str) -> dict[str, Any]:
        """The assigned unit declines with a reason; the rules route it again without that unit."""
        if not reason or not reason.strip():
            raise ValidationFailed([FieldError("reason", "say why the referral is declined")])
        rules = self.active_rules()
        with self.db.writer.begin() as conn:
            self._lock_routing(conn)
            unit = self._assigned(conn, referral_id)
            self._may_act_for(unit)
            self._claim(conn, referrals, "referral", referral_id, version, AWAITING)
            # The declining unit no longer carries it: route as if it were not counted there.
            conn.execute(update(referrals).where(referrals.c.id == referral_id).values(status="DECLINED"))
            facts = facts_from_json(
                conn.execute(select(referrals.c.facts).where(referrals.c.id == referral_id)).scalar_one()
            )
            excluded = self._declined(conn, referral_id) | ({unit} if unit else set())
            decision = route(
                facts, rules, self.ref.units, self.loads(conn), at=self.access.clock(), excluded=frozenset(excluded)
            )
            self._decide(conn, referral_id, "REROUTE", decision, declined_unit=unit, reason=reason.strip())
        return self._state(referral_id)

    def escalate(self, referral_id: str, version: int, reason: str) -> dict[str, Any]:
        """Hand the referral to the rule set's escalation unit (Maxim) for a decision by hand."""
        if not reason or not reason.strip():
            raise ValidationFailed([FieldError("reason", "say why the referral is escalated")])
        rules = self.active_rules()
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            unit = self._assigned(conn, referral_id)
            self._claim(conn, referrals, "referral", referral_id, version, ("NEW", "ROUTED", "UNROUTED", "ACCEPTED"))
            seen = self.loads(conn).get(rules.escalation_unit, 0)
            decision = Decision(
                rule_set_version=rules.version,
                decided_at=now,
                target=rules.escalation_unit,
                rule_id=None,
                steps=(),
                summary=f"escalated from {unit or 'unrouted'} to {rules.escalation_unit}: {reason.strip()}",
                advice_note=f"{rules.escalation_unit} carries {seen} open referrals",
            )
            self._decide(conn, referral_id, "ESCALATE", decision, reason=reason.strip())
            conn.execute(update(referrals).where(referrals.c.id == referral_id).values(status="ESCALATED"))
        return self._state(referral_id)

    def close(self, referral_id: str, version: int) -> dict[str, Any]:
        """Close an accepted referral: it stops counting against the unit's capacity."""
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            self._may_act_for(self._assigned(conn, referral_id))
            self._claim(
                conn,
                referrals,
                "referral",
                referral_id,
                version,
                ("ACCEPTED",),
                status="CLOSED",
                updated_at=now,
                updated_by=self._user,
            )
            self._audit(conn, Operation.ALTERATION, "referral", [referral_id], justification="closed")
        return self._state(referral_id)

    def _state(self, referral_id: str) -> dict[str, Any]:
        with self.db.reader.connect() as conn:
            row = conn.execute(
                select(
                    referrals.c.id,
                    referrals.c.status,
                    referrals.c.assigned_unit,
                    referrals.c.version,
                    referrals.c.routed_at,
                    referrals.c.accepted_by,
                ).where(referrals.c.id == referral_id)
            ).first()
            if row is None:
                raise NotFound(f"no referral {referral_id}")
            result = dict(row._mapping)
            last = conn.execute(
                select(routing_decisions)
                .where(routing_decisions.c.referral_id == referral_id)
                .order_by(routing_decisions.c.seq.desc())
                .limit(1)
            ).first()
            result["decision"] = dict(last._mapping) if last else None
        return result

    # -- SLA alerts ---------------------------------------------------------------------

    def raise_sla_alerts(self) -> list[dict[str, Any]]:
        """Store an alert for every referral waiting past its unit's SLA, once per decision; returns the new ones."""
        now = self.access.clock()
        latest = (
            select(routing_decisions.c.referral_id, func.max(routing_decisions.c.id).label("decision_id"))
            .group_by(routing_decisions.c.referral_id)
            .subquery()
        )
        query = (
            select(
                referrals.c.id.label("referral_id"),
                latest.c.decision_id,
                referrals.c.assigned_unit.label("unit"),
                referrals.c.routed_at,
            )
            .join(latest, latest.c.referral_id == referrals.c.id)
            .where(referrals.c.status.in_(AWAITING), referrals.c.routed_at.is_not(None))
        )
        new: list[dict[str, Any]] = []
        with self.db.writer.begin() as conn:
            waiting = [dict(r._mapping) for r in conn.execute(query)]
            late = overdue(waiting, self.ref.units, now)
            if not late:
                return []
            raised = {
                int(r[0])
                for r in conn.execute(
                    select(referral_alerts.c.decision_id).where(
                        referral_alerts.c.decision_id.in_([o.decision_id for o in late]),
                        referral_alerts.c.kind == "SLA_OVERDUE",
                    )
                )
            }
            for item in late:
                if item.decision_id in raised:
                    continue
                row = {
                    "referral_id": item.referral_id,
                    "decision_id": item.decision_id,
                    "kind": "SLA_OVERDUE",
                    "unit": item.unit,
                    "due_at": item.due_at,
                    "raised_at": now,
                    "detail": item.detail,
                }
                conn.execute(referral_alerts.insert().values(**row))
                new.append(row)
        return new

    def alerts(self, unit: str | None = None) -> list[dict[str, Any]]:
        query = select(referral_alerts).order_by(referral_alerts.c.id)
        if unit:
            query = query.where(referral_alerts.c.unit == unit)
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    # -- operations ---------------------------------------------------------------------

    def create_operation(self, name: str, owner_unit: str, description: str | None = None) -> dict[str, Any]:
        errors = []
        if not name or not name.strip():
            errors.append(FieldError("name", "required"))
        if owner_unit not in self.ref.units:
            errors.append(FieldError("owner_unit", f"unknown unit {owner_unit!r} (units.yaml)"))
        if errors:
            raise ValidationFailed(errors)
        now = self.access.clock()
        oid = _new_id()
        with self.db.writer.begin() as conn:
            if conn.execute(select(operations.c.id).where(operations.c.name == name.strip())).first():
                raise ValidationFailed([FieldError("name", f"an operation named {name.strip()!r} exists")])
            conn.execute(
                operations.insert().values(
                    id=oid,
                    name=name.strip(),
                    owner_unit=owner_unit,
                    status="OPEN",
                    description=description,
                    version=1,
                    created_at=now,
                    created_by=self._user,
                    updated_at=now,
                    updated_by=self._user,
                )
            )
        found = self.operation(oid)
        assert found is not None
        return found

    def operation(self, operation_id: str) -> dict[str, Any] | None:
        """An operation with its subjects, linked referrals, tasks and outcomes."""
        with self.db.writer.begin() as conn:
            row = conn.execute(select(operations).where(operations.c.id == operation_id)).first()
            if row is None:
                return None
            result = dict(row._mapping)
            result["subjects"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(operation_subjects)
                    .where(operation_subjects.c.operation_id == operation_id)
                    .order_by(operation_subjects.c.added_at)
                )
            ]
            result["referrals"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(referrals.c.id, referrals.c.report_id, referrals.c.status, referrals.c.assigned_unit).where(
                        referrals.c.operation_id == operation_id
                    )
                )
            ]
            result["tasks"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(tasks).where(tasks.c.operation_id == operation_id).order_by(tasks.c.due_date)
                )
            ]
            result["outcomes"] = [
                dict(r._mapping)
                for r in conn.execute(
                    select(outcomes).where(outcomes.c.operation_id == operation_id).order_by(outcomes.c.occurred_on)
                )
            ]
            if result["subjects"]:
                self._audit(
                    conn,
                    Operation.CONSULTATION,
                    "operation_subject",
                    [s["entity_id"] for s in result["subjects"]],
                    justification=f"operation {operation_id}",
                )
        return result

    def add_subject(self, operation_id: str, entity_id: str, role: str | None = None) -> None:
        if not entity_id:
            raise ValidationFailed([FieldError("entity_id", "required")])
        with self.db.writer.begin() as conn:
            if conn.execute(select(operations.c.id).where(operations.c.id == operation_id)).first() is None:
                raise NotFound(f"no operation {operation_id}")
            exists = conn.execute(
                select(operation_subjects.c.entity_id).where(
                    operation_subjects.c.operation_id == operation_id, operation_subjects.c.entity_id == entity_id
                )
            ).first()
            if exists is None:
                conn.execute(
                    operation_subjects.insert().values(
                        operation_id=operation_id,
                        entity_id=entity_id,
                        role=role,
                        added_at=self.access.clock(),
                        added_by=self._user,
                    )
                )
                self._audit(
                    conn,
                    Operation.COMBINATION,
                    "operation_subject",
                    [entity_id],
                    justification=f"subject of operation {operation_id}",
                )

    def link_referral(self, operation_id: str, referral_id: str, version: int) -> dict[str, Any]:
        with self.db.writer.begin() as conn:
            if conn.execute(select(operations.c.id).where(operations.c.id == operation_id)).first() is None:
                raise NotFound(f"no operation {operation_id}")
            self._claim(
                conn,
                referrals,
                "referral",
                referral_id,
                version,
                None,
                operation_id=operation_id,
                updated_at=self.access.clock(),
                updated_by=self._user,
            )
        return self._state(referral_id)

    # -- tasks --------------------------------------------------------------------------

    def create_task(self, data: Mapping[str, Any]) -> dict[str, Any]:
        fields = parse_task_fields(data, self.ref, creating=True)
        now = self.access.clock()
        tid = _new_id()
        with self.db.writer.begin() as conn:
            self._check_links(conn, fields)
            conn.execute(
                tasks.insert().values(
                    id=tid,
                    version=1,
                    created_at=now,
                    created_by=self._user,
                    updated_at=now,
                    updated_by=self._user,
                    **fields,
                )
            )
        found = self.task(tid)
        assert found is not None
        return found

    def _check_links(self, conn: Connection, fields: Mapping[str, Any]) -> None:
        errors = []
        for key, table in (("operation_id", operations), ("referral_id", referrals)):
            if fields.get(key) and conn.execute(select(table.c.id).where(table.c.id == fields[key])).first() is None:
                errors.append(FieldError(key, f"no such {key.split('_')[0]} {fields[key]!r}"))
        if errors:
            raise ValidationFailed(errors)

    def task(self, task_id: str) -> dict[str, Any] | None:
        with self.db.reader.connect() as conn:
            row = conn.execute(select(tasks).where(tasks.c.id == task_id)).first()
        return dict(row._mapping) if row else None

    def tasks(
        self, *, unit: str | None = None, status: str | None = None, operation_id: str | None = None
    ) -> list[dict[str, Any]]:
        query = select(tasks).order_by(tasks.c.due_date, tasks.c.id)
        for column, value in (("owner_unit", unit), ("status", status), ("operation_id", operation_id)):
            if value:
                query = query.where(tasks.c[column] == value)
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def update_task(self, task_id: str, version: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a task read at `version`; a stale version is a Conflict, an illegal status move a 422."""
        fields = parse_task_fields(changes, self.ref, creating=False)
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            current = conn.execute(select(tasks.c.status, tasks.c.version).where(tasks.c.id == task_id)).first()
            if current is None:
                raise NotFound(f"no task {task_id}")
            if "status" in fields:
                why = check_move(current.status, fields["status"])
                if why and current.version == version:
                    raise ValidationFailed([FieldError("status", why)])
            self._claim(
                conn,
                tasks,
                "task",
                task_id,
                version,
                [current.status] if "status" in fields else None,
                updated_at=now,
                updated_by=self._user,
                **fields,
            )
        found = self.task(task_id)
        assert found is not None
        return found

    def delete_task(self, task_id: str, version: int) -> None:
        """Only a task nobody has taken on (PROPOSED) is deleted; others are declined or closed instead."""
        with self.db.writer.begin() as conn:
            done = conn.execute(
                tasks.delete().where(tasks.c.id == task_id, tasks.c.version == version, tasks.c.status == "PROPOSED")
            )
            if done.rowcount == 1:
                return
            row = conn.execute(select(tasks.c.version, tasks.c.status).where(tasks.c.id == task_id)).first()
            if row is None:
                raise NotFound(f"no task {task_id}")
            raise Conflict(f"task {task_id}", version, int(row.version), str(row.status))

    # -- outcomes -----------------------------------------------------------------------

    def record_outcome(self, data: Mapping[str, Any]) -> dict[str, Any]:
        fields = parse_outcome(data, self.offences)
        now = self.access.clock()
        oid = _new_id()
        with self.db.writer.begin() as conn:
            self._check_links(conn, fields)
            conn.execute(outcomes.insert().values(id=oid, created_at=now, created_by=self._user, **fields))
            if fields.get("referral_id"):
                self._audit(
                    conn,
                    Operation.COMBINATION,
                    "referral",
                    [fields["referral_id"]],
                    justification=f"outcome {fields['kind']}",
                )
        return {"id": oid, **fields, "trace": self.trace(oid)}

    def outcomes(self, *, operation_id: str | None = None, referral_id: str | None = None) -> list[dict[str, Any]]:
        query = select(outcomes).order_by(outcomes.c.occurred_on, outcomes.c.id)
        if operation_id:
            query = query.where(outcomes.c.operation_id == operation_id)
        if referral_id:
            query = query.where(outcomes.c.referral_id == referral_id)
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def trace(self, outcome_id: str) -> dict[str, Any]:
        """The referrals and reports an outcome came from: its own referral, and its operation's referrals."""
        with self.db.reader.connect() as conn:
            row = conn.execute(
                select(outcomes.c.referral_id, outcomes.c.operation_id).where(outcomes.c.id == outcome_id)
            ).first()
            if row is None:
                raise NotFound(f"no outcome {outcome_id}")
            cond = []
            if row.referral_id:
                cond.append(referrals.c.id == row.referral_id)
            if row.operation_id:
                cond.append(referrals.c.operation_id == row.operation_id)
            found = conn.execute(select(referrals.c.id, referrals.c.report_id).where(or_(*cond))).all()
        return {
            "operation_id": row.operation_id,
            "referral_ids": sorted({r.id for r in found}),
            "report_ids": sorted({r.report_id for r in found}),
        }

    def _period_rows(self, start: date, end: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        in_period = [
            nrm_cases.c[c].between(start, end) for c in ("referred_on", "dtn_on", "rg_decision_on", "cg_decision_on")
        ]
        with self.db.reader.connect() as conn:
            rows = [
                dict(r._mapping)
                for r in conn.execute(
                    select(outcomes).where(and_(outcomes.c.occurred_on >= start, outcomes.c.occurred_on <= end))
                )
            ]
            cases = [dict(r._mapping) for r in conn.execute(select(nrm_cases).where(or_(*in_period)))]
        return rows, cases

    def totals(self, period: str | Period) -> Totals:
        """Outcome and NRM totals for one period (`2025-Q2`, `FY2025`, ...)."""
        chosen = parse_period(period) if isinstance(period, str) else period
        rows, cases = self._period_rows(chosen.start, chosen.end)
        return totals(chosen, rows, cases)

    def totals_by(self, start: date, end: date, by: str) -> list[Totals]:
        """Totals for each month, quarter, year or financial year from `start` to `end`, in one read."""
        periods = periods_between(start, end, by)
        rows, cases = self._period_rows(periods[0].start, periods[-1].end)
        return [totals(p, rows, cases) for p in periods]

    # -- NRM ----------------------------------------------------------------------------

    def open_nrm(self, data: Mapping[str, Any]) -> dict[str, Any]:
        errors = []
        for key in sorted(set(data) - {"referral_id", "operation_id", "age_group", "identified_on"}):
            errors.append(FieldError(key, "unknown field"))
        try:
            identified = date.fromisoformat(str(data.get("identified_on")))
        except ValueError:
            errors.append(FieldError("identified_on", "must be an ISO date"))
            identified = date.min
        try:
            case = open_case(str(data.get("age_group")), identified)
        except ValueError as exc:
            errors.append(FieldError("age_group", str(exc)))
        if not data.get("referral_id") and not data.get("operation_id"):
            errors.append(FieldError("referral_id", "an NRM case belongs to a referral or an operation"))
        if errors:
            raise ValidationFailed(errors)
        now = self.access.clock()
        nid = _new_id()
        with self.db.writer.begin() as conn:
            self._check_links(conn, data)
            conn.execute(
                nrm_cases.insert().values(
                    id=nid,
                    referral_id=data.get("referral_id"),
                    operation_id=data.get("operation_id"),
                    age_group=case.age_group,
                    is_child=case.is_child,
                    state=case.state.value,
                    identified_on=case.identified_on,
                    history=[],
                    version=1,
                    created_at=now,
                    created_by=self._user,
                    updated_at=now,
                    updated_by=self._user,
                )
            )
            self._audit(conn, Operation.COLLECTION, "nrm_case", [nid])
        found = self.nrm(nid)
        assert found is not None
        return found

    def nrm(self, case_id: str) -> dict[str, Any] | None:
        with self.db.writer.begin() as conn:
            row = conn.execute(select(nrm_cases).where(nrm_cases.c.id == case_id)).first()
            if row is None:
                return None
            self._audit(conn, Operation.CONSULTATION, "nrm_case", [case_id])
        return _nrm_json(dict(row._mapping))

    def nrm_transition(self, case_id: str, version: int, to: str, on: date, **details: Any) -> dict[str, Any]:
        """Move an NRM case; an illegal move is refused with the reason (ValidationFailed on `to`)."""
        with self.db.writer.begin() as conn:
            row = conn.execute(select(nrm_cases).where(nrm_cases.c.id == case_id)).first()
            if row is None:
                raise NotFound(f"no NRM case {case_id}")
            if row.version != version:
                raise Conflict(f"NRM case {case_id}", version, int(row.version), str(row.state))
            case = _nrm_json(dict(row._mapping))
            try:
                moved = transition(case_from_json(case), to, on, **details)
            except IllegalTransition as exc:
                raise ValidationFailed([FieldError("to", str(exc))]) from exc
            data = case_to_json(moved)
            self._claim(
                conn,
                nrm_cases,
                "NRM case",
                case_id,
                version,
                [row.state],
                state_col="state",
                state=moved.state.value,
                consent=moved.consent,
                referred_on=moved.referred_on,
                dtn_on=moved.dtn_on,
                rg_decision_on=moved.rg_decision_on,
                rg_positive=moved.rg_positive,
                recovery_from=moved.recovery_from,
                cg_decision_on=moved.cg_decision_on,
                cg_positive=moved.cg_positive,
                history=data["history"],
                updated_at=self.access.clock(),
                updated_by=self._user,
            )
            self._audit(conn, Operation.ALTERATION, "nrm_case", [case_id], justification=f"NRM {row.state} -> {to}")
        found = self.nrm(case_id)
        assert found is not None
        return found


def _nrm_json(row: dict[str, Any]) -> dict[str, Any]:
    """A stored NRM row as the state machine's JSON plus its id, links and version."""
    data = {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}
    case = case_to_json(case_from_json(data))
    return {
        "id": row["id"],
        "referral_id": row["referral_id"],
        "operation_id": row["operation_id"],
        "version": row["version"],
        **case,
    }


def _fault(reason: str) -> RuleFault:
    return RuleFault(1, reason)


__all__ = ["Conflict", "NotFound", "WorkflowAccess", "aware"]
