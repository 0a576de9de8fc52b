"""What a resolution run leaves in the store, read straight from the tables (for the fault tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from maxim.store.audit import verify
from maxim.store.engine import Database
from maxim.store.tables_resolution import (
    judgements,
    resolution_edges,
    resolution_features,
    resolution_links,
    resolution_runs,
)


@dataclass(frozen=True)
class Stored:
    runs: dict[str, bool]  # run id -> finished
    assignments: dict[str, tuple[str, str]]  # mention -> (canonical id, origin)
    run_ids: set[str]  # runs the links, edges and features say they come from
    ledger: list[tuple[Any, ...]]
    audit_broken: object | None

    def assert_whole(self) -> None:
        """A run is complete or absent: no unfinished run, nothing from any run but the latest."""
        unfinished = sorted(r for r, done in self.runs.items() if not done)
        assert not unfinished, f"unfinished runs visible: {unfinished}"
        if not self.assignments:
            assert not self.run_ids
            return
        assert len(self.run_ids) == 1, f"links, edges and features from several runs: {sorted(self.run_ids)}"
        assert self.run_ids <= set(self.runs)
        assert self.audit_broken is None, self.audit_broken


def differences(a: Stored, b: Stored) -> str:
    """How two resolutions differ, briefly: for an assertion message."""
    ids = sorted(m for m in a.assignments.keys() | b.assignments.keys() if a.assignments.get(m) != b.assignments.get(m))
    shown = ", ".join(f"{m}: {a.assignments.get(m)} / {b.assignments.get(m)}" for m in ids[:5])
    return f"{len(ids)} of {len(a.assignments)} mentions differ: {shown}"


def stored(db: Database) -> Stored:
    with db.reader.connect() as conn:
        runs = {r.id: r.finished_at is not None for r in conn.execute(select(resolution_runs))}
        assignments = {
            r.entity_id: (r.canonical_id, r.origin)
            for r in conn.execute(
                select(resolution_links.c.entity_id, resolution_links.c.canonical_id, resolution_links.c.origin)
            )
        }
        run_ids: set[str] = set()
        for table in (resolution_links, resolution_edges, resolution_features):
            run_ids.update(conn.execute(select(table.c.run_id).distinct()).scalars())
        ledger = [tuple(r) for r in conn.execute(select(judgements).order_by(judgements.c.id))]
        _, broken = verify(conn)
    return Stored(runs, assignments, run_ids, ledger, broken)
