"""The committee report's queries: every figure comes from one of these, and each says how.

Thin adapter between the store and the pure report builder (`maxim.oversight.committee`). Report
and statement data are read only through `DataAccess.visible_statements()` and the access
policy's report filter, so the report holds only what the user building it may see; the
aggregates are computed by the database (GROUP BY) so a year of 100,000 reports stays quick.
Each query is recorded with its SQL text and parameters as run, which the JSON twin prints beside
the figures it produced. One s62 event records that the report was built.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Select, Table, Text, and_, cast, func, or_, select

from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.tables import report_subjects, reports, statements
from maxim.store.tables_workflow import nrm_cases, outcomes, referrals, routing_decisions


@dataclass(frozen=True, slots=True)
class Query:
    id: str
    description: str
    sql: str
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "description": self.description, "sql": self.sql, "params": self.params}


@dataclass
class Gathered:
    """Raw results of the report's queries for one period (and the one before it)."""

    start: date
    end: date
    actor: str
    dialect: str
    queries: dict[str, Query] = field(default_factory=dict)
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    networks_available: bool = False


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in UTC: `end` is inclusive, as committee periods are."""
    return datetime.combine(start, time(0), UTC), datetime.combine(end + timedelta(days=1), time(0), UTC)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before (a financial year before a financial year)."""
    if start.month == 4 and start.day == 1 and end == date(start.year + 1, 3, 31):
        return date(start.year - 1, 4, 1), date(start.year, 3, 31)
    length = end - start
    return start - length - timedelta(days=1), start - timedelta(days=1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class CommitteeQueries:
    def __init__(self, access: DataAccess) -> None:
        self.access = access
        self.policy = access.policy
        self.actor = access.actor

    def _run(self, conn: Connection, out: Gathered, qid: str, description: str, query: Select[Any]) -> None:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        out.queries[qid] = Query(
            qid,
            description,
            str(compiled),
            {k: _jsonable(v) for k, v in compiled.params.items()},
        )
        out.results[qid] = [dict(r._mapping) for r in conn.execute(query)]

    def _visible_reports(self, lo: datetime, hi: datetime) -> Any:
        return and_(
            reports.c.is_current,
            reports.c.received_at >= lo,
            reports.c.received_at < hi,
            self.policy.report_filter(self.actor),
        )

    def gather(self, start: date, end: date) -> Gathered:
        """Run every query of the report for `start`..`end` (inclusive) and the period before."""
        out = Gathered(start, end, self.actor.username, self.access.db.writer.dialect.name)
        lo, hi = _bounds(start, end)
        p_start, p_end = previous_period(start, end)
        plo, phi = _bounds(p_start, p_end)
        with self.access.db.reader.connect() as conn:
            self._activity(conn, out, lo, hi, plo, phi)
            self._referrals(conn, out, lo, hi)
            self._outcomes(conn, out, start, end)
            self._equality(conn, out, lo, hi, "")
            self._equality(conn, out, plo, phi, "previous.")
            self._networks(conn, out, lo, hi)
        self.access.audit(
            Operation.CONSULTATION,
            "committee_report",
            [f"{start.isoformat()}/{end.isoformat()}"],
            justification="committee report: aggregate figures",
        )
        return out

    # -- activity -------------------------------------------------------------------------

    def _activity(
        self, conn: Connection, out: Gathered, lo: datetime, hi: datetime, plo: datetime, phi: datetime
    ) -> None:
        self._run(
            conn,
            out,
            "reports_by_source",
            "Current reports received in the period that the user may see, counted by originator and kind.",
            select(reports.c.originator, reports.c.kind, func.count().label("n"))
            .where(self._visible_reports(lo, hi))
            .group_by(reports.c.originator, reports.c.kind),
        )
        self._run(
            conn,
            out,
            "reports_previous",
            "The same count for the previous period, for comparison.",
            select(func.count().label("n")).select_from(reports).where(self._visible_reports(plo, phi)),
        )
        # Themes are a JSON list per report; the list is grouped in Python (one portable query
        # for SQLite and PostgreSQL), counting each theme once per report.
        self._run(
            conn,
            out,
            "reports_themes",
            "The themes list of each current report received in the period that the user may see, grouped by "
            "identical list; each theme is then counted once per report.",
            select(cast(reports.c.themes, Text).label("themes"), func.count().label("n"))  # type: ignore[arg-type]
            .where(self._visible_reports(lo, hi))
            .group_by(cast(reports.c.themes, Text)),
        )

    # -- referrals, routing and capacity --------------------------------------------------

    def _referrals(self, conn: Connection, out: Gathered, lo: datetime, hi: datetime) -> None:
        visible = and_(reports.c.id == referrals.c.report_id, self.policy.report_filter(self.actor))
        base = referrals.join(reports, visible)
        self._run(
            conn,
            out,
            "referrals_by_route_status",
            "Referral records created in the period whose report the user may see, by referral route and "
            "current status.",
            select(referrals.c.referral_route, referrals.c.status, func.count().label("n"))
            .select_from(base)
            .where(referrals.c.created_at >= lo, referrals.c.created_at < hi)
            .group_by(referrals.c.referral_route, referrals.c.status),
        )
        self._run(
            conn,
            out,
            "referrals_accepted",
            "Referrals accepted in the period (visible reports): unit, time created and time accepted; hours to "
            "acceptance are accepted_at - created_at, compared with the unit's SLA in units.yaml.",
            select(referrals.c.assigned_unit, referrals.c.created_at, referrals.c.accepted_at)
            .select_from(base)
            .where(referrals.c.accepted_at >= lo, referrals.c.accepted_at < hi),
        )
        self._run(
            conn,
            out,
            "routing_decisions",
            "Routing decisions made in the period (visible reports) with their stored explanations; a unit is "
            "counted at capacity when a step of the decision found it so.",
            select(
                routing_decisions.c.referral_id,
                routing_decisions.c.fell_through,
                routing_decisions.c.target_unit,
                routing_decisions.c.explanation,
            )
            .select_from(
                routing_decisions.join(referrals, referrals.c.id == routing_decisions.c.referral_id).join(
                    reports, visible
                )
            )
            .where(routing_decisions.c.decided_at >= lo, routing_decisions.c.decided_at < hi),
        )

    # -- outcomes and NRM -----------------------------------------------------------------

    def _outcomes(self, conn: Connection, out: Gathered, start: date, end: date) -> None:
        self._run(
            conn,
            out,
            "outcomes",
            "Outcomes dated in the period (arrests, charges, convictions, victims safeguarded, POCA results), "
            "added up by maxim.task.outcomes.totals.",
            select(
                outcomes.c.kind,
                outcomes.c.occurred_on,
                outcomes.c.count,
                outcomes.c.offence_code,
                outcomes.c.adults,
                outcomes.c.children,
                outcomes.c.poca_kind,
                outcomes.c.amount_pence,
            ).where(outcomes.c.occurred_on >= start, outcomes.c.occurred_on <= end),
        )
        dated = [
            nrm_cases.c[c].between(start, end) for c in ("referred_on", "dtn_on", "rg_decision_on", "cg_decision_on")
        ]
        self._run(
            conn,
            out,
            "nrm_cases",
            "NRM cases with a referral, Duty to Notify, reasonable-grounds or conclusive-grounds date in the "
            "period (no personal details), added up by maxim.task.outcomes.totals.",
            select(
                nrm_cases.c.is_child,
                nrm_cases.c.referred_on,
                nrm_cases.c.dtn_on,
                nrm_cases.c.rg_decision_on,
                nrm_cases.c.rg_positive,
                nrm_cases.c.cg_decision_on,
                nrm_cases.c.cg_positive,
            ).where(or_(*dated)),
        )

    # -- equality monitoring --------------------------------------------------------------

    def _equality(self, conn: Connection, out: Gathered, lo: datetime, hi: datetime, prefix: str) -> None:
        when = "previous period" if prefix else "period"
        # The data-subject link is joined as an alias: the access policy's own subqueries on
        # `report_subjects` must not correlate with it. The policy still applies in full through
        # `visible_statements`: a statement about a victim is hidden from whoever may not see it.
        subject = report_subjects.alias("subject")
        for prop in ("nationality", "ethnicity"):
            query = (
                self.access.visible_statements(
                    subject.c.category,
                    statements.c.value,
                    func.count(func.distinct(statements.c.entity_id)).label("n"),
                )
                .join(
                    subject,
                    and_(subject.c.report_id == statements.c.report_id, subject.c.entity_id == statements.c.entity_id),
                )
                .where(
                    statements.c.prop == prop,
                    statements.c.schema == "Person",
                    reports.c.received_at >= lo,
                    reports.c.received_at < hi,
                )
                .group_by(subject.c.category, statements.c.value)
            )
            self._run(
                conn,
                out,
                f"{prefix}equality.{prop}",
                f"People named in current reports received in the {when} that the user may see, by data-subject "
                f"category and recorded {prop} (distinct person records per report, not resolved identities).",
                query,
            )
        self._run(
            conn,
            out,
            f"{prefix}equality.referral_monitoring",
            f"The equality-monitoring part of referral facts (victims' self-defined nationality and ethnicity) for "
            f"referrals created in the {when} whose report the user may see; kept apart from routing.",
            select(referrals.c.facts)
            .select_from(
                referrals.join(
                    reports, and_(reports.c.id == referrals.c.report_id, self.policy.report_filter(self.actor))
                )
            )
            .where(referrals.c.created_at >= lo, referrals.c.created_at < hi),
        )

    # -- networks (another feature's tables, when they exist) ------------------------------

    def _networks(self, conn: Connection, out: Gathered, lo: datetime, hi: datetime) -> None:
        table = _network_table()
        if table is None:
            return
        band = next((c for c in ("harm_band", "band", "priority_band") if c in table.c), None)
        if band is None:
            return
        out.networks_available = True
        self._run(
            conn,
            out,
            "networks_by_band",
            "Networks (sanitised: no names) by harm band, from the networks feature's table.",
            select(table.c[band].label("band"), func.count().label("n")).group_by(table.c[band]),
        )


def _network_table() -> Table | None:
    """The networks feature's main table, if that feature is installed (`tables_network.py`)."""
    if importlib.util.find_spec("maxim.store.tables_network") is None:
        return None
    from maxim.store.schema import full_metadata

    for name in ("networks", "network"):
        table = full_metadata().tables.get(name)
        if table is not None:
            return table
    return None


def all_ids(gathered: Gathered) -> Sequence[str]:
    return sorted(gathered.queries)
