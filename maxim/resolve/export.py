"""The resolution as rows for export: only mentions the actor may see; the export is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from maxim.domain.spreadsheet import csv_row
from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.export_audit import audited
from maxim.store.resolution_access import ResolutionAccess

WHY = "bulk export: resolution"
KEYS = ("entity_id", "canonical_id")

#: The CSV's columns: the first four are fixed for scripts that read them; new ones go at the end.
COLUMNS = ("mention_id", "canonical_id", "match_probability", "origin", "schema", "note")


def iter_resolution(access: DataAccess, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Each link row of a mention the actor may see, with the mention's `schema` added.

    Links hold no schema (one run resolves people, vehicles, addresses and organisations), so it
    is read from the mentions' visible statements, batch by batch, which also decides visibility.
    """
    res = ResolutionAccess(access)
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        schemata = res.schemata(r["entity_id"] for r in pending)
        shown = [{**r, "schema": schemata[r["entity_id"]]} for r in pending if r["entity_id"] in schemata]
        pending.clear()
        # Each batch names its mentions and canonical ids in the log before it is written.
        yield from audited(access, shown, operation=Operation.CONSULTATION, justification=WHY, keys=KEYS, batch=batch)

    for row in res.iter_links():
        pending.append(row)
        if len(pending) >= batch:
            yield from flush()
    yield from flush()


def csv_line(row: dict[str, Any]) -> list[str]:
    """One exported link as the CSV's cells (`COLUMNS` order), none of them runnable as a formula."""
    probability = row["match_probability"]
    return csv_row(
        [
            row["entity_id"],
            row["canonical_id"],
            "" if probability is None else f"{probability:.4f}",
            row["origin"],
            row["schema"],
            row["note"] or "",
        ]
    )
