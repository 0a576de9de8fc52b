"""Data access for networks, harm scores, evidence paths and deconfliction alerts.

Takes a `DataAccess`: statements are read only through `visible_statements`, so what the acting
user may not see is not in their graph, their networks, their scores or their paths. Networks are
stored per access scope (`scope_of`): users who see the same statements share them, and nothing
computed in one scope is shown in another. Every read of the results is an s62 consultation.

Stored networks are kept up to date, and read, without rebuilding the whole graph:

- `refresh` recomputes a scope from everything it may see (ids kept where they fit) and rewrites
  only the networks whose content changed;
- `update_for_reports` (run for every computed scope by `update_networks`, which every way a
  report arrives calls through `maxim.network.deconflict.check_deconfliction_batch`: the API and
  the intake form, batch ingest once per committed chunk, partner imports once per import) reads
  only the reports around the nodes the new reports touch (`maxim.network.incremental`) and
  recomputes those components: the same result as a full refresh, at the cost of the
  neighbourhood, read and recomputed before the scope's lock is taken (held only to write);
- a judgement that re-forms clusters changes the canonical ids of its mentions, hence the nodes
  of the reports stating them: `update_networks_for_mentions` runs the same update for those
  reports. A resolution run may change canonical ids anywhere, so `mark_networks_stale` leaves
  every scope to recompute whole on its next read;
- `network` reads a stored network and rebuilds only its own edges, from its own reports;
- `path` reads only the reports around its two ends through the node index
  (`maxim.network.paths.reports_between`) and finds the same paths as the whole graph would.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, delete, inspect, select, tuple_, update

from maxim.network.analysis import Analysis, Ranked, analyse
from maxim.network.fold import PERSON, canonical_lookup, fold
from maxim.network.graph import EvidenceGraph
from maxim.network.incremental import gather, report_nodes
from maxim.network.model import Fact, ReportInfo, Subject
from maxim.network.networks import key_nominals
from maxim.network.paths import MAX_PATHS, evidence_paths, reports_between
from maxim.network.score import Score
from maxim.prioritise.config import HarmConfig, load_harm_config
from maxim.store.access import Actor, DataAccess
from maxim.store.audit import Operation
from maxim.store.engine import Database
from maxim.store.tables import report_subjects, reports, statements
from maxim.store.tables_network import (
    deconfliction_alerts,
    network_members,
    network_node_reports,
    network_scopes,
    network_scores,
    networks,
)

LOG = logging.getLogger(__name__)
Progress = Callable[[str], None]
CHUNK = 500  # ids per IN (...) list
REFRESH_TRIES = 3  # a refresh raced by updates this often recomputes holding the scope's lock
UPDATE_TRIES = 3  # an update raced by other updates or refreshes this often computes holding it


def scope_of(access: DataAccess) -> str:
    """The access scope of the actor: what decides which statements they see."""
    actor = access.actor
    key = f"{actor.unit}|{','.join(sorted(actor.roles))}|{int(actor.external)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    ordered = sorted(set(items))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _node_index(conn: Connection, scope: str, given: Any, values: Iterable[str], wanted: Any) -> set[str]:
    """One side of the stored node index (which reports produce which nodes) for the other's values:
    `_node_index(conn, scope, c.node_id, nodes, c.report_id)` is the reports behind `nodes`."""
    found: set[str] = set()
    for chunk in _chunks(values):
        query = select(wanted).where(network_node_reports.c.scope == scope, given.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found


@contextmanager
def _reading(access: DataAccess, conn: Connection | None) -> Iterator[Connection]:
    """The caller's connection (an update reads inside its own transaction), else a reader."""
    if conn is not None:
        yield conn
        return
    with access.db.reader.connect() as own:
        yield own


def read_facts(
    access: DataAccess,
    protected: Iterable[str],
    report_id: str | None = None,
    entity_ids: Iterable[str] | None = None,
    *,
    report_ids: Collection[str] | None = None,
    conn: Connection | None = None,
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
    with _reading(access, conn) as c:
        if report_ids is None:
            return [Fact(*row) for row in c.execute(query)]
        out: list[Fact] = []
        for chunk in _chunks(report_ids):
            out += [Fact(*row) for row in c.execute(query.where(statements.c.report_id.in_(chunk)))]
        return out


def read_reports(
    access: DataAccess,
    report_id: str | None = None,
    *,
    report_ids: Collection[str] | None = None,
    conn: Connection | None = None,
) -> list[ReportInfo]:
    """The reports behind visible statements (and only those), with grading, themes and text."""
    columns = (
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
    )

    def query(ids: Sequence[str] | None) -> Any:
        visible = access.visible_statements(statements.c.report_id)
        if report_id is not None:
            visible = visible.where(statements.c.report_id == report_id)
        chosen = select(*columns)
        if ids is not None:
            visible = visible.where(statements.c.report_id.in_(ids))
            chosen = chosen.where(reports.c.id.in_(ids))
        return chosen.where(reports.c.id.in_(visible.distinct().correlate(None).scalar_subquery()))

    with _reading(access, conn) as c:
        rows = (
            list(c.execute(query(None)))
            if report_ids is None
            else [r for chunk in _chunks(report_ids) for r in c.execute(query(chunk))]
        )
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
        for r in rows
    ]


def read_subjects(
    access: DataAccess, *, report_ids: Collection[str] | None = None, conn: Connection | None = None
) -> list[Subject]:
    """Data-subject links of the entities of visible statements, under the subject filter too."""

    def query(ids: Sequence[str] | None) -> Any:
        visible = access.visible_statements(statements.c.entity_id, statements.c.report_id)
        chosen = (
            select(report_subjects.c.entity_id, report_subjects.c.report_id, report_subjects.c.category)
            .select_from(report_subjects.join(reports, reports.c.id == report_subjects.c.report_id))
            .where(access.policy.subject_filter(access.actor))
        )
        if ids is not None:
            visible = visible.where(statements.c.report_id.in_(ids))
            chosen = chosen.where(report_subjects.c.report_id.in_(ids))
        visible = visible.distinct().correlate(None)
        return chosen.where(tuple_(report_subjects.c.entity_id, report_subjects.c.report_id).in_(visible))

    with _reading(access, conn) as c:
        if report_ids is None:
            return [Subject(*row) for row in c.execute(query(None))]
        return [Subject(*row) for chunk in _chunks(report_ids) for row in c.execute(query(chunk))]


def _has_links(conn: Connection) -> bool:
    return bool(inspect(conn).has_table("resolution_links"))


def canonical_ids(access: DataAccess, conn: Connection | None = None) -> Callable[[str], str]:
    """Person mention id -> canonical id: entity resolution's links when it has run, else the
    mention itself (one entity per mention). The one place to change when resolution changes."""
    with _reading(access, conn) as c:
        if not _has_links(c):
            return canonical_lookup({})
        from maxim.store.tables_resolution import resolution_links

        mapping = {
            row[0]: row[1] for row in c.execute(select(resolution_links.c.entity_id, resolution_links.c.canonical_id))
        }
    return canonical_lookup(mapping)


class _Canonical:
    """Canonical ids fetched for the entities read so far: an update reads a neighbourhood, so it
    looks up only the resolution links of the mentions in it."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.mapping: dict[str, str] = {}
        self.links = _has_links(conn)

    def fetch(self, facts: Iterable[Fact]) -> None:
        if not self.links:
            return
        from maxim.store.tables_resolution import resolution_links

        wanted = {f.entity_id for f in facts} - self.mapping.keys()
        for chunk in _chunks(wanted):
            query = select(resolution_links.c.entity_id, resolution_links.c.canonical_id).where(
                resolution_links.c.entity_id.in_(chunk)
            )
            self.mapping.update({row[0]: row[1] for row in self.conn.execute(query)})

    def __call__(self, entity_id: str) -> str:
        return self.mapping.get(entity_id, entity_id)


class _StoreSource:
    """`maxim.network.incremental.ReportSource` and `maxim.network.paths.EvidenceSource` over the
    node index and the visible reports; an update overlays the reports it is updating for (their
    index rows are written with the result)."""

    def __init__(
        self,
        store: NetworkAccess,
        conn: Connection,
        canonical: _Canonical,
        added: Iterable[tuple[str, str]] = (),
        dropped: Collection[str] = (),
    ) -> None:
        self.store, self.conn, self.canonical = store, conn, canonical
        self.added: dict[str, set[str]] = defaultdict(set)
        for node, rid in added:
            self.added[node].add(rid)
        self.dropped = set(dropped)

    def reports_touching(self, nodes: Collection[str]) -> set[str]:
        idx = network_node_reports.c
        out = _node_index(self.conn, self.store.scope, idx.node_id, nodes, idx.report_id) - self.dropped
        for node in nodes:
            out |= self.added.get(node, set())
        return out

    def read_evidence(self, report_ids: Collection[str]) -> tuple[list[Fact], list[ReportInfo]]:
        access, conn = self.store.access, self.conn
        facts = read_facts(access, self.store.config.protected, report_ids=report_ids, conn=conn)
        self.canonical.fetch(facts)
        return facts, read_reports(access, report_ids=report_ids, conn=conn)

    def read(self, report_ids: Collection[str]) -> tuple[list[Fact], list[ReportInfo], list[Subject]]:
        facts, reps = self.read_evidence(report_ids)
        return facts, reps, read_subjects(self.store.access, report_ids=report_ids, conn=self.conn)


@dataclass(frozen=True)
class _Content:
    """What a stored network says, to tell whether a recomputation changed it."""

    row: tuple[Any, ...]  # anchor, persons, nodes, priority, split
    members: frozenset[tuple[str, str, str]]
    scores: dict[tuple[str, str], Any]  # (subject type, subject) -> breakdown


@dataclass
class _Rows:
    """What storing recomputed networks changes: the networks removed or rewritten, their new rows."""

    gone: list[str]
    networks: list[dict[str, Any]]
    members: list[dict[str, Any]]
    scores: list[dict[str, Any]]


@dataclass
class _Update:
    """An update computed from one generation of the scope, to write under its lock."""

    rows: _Rows
    dropped: set[str]  # reports whose index rows go: the new ones and the versions they replace
    added: set[tuple[str, str]]  # (node, report) index rows of the new reports


class NetworkAccess:
    def __init__(self, access: DataAccess, config: HarmConfig | None = None) -> None:
        self.access = access
        self.db = access.db
        self.config = config or load_harm_config()
        self.scope = scope_of(access)

    # -- analysis -----------------------------------------------------------------------

    def previous(self, conn: Connection | None = None) -> dict[str, set[str]]:
        query = select(network_members.c.network_id, network_members.c.node_id).where(
            network_members.c.scope == self.scope, network_members.c.kind == PERSON
        )
        out: dict[str, set[str]] = {}
        with _reading(self.access, conn) as c:
            for nid, node in c.execute(query):
                out.setdefault(nid, set()).add(node)
        return out

    def _read_all(
        self, conn: Connection | None = None
    ) -> tuple[list[Fact], list[ReportInfo], list[Subject], Callable[[str], str]]:
        return (
            read_facts(self.access, self.config.protected, conn=conn),
            read_reports(self.access, conn=conn),
            read_subjects(self.access, conn=conn),
            canonical_ids(self.access, conn),
        )

    def analyse(
        self,
        as_of: date | None = None,
        progress: Progress | None = None,
        nominals: bool = True,
        previous: dict[str, set[str]] | None = None,
    ) -> Analysis:
        """Everything this scope may see, analysed afresh (nothing stored)."""
        step = progress or (lambda _m: None)
        step("reading visible statements")
        facts, reps, subjects, canonical = self._read_all()
        step("building the graph and finding networks")
        return analyse(
            facts,
            reps,
            subjects,
            canonical=canonical,
            previous=self.previous() if previous is None else previous,
            as_of=as_of or self.access.clock().date(),
            config=self.config,
            nominals=nominals,
        )

    def _scope_row(self, conn: Connection, *, lock: bool = False) -> Any:
        query = select(network_scopes).where(network_scopes.c.scope == self.scope)
        return conn.execute(query.with_for_update() if lock else query).first()

    def _ensure_scope(self) -> int:
        """The scope's row (made if missing, so updates racing a first refresh are noticed); its generation."""
        with self.db.writer.begin() as conn:
            row = self._scope_row(conn)
            if row is None:
                actor = self.access.actor
                conn.execute(
                    network_scopes.insert().values(
                        scope=self.scope,
                        unit=actor.unit,
                        roles=",".join(sorted(actor.roles)),
                        external=int(actor.external),
                        as_of=None,
                        generation=0,
                        computed_at=None,
                    )
                )
                return 0
            return int(row.generation)

    def refresh(self, as_of: date | None = None, progress: Progress | None = None) -> Analysis:
        """Recompute this scope's networks and scores from all it may see; rewrite the networks
        that changed (ids kept where they fit) and the node index."""
        step = progress or (lambda _m: None)
        day = as_of or self.access.clock().date()
        for _attempt in range(1, REFRESH_TRIES):
            generation = self._ensure_scope()
            analysis, facts = self._compute(day, step, None)
            step("storing networks and scores")
            with self.db.writer.begin() as conn:
                row = self._scope_row(conn, lock=True)
                if row is None or int(row.generation) != generation:
                    continue  # an update ran meanwhile: its report may be missing from what was read
                self._store(conn, analysis, facts, day)
            return analysis
        # raced by updates every time: read and write holding the scope's lock
        self._ensure_scope()
        with self.db.writer.begin() as conn:
            self._scope_row(conn, lock=True)
            analysis, facts = self._compute(day, step, conn)
            step("storing networks and scores")
            self._store(conn, analysis, facts, day)
        return analysis

    def _compute(self, day: date, step: Progress, conn: Connection | None) -> tuple[Analysis, list[Fact]]:
        step("reading visible statements")
        facts, reps, subjects, canonical = self._read_all(conn)
        step("building the graph, finding and scoring networks")
        analysis = analyse(
            facts,
            reps,
            subjects,
            canonical=canonical,
            previous=self.previous(conn),
            as_of=day,
            config=self.config,
        )
        return analysis, facts

    def _store(self, conn: Connection, analysis: Analysis, facts: list[Fact], day: date) -> None:
        now = self.access.clock()
        self._bump(conn)  # an update computed from what this replaces must compute again
        stored = {r[0] for r in conn.execute(select(networks.c.id).where(networks.c.scope == self.scope))}
        self._write(conn, analysis.ranked, analysis.graph, stored, now)
        conn.execute(delete(network_node_reports).where(network_node_reports.c.scope == self.scope))
        self._index(conn, report_nodes(facts, analysis.folded))
        conn.execute(
            update(network_scopes).where(network_scopes.c.scope == self.scope).values(as_of=day, computed_at=now)
        )
        ids = [r.network.id for r in analysis.ranked]
        self.access.log(
            conn, Operation.COMBINATION, "network", ids or ["none"], justification="network analysis and harm scoring"
        )

    def update_for_reports(self, report_ids: Collection[str]) -> list[str] | None:
        """Bring this scope's stored networks up to date with these new reports (or new versions),
        recomputing only the components around what they touch. The ids of the networks written
        or removed; None when the scope has no stored networks to update (a refresh makes them).

        The heavy part (reading the neighbourhood, recomputing it, comparing with what is stored)
        runs on a reader, before the scope's lock is taken: under the lock only the writes, when
        no other update or refresh has stored since (the scope's generation says so), else it
        computes again. Raced every time, it computes holding the lock, as a refresh does."""
        wanted = set(report_ids)
        for _attempt in range(1, UPDATE_TRIES):
            with self.db.reader.connect() as conn:
                seen = self._scope_row(conn)
                plan = None if seen is None or seen.as_of is None else self._plan(conn, wanted, seen.as_of)
            with self.db.writer.begin() as conn:
                state = self._scope_row(conn, lock=True)
                if state is None:
                    return None
                if state.as_of is None:  # a first refresh is under way; it will notice and read again
                    self._bump(conn)
                    return None
                if plan is not None and seen is not None and int(state.generation) == int(seen.generation):
                    return self._apply(conn, plan, wanted)
        with self.db.writer.begin() as conn:
            state = self._scope_row(conn, lock=True)
            if state is None:
                return None
            if state.as_of is None:
                self._bump(conn)
                return None
            return self._apply(conn, self._plan(conn, wanted, state.as_of), wanted)

    def _bump(self, conn: Connection) -> None:
        """A new generation: whoever computed from the last one must compute again."""
        conn.execute(
            update(network_scopes)
            .where(network_scopes.c.scope == self.scope)
            .values(generation=network_scopes.c.generation + 1)
        )

    def _plan(self, conn: Connection, wanted: set[str], as_of: date) -> _Update:
        """What updating for these reports writes, read and computed on `conn` (nothing written)."""
        # the versions these replace (no longer current), and what the index says they touched
        keys = {
            (r.originator, r.reference)
            for r in conn.execute(select(reports.c.originator, reports.c.reference).where(reports.c.id.in_(wanted)))
        }
        dropped = set(wanted)
        ordered = sorted(keys)
        for at in range(0, len(ordered), CHUNK):
            pairs = ordered[at : at + CHUNK]
            dropped.update(
                conn.execute(
                    select(reports.c.id).where(
                        tuple_(reports.c.originator, reports.c.reference).in_(pairs), ~reports.c.is_current
                    )
                ).scalars()
            )
        idx = network_node_reports.c
        seeds = _node_index(conn, self.scope, idx.report_id, dropped, idx.node_id)
        canonical = _Canonical(conn)
        new_facts = read_facts(self.access, self.config.protected, report_ids=wanted, conn=conn)
        canonical.fetch(new_facts)
        added = report_nodes(new_facts, fold(new_facts, canonical=canonical, protected=self.config.protected))
        seeds |= {node for node, _rid in added}
        rows = _Rows([], [], [], [])
        if seeds:
            source = _StoreSource(self, conn, canonical, added, dropped)
            region = gather(seeds, source, self.config, canonical=canonical)
            affected = self._networks_holding(conn, region.closure)
            every = {r[0] for r in conn.execute(select(networks.c.id).where(networks.c.scope == self.scope))}
            analysis = analyse(
                region.facts,
                region.reports,
                region.subjects,
                canonical=canonical,
                previous=self._persons(conn, affected),
                as_of=as_of,
                config=self.config,
                around=region.around,
                taken=every - affected,
            )
            rows = self._diff(conn, analysis.ranked, analysis.graph, affected, self.access.clock())
        return _Update(rows, dropped, added)

    def _apply(self, conn: Connection, plan: _Update, wanted: set[str]) -> list[str]:
        """Write a computed update, holding the scope's lock; the ids of the networks written or removed."""
        self._bump(conn)
        changed = self._put(conn, plan.rows)
        for chunk in _chunks(plan.dropped):
            conn.execute(
                delete(network_node_reports).where(
                    network_node_reports.c.scope == self.scope, network_node_reports.c.report_id.in_(chunk)
                )
            )
        self._index(conn, plan.added)
        self.access.log(
            conn,
            Operation.COMBINATION,
            "network" if changed else "report",
            changed or sorted(wanted),
            justification="network update for new reports",
        )
        return changed

    def _networks_holding(self, conn: Connection, nodes: Collection[str]) -> set[str]:
        out: set[str] = set()
        for chunk in _chunks(nodes):
            query = select(network_members.c.network_id).where(
                network_members.c.scope == self.scope, network_members.c.node_id.in_(chunk)
            )
            out.update(conn.execute(query).scalars())
        return out

    def _persons(self, conn: Connection, network_ids: Collection[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for chunk in _chunks(network_ids):
            query = select(network_members.c.network_id, network_members.c.node_id).where(
                network_members.c.scope == self.scope,
                network_members.c.kind == PERSON,
                network_members.c.network_id.in_(chunk),
            )
            for nid, node in conn.execute(query):
                out.setdefault(nid, set()).add(node)
        return out

    def _index(self, conn: Connection, pairs: Iterable[tuple[str, str]]) -> None:
        rows = [{"scope": self.scope, "node_id": n, "report_id": r} for n, r in sorted(set(pairs))]
        for start in range(0, len(rows), 2000):
            conn.execute(network_node_reports.insert(), rows[start : start + 2000])

    # -- writing ------------------------------------------------------------------------

    def _content(self, item: Ranked, graph: EvidenceGraph) -> _Content:
        net = item.network
        scores: dict[tuple[str, str], Any] = {("network", net.id): _breakdown(item.score)}
        for person, s in item.nominals.items():
            breakdown = _breakdown(s)
            breakdown["roles"] = _jsonable(item.roles.get(person, []))
            scores[("nominal", person)] = breakdown
        members = frozenset((graph.nodes[i], graph.kinds[i], graph.captions[i]) for i in net.members.tolist())
        row = (net.anchor, len(net.persons), len(net.members), item.score.priority, int(net.split))
        return _Content(row, members, scores)

    def _stored(self, conn: Connection, ids: Collection[str]) -> tuple[dict[str, Any], dict[str, _Content]]:
        """Stored rows and content of these networks."""
        rows: dict[str, Any] = {}
        members: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        scores: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)
        for chunk in _chunks(ids):
            for r in conn.execute(select(networks).where(networks.c.scope == self.scope, networks.c.id.in_(chunk))):
                rows[r.id] = r
            for r in conn.execute(
                select(network_members).where(
                    network_members.c.scope == self.scope, network_members.c.network_id.in_(chunk)
                )
            ):
                members[r.network_id].add((r.node_id, r.kind, r.caption))
            for r in conn.execute(
                select(network_scores).where(
                    network_scores.c.scope == self.scope, network_scores.c.network_id.in_(chunk)
                )
            ):
                scores[r.network_id][(r.subject_type, r.subject_id)] = r.breakdown
        content = {
            nid: _Content((r.anchor, r.persons, r.nodes, r.priority, r.split), frozenset(members[nid]), scores[nid])
            for nid, r in rows.items()
        }
        return rows, content

    def _write(
        self, conn: Connection, ranked: Sequence[Ranked], graph: EvidenceGraph, replace: Collection[str], now: datetime
    ) -> list[str]:
        """Store recomputed networks in place of the stored networks `replace`: a network whose
        content is unchanged keeps its rows (version, computed_at) untouched. The ids written or
        removed."""
        return self._put(conn, self._diff(conn, ranked, graph, replace, now))

    def _diff(
        self, conn: Connection, ranked: Sequence[Ranked], graph: EvidenceGraph, replace: Collection[str], now: datetime
    ) -> _Rows:
        """The rows `_write` changes, from what is stored now (read only)."""
        new = {item.network.id: self._content(item, graph) for item in ranked}
        rows, stored = self._stored(conn, set(replace) | new.keys())
        same = {nid for nid, content in new.items() if stored.get(nid) == content}
        gone = (set(replace) | new.keys()) - same
        out = _Rows(sorted(gone), [], [], [])
        for nid, content in new.items():
            if nid in same:
                continue
            old = rows.get(nid)
            anchor, persons, nodes, priority, split = content.row
            out.networks.append(
                {
                    "scope": self.scope,
                    "id": nid,
                    "anchor": anchor,
                    "persons": persons,
                    "nodes": nodes,
                    "priority": priority,
                    "split": split,
                    "first_seen_at": old.first_seen_at if old is not None else now,
                    "computed_at": now,
                    "version": old.version + 1 if old is not None else 1,
                }
            )
            out.members += [
                {"scope": self.scope, "network_id": nid, "node_id": n, "kind": k, "caption": c}
                for n, k, c in sorted(content.members)
            ]
            out.scores += [
                {
                    "scope": self.scope,
                    "subject_type": kind,
                    "subject_id": subject,
                    "network_id": nid,
                    "priority": breakdown["priority"],
                    "method": breakdown["method"],
                    "breakdown": breakdown,
                    "computed_at": now,
                }
                for (kind, subject), breakdown in content.scores.items()
            ]
        return out

    def _put(self, conn: Connection, rows: _Rows) -> list[str]:
        """Remove the networks `rows` replaces and insert their new rows; the ids written or removed."""
        for chunk in _chunks(rows.gone):
            conn.execute(
                delete(network_scores).where(
                    network_scores.c.scope == self.scope, network_scores.c.network_id.in_(chunk)
                )
            )
            conn.execute(
                delete(network_members).where(
                    network_members.c.scope == self.scope, network_members.c.network_id.in_(chunk)
                )
            )
            conn.execute(delete(networks).where(networks.c.scope == self.scope, networks.c.id.in_(chunk)))
        for table, batch in ((networks, rows.networks), (network_members, rows.members), (network_scores, rows.scores)):
            for start in range(0, len(batch), 2000):
                conn.execute(table.insert(), batch[start : start + 2000])
        return rows.gone

    # -- reads --------------------------------------------------------------------------

    def forget(self) -> None:
        """Mark this scope's stored networks out of date: the next read recomputes them all."""
        with self.db.writer.begin() as conn:
            conn.execute(_stale(network_scopes.c.scope == self.scope))

    def is_computed(self) -> bool:
        """Whether this scope's networks have been computed (there may be none)."""
        with self.db.reader.connect() as conn:
            row = self._scope_row(conn)
        return row is not None and row.as_of is not None

    def has_networks(self) -> bool:
        with self.db.reader.connect() as conn:
            return (
                conn.execute(select(networks.c.id).where(networks.c.scope == self.scope).limit(1)).first() is not None
            )

    def ranked(self, top: int | None = None) -> list[dict[str, Any]]:
        """Stored networks of this scope, ranked by harm (ties by id), each with its breakdown."""
        with self.db.reader.connect() as conn:
            order = sorted(
                conn.execute(select(networks.c.id, networks.c.priority).where(networks.c.scope == self.scope)),
                key=lambda r: (-r.priority, r.id),
            )
            chosen = order[:top] if top else order
            rank = {r.id: i for i, r in enumerate(chosen, start=1)}
            rows = []
            for chunk in _chunks(rank):
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
                    .where(networks.c.scope == self.scope, networks.c.id.in_(chunk))
                )
                rows += [dict(r._mapping) for r in conn.execute(query)]
        for row in rows:
            row.pop("scope", None)
            row["rank"] = rank[row["id"]]
        rows.sort(key=lambda r: r["rank"])
        if rows:
            self.access.audit(Operation.CONSULTATION, "network", [r["id"] for r in rows])
        return rows

    def network(self, network_id: str) -> dict[str, Any] | None:
        """A stored network with members, edges (each with its reports and gradings), key nominals
        and nominal scores; None when this scope has no such network.

        Only the network's own reports are read (through the node index, as this user may see
        them) to rebuild its edges and key nominals: nothing else of the graph is recomputed."""
        with self.db.reader.connect() as conn:
            row = conn.execute(
                select(networks).where(networks.c.scope == self.scope, networks.c.id == network_id)
            ).first()
            if row is None:
                return None
            stored_members = list(
                conn.execute(
                    select(network_members.c.node_id, network_members.c.kind, network_members.c.caption).where(
                        network_members.c.scope == self.scope, network_members.c.network_id == network_id
                    )
                )
            )
            scores = {
                (r.subject_type, r.subject_id): r.breakdown
                for r in conn.execute(
                    select(
                        network_scores.c.subject_type, network_scores.c.subject_id, network_scores.c.breakdown
                    ).where(network_scores.c.scope == self.scope, network_scores.c.network_id == network_id)
                )
            }
            idx = network_node_reports.c
            rids = _node_index(conn, self.scope, idx.node_id, (m.node_id for m in stored_members), idx.report_id)
            canonical = _Canonical(conn)
            facts = read_facts(self.access, self.config.protected, report_ids=rids, conn=conn)
            canonical.fetch(facts)
            reps = read_reports(self.access, report_ids=rids, conn=conn)
        folded = fold(facts, canonical=canonical, protected=self.config.protected)
        graph = EvidenceGraph.from_folded(folded, reps, self.config.weak_sources, self.config.weak_assessments)
        index = graph.index
        visible = [m for m in stored_members if m.node_id in index]  # what this user may still see
        visible.sort(key=lambda m: m.node_id)
        members = np.array([index[m.node_id] for m in visible], dtype=np.int64)
        _sub, edges = graph.subgraph(members)
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
        seen = {r.id for r in reps}
        nominal_scores = {}
        roles = {}
        for (kind, subject), breakdown in sorted(scores.items()):
            if kind == "nominal" and subject in index:
                b = _cited_only(dict(breakdown), seen)
                roles[subject] = [r for r in b.pop("roles", []) if r.get("report_id") in seen]
                nominal_scores[subject] = b
        nominals = [_nominal(k) for k in key_nominals(graph, members)] if len(members) else []
        for n in nominals:
            s = nominal_scores.get(n["node"])
            n["priority"] = s["priority"] if s else None
            n["roles"] = roles.get(n["node"], [])
        # The network, its members and the reports behind its edges, so `audit who-viewed` finds each.
        named = [network_id, *(m.node_id for m in visible), *sorted(seen)]
        self.access.audit(Operation.CONSULTATION, "network", named)
        out: dict[str, Any] = _jsonable(
            {
                "id": row.id,
                "anchor": row.anchor,
                "split": bool(row.split),
                "version": row.version,
                "computed_at": row.computed_at,
                "score": _cited_only(dict(scores[("network", network_id)]), seen),
                "members": [{"id": m.node_id, "kind": m.kind, "caption": m.caption} for m in visible],
                "edges": edge_rows,
                "key_nominals": nominals,
                "nominal_scores": nominal_scores,
            }
        )
        return out

    def path(self, source: str, target: str, limit: int = MAX_PATHS) -> dict[str, Any] | None:
        """Shortest evidence paths between two nodes (or entity ids) of this user's graph; None
        when either is not in it, no paths when they are not connected.

        With this scope's networks stored, only the reports around the two ends are read (their
        node index, `maxim.network.paths.reports_between`), through this user's access, so the
        paths are those of the whole graph without building it; the index is as fresh as the
        stored networks. Before the first refresh, everything this user may see is read."""
        with self.db.reader.connect() as conn:
            canonical = _Canonical(conn)
            ends = read_facts(self.access, self.config.protected, entity_ids=[source, target], conn=conn)
            canonical.fetch(ends)
            node_of = fold(ends, canonical=canonical, protected=self.config.protected).node_of
            a, b = node_of.get(source, source), node_of.get(target, target)
            state = self._scope_row(conn)
            lookup: Callable[[str], str] = canonical
            if state is not None and state.as_of is not None:
                found = reports_between(
                    a, b, _StoreSource(self, conn, canonical), canonical=canonical, protected=self.config.protected
                )
                facts, reps = found.facts, found.reports
            else:
                facts, reps = (
                    read_facts(self.access, self.config.protected, conn=conn),
                    read_reports(self.access, conn=conn),
                )
                lookup = canonical_ids(self.access, conn)
        graph = self._graph(facts, reps, lookup)
        paths = evidence_paths(graph, a, b, limit=limit)
        if paths is None:
            return None
        self.access.audit(Operation.CONSULTATION, "entity", [a, b], justification="evidence path")
        return {"from": a, "to": b, "paths": paths}

    def _graph(
        self, facts: Iterable[Fact], reps: Sequence[ReportInfo], canonical: Callable[[str], str]
    ) -> EvidenceGraph:
        """The evidence graph of these facts (every link, weak ones too), without networks or scores."""
        folded = fold(facts, canonical=canonical, protected=self.config.protected)
        return EvidenceGraph.from_folded(folded, reps, self.config.weak_sources, self.config.weak_assessments)

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


def update_networks(access: DataAccess, report_ids: Collection[str]) -> dict[str, list[str] | None]:
    """After intake (or a judgement, `update_networks_for_mentions`): in every scope whose networks
    are stored, update the networks these reports touch. Each scope reads as its own unit and roles
    see (audited under the acting user), so a report a scope may not see changes nothing there.
    Scope -> ids written or removed (None: the scope will be recomputed when next read).

    Stored networks are derived data and must not fail an intake whose report is already
    committed: a scope whose update fails is logged and left to recompute on its next read."""
    with access.db.reader.connect() as conn:
        scopes = list(
            conn.execute(
                select(network_scopes.c.unit, network_scopes.c.roles, network_scopes.c.external).where(
                    network_scopes.c.as_of.is_not(None)
                )
            )
        )
    out: dict[str, list[str] | None] = {}
    for unit, roles, external in scopes:
        actor = Actor(
            access.actor.username,
            access.actor.display_name,
            unit,
            frozenset(r for r in roles.split(",") if r),
            bool(external),
        )
        as_scope = DataAccess(access.db, actor, channel=access.channel, policy=access.policy, clock=access.clock)
        store = NetworkAccess(as_scope)
        try:
            out[store.scope] = store.update_for_reports(report_ids)
        except Exception:
            LOG.exception("network update failed for scope %s; its networks are recomputed on next read", store.scope)
            store.forget()
            out[store.scope] = None
    return out


def _stale(*where: Any) -> Any:
    """The update marking scopes out of date. It bumps the generation as well, so a refresh that
    read before the change (a scope's first one included) notices when it stores and reads again,
    instead of stamping what it read as current."""
    return update(network_scopes).where(*where).values(as_of=None, generation=network_scopes.c.generation + 1)


def mark_networks_stale(db: Database) -> int:
    """Mark every stored scope out of date: its next read recomputes it whole. For changes that
    reach everywhere, such as a resolution run (canonical ids may change for any person), where
    walking outward from what changed would cost a full rebuild anyway; and the fallback when an
    update fails. The number of scopes marked (every scope: one whose first refresh is under way
    must read again too).

    Never raises: its callers' own work (a resolution run, a judgement) is committed already and
    must not be reported as failed because derived data could not be marked; the log says so."""
    try:
        with db.writer.begin() as conn:
            return int(conn.execute(_stale()).rowcount or 0)
    except Exception:
        LOG.exception(
            "could not mark stored networks out of date; refresh each scope (`maxim networks --as USER`, "
            "or GET /api/networks?refresh=true) once the database is back"
        )
        return 0


def reports_stating(db: Database, entity_ids: Collection[str]) -> set[str]:
    """Ids of the current reports holding statements about these entities (mentions), whoever may
    see them: each scope's update then reads them as that scope may see them, so nothing is shown
    to anyone here."""
    out: set[str] = set()
    with db.reader.connect() as conn:
        for chunk in _chunks(entity_ids):
            query = (
                select(statements.c.report_id)
                .select_from(statements.join(reports, reports.c.id == statements.c.report_id))
                .where(statements.c.entity_id.in_(chunk), reports.c.is_current)
                .distinct()
            )
            out.update(conn.execute(query).scalars())
    return out


def update_networks_for_mentions(access: DataAccess, entity_ids: Collection[str]) -> dict[str, list[str] | None]:
    """After a judgement re-forms clusters: in every stored scope, update the networks around the
    reports stating these mentions, as if those reports had just arrived (`update_networks`). A
    changed canonical id changes only the nodes of those reports, and their old index rows name
    the old nodes, so the update walks out from both and gives what a full rebuild would.

    Never raises: the judgement is already recorded, and stored networks are derived data. If
    the update cannot even start, every scope is marked for a full recompute on its next read."""
    try:
        report_ids = reports_stating(access.db, entity_ids)
        return update_networks(access, report_ids) if report_ids else {}
    except Exception:
        LOG.exception("network update after a judgement failed; every stored scope is recomputed on next read")
        mark_networks_stale(access.db)
        return {}


_SCORE_FIELDS = tuple(f.name for f in fields(Score))


def _breakdown(score: Score) -> dict[str, Any]:
    """`score.breakdown()` as stored JSON holds it (lists, not tuples), without `asdict`'s deep
    copies: a refresh writes one per network and nominal."""
    out: dict[str, Any] = {name: getattr(score, name) for name in _SCORE_FIELDS}
    out["factors"] = [
        {
            "section": f.section,
            "code": f.code,
            "count": f.count,
            "points": f.points,
            "reason": f.reason,
            "reports": list(f.reports),
        }
        for f in score.factors
    ]
    return out


def _cited_only(breakdown: dict[str, Any], visible: set[str]) -> dict[str, Any]:
    """A stored breakdown citing only reports the reader may see."""
    breakdown["factors"] = [
        {**f, "reports": [r for r in f.get("reports", []) if r in visible]} for f in breakdown.get("factors", [])
    ]
    return breakdown


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
