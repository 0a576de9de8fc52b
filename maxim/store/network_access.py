"""Data access for networks, harm scores, evidence paths and deconfliction alerts.

Takes a `DataAccess`: statements are read only through `visible_statements`, so what the acting
user may not see is not in their graph, their networks, their scores or their paths. Networks are
stored per access scope (`scope_of`): users who see the same statements share them, and nothing
computed in one scope is shown in another. Every read of the results is an s62 consultation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, inspect, select, tuple_

from maxim.network.fold import PERSON, canonical_lookup
from maxim.network.model import Fact, ReportInfo, Subject
from maxim.network.networks import key_nominals
from maxim.network.paths import evidence_paths
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.prioritise.rank import Analysis, analyse
from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.tables import report_subjects, reports, statements
from maxim.store.tables_network import deconfliction_alerts, network_members, network_scores, networks

Progress = Callable[[str], None]


def scope_of(access: DataAccess) -> str:
    """The access scope of the actor: what decides which statements they see."""
    actor = access.actor
    key = f"{actor.unit}|{','.join(sorted(actor.roles))}|{int(actor.external)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def read_facts(
    access: DataAccess, protected: Iterable[str], report_id: str | None = None, entity_ids: Iterable[str] | None = None
) -> list[Fact]:
    query = access.visible_statements(
        statements.c.entity_id,
        statements.c.schema,
        statements.c.prop,
        statements.c.value,
        statements.c.identifier_kind,
        statements.c.valid,
        statements.c.report_id,
    ).where(statements.c.prop.not_in(sorted(protected)), statements.c.origin == "given")
    if report_id is not None:
        query = query.where(statements.c.report_id == report_id)
    if entity_ids is not None:
        query = query.where(statements.c.entity_id.in_(sorted(entity_ids)))
    with access.db.reader.connect() as conn:
        return [Fact(*row) for row in conn.execute(query)]


def read_reports(access: DataAccess, report_id: str | None = None) -> list[ReportInfo]:
    """The reports behind visible statements (and only those), with grading, themes and text."""
    visible = access.visible_statements(statements.c.report_id)
    if report_id is not None:
        visible = visible.where(statements.c.report_id == report_id)
    query = select(
        reports.c.id,
        reports.c.originator,
        reports.c.reference,
        reports.c.kind,
        reports.c.received_at,
        reports.c.source_evaluation,
        reports.c.intelligence_assessment,
        reports.c.handling_code,
        reports.c.themes,
        reports.c.text,
        reports.c.intelligence_date,
    ).where(reports.c.id.in_(visible.distinct().correlate(None).scalar_subquery()))
    with access.db.reader.connect() as conn:
        return [
            ReportInfo(
                r.id,
                r.originator,
                r.reference,
                r.kind,
                r.received_at,
                r.source_evaluation,
                r.intelligence_assessment,
                r.handling_code,
                tuple(r.themes or ()),
                r.text,
                r.intelligence_date,
            )
            for r in conn.execute(query)
        ]


def read_subjects(access: DataAccess) -> list[Subject]:
    """Data-subject links of the entities of visible statements, under the subject filter too."""
    visible = access.visible_statements(statements.c.entity_id, statements.c.report_id).distinct().correlate(None)
    query = (
        select(report_subjects.c.entity_id, report_subjects.c.report_id, report_subjects.c.category)
        .select_from(report_subjects.join(reports, reports.c.id == report_subjects.c.report_id))
        .where(
            tuple_(report_subjects.c.entity_id, report_subjects.c.report_id).in_(visible),
            access.policy.subject_filter(access.actor),
        )
    )
    with access.db.reader.connect() as conn:
        return [Subject(*row) for row in conn.execute(query)]


def canonical_ids(access: DataAccess) -> Callable[[str], str]:
    """Person mention id -> canonical id: entity resolution's links when it has run, else the
    mention itself (one entity per mention). The one place to change when resolution changes."""
    with access.db.reader.connect() as conn:
        if not inspect(conn).has_table("resolution_links"):
            return canonical_lookup({})
        from maxim.store.tables_resolution import resolution_links

        mapping = {
            row[0]: row[1]
            for row in conn.execute(select(resolution_links.c.entity_id, resolution_links.c.canonical_id))
        }
    return canonical_lookup(mapping)


class NetworkAccess:
    def __init__(self, access: DataAccess, config: HarmConfig | None = None) -> None:
        self.access = access
        self.db = access.db
        self.config = config or load_harm_config()
        self.scope = scope_of(access)

    # -- analysis -----------------------------------------------------------------------

    def previous(self) -> dict[str, set[str]]:
        query = select(network_members.c.network_id, network_members.c.node_id).where(
            network_members.c.scope == self.scope, network_members.c.kind == PERSON
        )
        out: dict[str, set[str]] = {}
        with self.db.reader.connect() as conn:
            for nid, node in conn.execute(query):
                out.setdefault(nid, set()).add(node)
        return out

    def analyse(self, as_of: date | None = None, progress: Progress | None = None, nominals: bool = True) -> Analysis:
        step = progress or (lambda _m: None)
        step("reading visible statements")
        facts = read_facts(self.access, self.config.protected)
        reps = read_reports(self.access)
        subjects = read_subjects(self.access)
        canonical = canonical_ids(self.access)
        step("building the graph and finding networks")
        return analyse(
            facts,
            reps,
            subjects,
            canonical=canonical,
            previous=self.previous(),
            as_of=as_of or self.access.clock().date(),
            config=self.config,
            nominals=nominals,
        )

    def refresh(self, as_of: date | None = None, progress: Progress | None = None) -> Analysis:
        """Recompute this scope's networks and scores and store them (ids kept where they fit)."""
        analysis = self.analyse(as_of, progress)
        step = progress or (lambda _m: None)
        step("storing networks and scores")
        now = self.access.clock()
        graph = analysis.graph
        with self.db.writer.begin() as conn:
            first_seen = {
                row.id: row.first_seen_at
                for row in conn.execute(
                    select(networks.c.id, networks.c.first_seen_at).where(networks.c.scope == self.scope)
                )
            }
            for table in (network_scores, network_members, networks):
                conn.execute(delete(table).where(table.c.scope == self.scope))
            net_rows, member_rows, score_rows = [], [], []
            for rank, item in enumerate(analysis.ranked, start=1):
                net = item.network
                net_rows.append(
                    {
                        "scope": self.scope,
                        "id": net.id,
                        "anchor": net.anchor,
                        "persons": len(net.persons),
                        "nodes": len(net.members),
                        "priority": item.score.priority,
                        "rank": rank,
                        "split": int(net.split),
                        "first_seen_at": first_seen.get(net.id, now),
                        "computed_at": now,
                    }
                )
                for i in net.members.tolist():
                    member_rows.append(
                        {
                            "scope": self.scope,
                            "network_id": net.id,
                            "node_id": graph.nodes[i],
                            "kind": graph.kinds[i],
                            "caption": graph.captions[i],
                        }
                    )
                score_rows.append(self._score_row("network", net.id, net.id, item.score.breakdown(), now))
                for person, s in item.nominals.items():
                    breakdown = s.breakdown()
                    breakdown["roles"] = item.roles.get(person, [])
                    score_rows.append(self._score_row("nominal", person, net.id, breakdown, now))
            for table, rows in ((networks, net_rows), (network_members, member_rows), (network_scores, score_rows)):
                for start in range(0, len(rows), 2000):
                    conn.execute(table.insert(), rows[start : start + 2000])
        self.access.audit(
            Operation.COMBINATION,
            "network",
            [r["id"] for r in net_rows] or ["none"],
            justification="network analysis and harm scoring",
        )
        return analysis

    def _score_row(
        self, kind: str, subject: str, network_id: str, breakdown: dict[str, Any], now: Any
    ) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "subject_type": kind,
            "subject_id": subject,
            "network_id": network_id,
            "priority": breakdown["priority"],
            "method": breakdown["method"],
            "breakdown": _jsonable(breakdown),
            "computed_at": now,
        }

    # -- reads --------------------------------------------------------------------------

    def has_networks(self) -> bool:
        with self.db.reader.connect() as conn:
            return (
                conn.execute(select(networks.c.id).where(networks.c.scope == self.scope).limit(1)).first() is not None
            )

    def ranked(self, top: int | None = None) -> list[dict[str, Any]]:
        """Stored networks of this scope, ranked by harm, each with its breakdown."""
        query = (
            select(networks, network_scores.c.breakdown)
            .join(
                network_scores,
                and_(
                    network_scores.c.scope == networks.c.scope,
                    network_scores.c.subject_type == "network",
                    network_scores.c.subject_id == networks.c.id,
                ),
            )
            .where(networks.c.scope == self.scope)
            .order_by(networks.c.rank)
        )
        if top:
            query = query.limit(top)
        with self.db.reader.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row.pop("scope", None)
        if rows:
            self.access.audit(Operation.CONSULTATION, "network", [r["id"] for r in rows])
        return rows

    def network(self, network_id: str, analysis: Analysis | None = None) -> dict[str, Any] | None:
        """A network with members, edges (each with its reports and gradings), key nominals and
        nominal scores; None when this scope has no such network."""
        analysis = analysis or self.analyse(nominals=True)
        item = analysis.network(network_id)
        if item is None:
            return None
        graph = analysis.graph
        net = item.network
        _sub, edges = graph.subgraph(net.members)
        members = [
            {"id": graph.nodes[i], "kind": graph.kinds[i], "caption": graph.captions[i]} for i in net.members.tolist()
        ]
        edge_rows = []
        for e in edges.tolist():
            evidence = graph.evidence(e)
            edge_rows.append(
                {
                    "source": graph.nodes[int(graph.edge_u[e])],
                    "target": graph.nodes[int(graph.edge_v[e])],
                    "strong": bool(graph.edge_strong[e]),
                    "relations": sorted({ev.relation for ev in evidence}),
                    "reports": [
                        {"report_id": ev.report_id, "grading": ev.grading, "relation": ev.relation, "weak": ev.weak}
                        for ev in evidence
                    ],
                }
            )
        nominals = [_nominal(k) for k in key_nominals(graph, net.members)]
        for n in nominals:
            s = item.nominals.get(n["node"])
            n["priority"] = s.priority if s else None
            n["roles"] = item.roles.get(n["node"], [])
        self.access.audit(Operation.CONSULTATION, "network", [network_id])
        out: dict[str, Any] = _jsonable(
            {
                "id": net.id,
                "anchor": net.anchor,
                "split": net.split,
                "score": item.score.breakdown(),
                "members": members,
                "edges": edge_rows,
                "key_nominals": nominals,
                "nominal_scores": {p: s.breakdown() for p, s in item.nominals.items()},
            }
        )
        return out

    def path(self, source: str, target: str, limit: int = 5) -> dict[str, Any] | None:
        """Shortest evidence paths between two nodes (or entity ids) of this user's graph."""
        analysis = self.analyse(nominals=False)
        node_of = analysis.folded.node_of
        a, b = node_of.get(source, source), node_of.get(target, target)
        paths = evidence_paths(analysis.graph, a, b, limit=limit)
        if paths is None:
            return None
        self.access.audit(Operation.CONSULTATION, "entity", [a, b], justification="evidence path")
        return {"from": a, "to": b, "paths": paths}

    def alerts(self) -> list[dict[str, Any]]:
        """Deconfliction alerts for the actor's unit (as owner) and for the actor (as submitter)."""
        actor = self.access.actor
        query = (
            select(deconfliction_alerts)
            .where(
                (and_(deconfliction_alerts.c.recipient == "owner", deconfliction_alerts.c.unit == actor.unit))
                | (
                    and_(
                        deconfliction_alerts.c.recipient == "submitter",
                        deconfliction_alerts.c.username == actor.username,
                    )
                )
            )
            .order_by(deconfliction_alerts.c.raised_at.desc(), deconfliction_alerts.c.id)
        )
        with self.db.reader.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _nominal(k: Any) -> dict[str, Any]:
    return {name: getattr(k, name) for name in k.__slots__}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value
