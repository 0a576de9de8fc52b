"""Reads and writes of entity resolution, on top of the one data-access layer.

Statements are read only through `DataAccess.visible_statements`, so the access policy
applies; every write of a merge records an s62 COMBINATION event in the same transaction,
and real-time candidate lookups a CONSULTATION.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update

from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.tables import statements
from maxim.store.tables_resolution import (
    judgements,
    resolution_edges,
    resolution_features,
    resolution_keys,
    resolution_links,
    resolution_runs,
)

PERSON_PROPS = (
    "name",
    "firstName",
    "lastName",
    "birthDate",
    "phone",
    "email",
    "passportNumber",
    "gender",
    "nationality",
)
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class JudgementRow:
    id: int
    left_id: str
    right_id: str
    judgement: str
    username: str
    created_at: datetime
    reason: str | None


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ResolutionAccess:
    def __init__(self, access: DataAccess) -> None:
        self.access = access
        self.db = access.db
        self.actor = access.actor

    # -- statements (through the access policy) -----------------------------------------

    def person_statements(self, entity_ids: Sequence[str] | None = None) -> list[tuple[str, str, str]]:
        """(entity_id, prop, value) of visible Person mentions: valid values of compared properties."""
        query = self.access.visible_statements(statements.c.entity_id, statements.c.prop, statements.c.value).where(
            statements.c.schema == "Person", statements.c.prop.in_(PERSON_PROPS), statements.c.valid
        )
        out: list[tuple[str, str, str]] = []
        with self.db.reader.connect() as conn:
            if entity_ids is None:
                result = conn.execution_options(yield_per=CHUNK).execute(query)
                out.extend((r[0], r[1], r[2]) for r in result)
            else:
                for chunk in _chunks(list(entity_ids), 500):
                    result = conn.execute(query.where(statements.c.entity_id.in_(chunk)))
                    out.extend((r[0], r[1], r[2]) for r in result)
        return out

    def context_statements(
        self, entity_ids: Sequence[str] | None = None
    ) -> Iterator[tuple[str, str, str, str, str, str | None]]:
        """(report_id, entity_id, schema, prop, value, identifier_kind) of what visible reports name
        alongside Person mentions: names and identifiers, ordered by report. With `entity_ids`,
        only the reports those mentions come from."""
        s = statements.c
        query = (
            self.access.visible_statements(s.report_id, s.entity_id, s.schema, s.prop, s.value, s.identifier_kind)
            .where(s.valid)
            .where(or_(s.identifier_kind.is_not(None), and_(s.schema == "Person", s.prop.in_(PERSON_PROPS[:3]))))
            .order_by(s.report_id)
        )
        with self.db.reader.connect() as conn:
            if entity_ids is None:
                for r in conn.execution_options(yield_per=CHUNK).execute(query):
                    yield (r[0], r[1], r[2], r[3], r[4], r[5])
                return
            for chunk in _chunks(list(entity_ids), 500):
                reports = select(s.report_id).where(s.entity_id.in_(chunk)).distinct()
                for r in conn.execute(query.where(s.report_id.in_(reports))):
                    yield (r[0], r[1], r[2], r[3], r[4], r[5])

    def schema_statements(self, schemata: Sequence[str]) -> Iterator[tuple[str, str, str, str, bool]]:
        """(entity_id, schema, prop, value, valid) of every visible statement on mentions of these
        schemata, invalid ones too: deterministic resolution says why an identifier did not count."""
        s = statements.c
        query = self.access.visible_statements(s.entity_id, s.schema, s.prop, s.value, s.valid).where(
            s.schema.in_(schemata)
        )
        with self.db.reader.connect() as conn:
            for r in conn.execution_options(yield_per=CHUNK).execute(query):
                yield (r[0], r[1], r[2], r[3], bool(r[4]))

    def visible_entities(self, entity_ids: Iterable[str]) -> set[str]:
        """Which of these entities have at least one statement the actor may see."""
        ids = sorted(set(entity_ids))
        seen: set[str] = set()
        query = self.access.visible_statements(statements.c.entity_id).distinct()
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                seen.update(r[0] for r in conn.execute(query.where(statements.c.entity_id.in_(chunk))))
        return seen

    # -- runs ---------------------------------------------------------------------------

    def latest_run(self) -> dict[str, Any] | None:
        with self.db.reader.connect() as conn:
            row = conn.execute(
                select(resolution_runs)
                .where(resolution_runs.c.finished_at.is_not(None))
                .order_by(resolution_runs.c.finished_at.desc())
                .limit(1)
            ).first()
        return dict(row._mapping) if row else None

    def run(self, run_id: str) -> dict[str, Any] | None:
        with self.db.reader.connect() as conn:
            row = conn.execute(select(resolution_runs).where(resolution_runs.c.id == run_id)).first()
        return dict(row._mapping) if row else None

    def save_run(
        self,
        run: dict[str, Any],
        links: Sequence[dict[str, Any]],
        edges: Sequence[dict[str, Any]],
        features: Sequence[dict[str, Any]],
        keys: Sequence[dict[str, Any]],
        merged: Sequence[str],
    ) -> None:
        """Replace the resolution with a run's result, in one transaction, logging the merges.

        The run row is stamped finished (with the time the write took) by the transaction's last
        statement, so a run is whole or absent: a process killed anywhere before the commit leaves
        the previous resolution, never links from a run that did not finish.
        """
        started = time.perf_counter()
        with self.db.writer.begin() as conn:
            conn.execute(insert(resolution_runs), [{**run, "finished_at": None}])
            for table in (resolution_links, resolution_edges, resolution_features, resolution_keys):
                conn.execute(delete(table))
            for table, rows in (
                (resolution_links, links),
                (resolution_edges, edges),
                (resolution_features, features),
                (resolution_keys, keys),
            ):
                for chunk in _chunks(list(rows)):
                    conn.execute(insert(table), list(chunk))
            if merged:
                self._audit(
                    conn,
                    Operation.COMBINATION,
                    "entity",
                    merged,
                    f"resolution run {run['id']}: {len(merged)} canonical entities of more than one mention",
                )
            timings = {**run["metrics"].get("timings", {}), "write_s": time.perf_counter() - started}
            conn.execute(
                update(resolution_runs)
                .where(resolution_runs.c.id == run["id"])
                .values(finished_at=self.access.clock(), metrics={**run["metrics"], "timings": timings})
            )

    def _audit(
        self, conn: Connection, operation: Operation, object_type: str, ids: Sequence[str], justification: str | None
    ) -> None:
        self.access.log(conn, operation, object_type, ids, justification)

    # -- links --------------------------------------------------------------------------

    def links(self, entity_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = sorted(set(entity_ids))
        out: dict[str, dict[str, Any]] = {}
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                for row in conn.execute(select(resolution_links).where(resolution_links.c.entity_id.in_(chunk))):
                    out[row.entity_id] = dict(row._mapping)
        return out

    def members(self, canonical_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = sorted(set(canonical_ids))
        out: dict[str, dict[str, Any]] = {}
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                for row in conn.execute(select(resolution_links).where(resolution_links.c.canonical_id.in_(chunk))):
                    out[row.entity_id] = dict(row._mapping)
        return out

    def iter_links(self) -> Iterator[dict[str, Any]]:
        with self.db.reader.connect() as conn:
            result = conn.execution_options(yield_per=CHUNK).execute(
                select(resolution_links).order_by(resolution_links.c.entity_id)
            )
            for row in result:
                yield dict(row._mapping)

    def edges_among(self, entity_ids: Iterable[str]) -> list[tuple[str, str, float]]:
        ids = sorted(set(entity_ids))
        wanted = set(ids)
        out: list[tuple[str, str, float]] = []
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                rows = conn.execute(
                    select(
                        resolution_edges.c.left_id, resolution_edges.c.right_id, resolution_edges.c.match_probability
                    ).where(resolution_edges.c.left_id.in_(chunk))
                )
                out.extend((a, b, float(p)) for a, b, p in rows if b in wanted)
        return out

    def replace_links(self, rows: Sequence[dict[str, Any]], merged: Sequence[str], justification: str) -> None:
        with self.db.writer.begin() as conn:
            ids = [r["entity_id"] for r in rows]
            for chunk in _chunks(ids, 500):
                conn.execute(delete(resolution_links).where(resolution_links.c.entity_id.in_(chunk)))
            if rows:
                conn.execute(insert(resolution_links), list(rows))
            if merged:
                self._audit(conn, Operation.COMBINATION, "entity", merged, justification)

    # -- features and the blocking index ------------------------------------------------

    def features(self, entity_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = sorted(set(entity_ids))
        out: dict[str, dict[str, Any]] = {}
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                for eid, feats in conn.execute(
                    select(resolution_features.c.entity_id, resolution_features.c.features).where(
                        resolution_features.c.entity_id.in_(chunk)
                    )
                ):
                    out[eid] = feats
        return out

    def lookup_keys(self, keys: Sequence[str], per_key: int = 200) -> set[str]:
        found: set[str] = set()
        if not keys:
            return found
        with self.db.reader.connect() as conn:
            for key in keys:
                found.update(
                    r[0]
                    for r in conn.execute(
                        select(resolution_keys.c.entity_id).where(resolution_keys.c.key == key).limit(per_key)
                    )
                )
        return found

    def consulted(self, ids: Sequence[str], justification: str) -> None:
        if ids:
            self.access.audit(Operation.CONSULTATION, "entity", ids, justification)

    # -- judgements (append-only) -------------------------------------------------------

    def current_judgements(self) -> list[JudgementRow]:
        with self.db.reader.connect() as conn:
            rows = conn.execute(
                select(judgements).where(judgements.c.superseded_at.is_(None)).order_by(judgements.c.id)
            )
            return [
                JudgementRow(r.id, r.left_id, r.right_id, r.judgement, r.username, r.created_at, r.reason) for r in rows
            ]

    def judgement_history(self, entity_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Every judgement (current and superseded) on these mentions that the actor may see whole.

        A judgement names two mentions; one the actor may not see would leak its id, and that the
        reader's mention was compared with it, so judgements touching a hidden mention are left
        out rather than half shown. Superseded rows point only at judgements of the same pair,
        which are kept or dropped with them.
        """
        ids = sorted(set(entity_ids))
        found: list[dict[str, Any]] = []
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                rows = conn.execute(
                    select(judgements).where(or_(judgements.c.left_id.in_(chunk), judgements.c.right_id.in_(chunk)))
                )
                found.extend(dict(r._mapping) for r in rows)
        unique = {j["id"]: j for j in found}
        seen = self.visible_entities(m for j in unique.values() for m in (j["left_id"], j["right_id"]))
        return [j for _, j in sorted(unique.items()) if j["left_id"] in seen and j["right_id"] in seen]

    def schemata(self, entity_ids: Iterable[str]) -> dict[str, str]:
        """The schema of each of these entities the actor may see (hidden ones are absent).

        A judgement re-forms the cluster of its mentions' schema, and two mentions of different
        schemata cannot be one thing, so the judgement needs to know what each mention is.
        """
        ids = sorted(set(entity_ids))
        out: dict[str, str] = {}
        query = self.access.visible_statements(statements.c.entity_id, statements.c.schema).distinct()
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                out.update((r[0], r[1]) for r in conn.execute(query.where(statements.c.entity_id.in_(chunk))))
        return out

    def entity_statements(self, entity_ids: Iterable[str]) -> list[tuple[str, str, str, str, bool]]:
        """(entity_id, schema, prop, value, valid) of the visible statements on these entities: what
        `schema_statements` gives for a whole schema, for the few mentions a judgement re-forms."""
        ids = sorted(set(entity_ids))
        s = statements.c
        query = self.access.visible_statements(s.entity_id, s.schema, s.prop, s.value, s.valid)
        out: list[tuple[str, str, str, str, bool]] = []
        with self.db.reader.connect() as conn:
            for chunk in _chunks(ids, 500):
                out.extend(
                    (r[0], r[1], r[2], r[3], bool(r[4])) for r in conn.execute(query.where(s.entity_id.in_(chunk)))
                )
        return out

    def append_judgement(self, left_id: str, right_id: str, judgement: str, reason: str | None) -> int:
        """Append a judgement; the pair's current one (if any) is stamped as superseded by it."""
        now = self.access.clock()
        with self.db.writer.begin() as conn:
            new_id = conn.execute(
                insert(judgements)
                .values(
                    left_id=left_id,
                    right_id=right_id,
                    judgement=judgement,
                    username=self.actor.username,
                    created_at=now,
                    reason=reason,
                )
                .returning(judgements.c.id)
            ).scalar_one()
            conn.execute(
                update(judgements)
                .where(
                    and_(
                        judgements.c.left_id == left_id,
                        judgements.c.right_id == right_id,
                        judgements.c.superseded_at.is_(None),
                        judgements.c.id != new_id,
                    )
                )
                .values(superseded_at=now, superseded_by=new_id)
            )
            if judgement == "same":
                self._audit(
                    conn,
                    Operation.COMBINATION,
                    "entity",
                    [left_id, right_id],
                    f"judgement {new_id}: same person" + (f" ({reason})" if reason else ""),
                )
        return int(new_id)

    def count_links(self) -> int:
        with self.db.reader.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(resolution_links)).scalar_one())
