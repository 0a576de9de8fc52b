"""The resolution as rows for export: only mentions the actor may see; the export is audited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from maxim.store.access import DataAccess
from maxim.store.audit import Operation
from maxim.store.resolution_access import ResolutionAccess


def iter_resolution(access: DataAccess, batch: int = 2000) -> Iterator[dict[str, Any]]:
    res = ResolutionAccess(access)
    access.audit(Operation.CONSULTATION, "export", ["resolution"], justification="bulk export")
    pending: list[dict[str, Any]] = []

    def flush() -> Iterator[dict[str, Any]]:
        visible = res.visible_entities(r["entity_id"] for r in pending)
        yield from (r for r in pending if r["entity_id"] in visible)
        pending.clear()

    for row in res.iter_links():
        pending.append(row)
        if len(pending) >= batch:
            yield from flush()
    yield from flush()
