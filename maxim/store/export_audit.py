"""Exports audited object by object: each batch's report and entity ids are logged before it is handed on.

An export used to be logged as one event naming only what kind of export it was, so
`maxim audit who-viewed ID` never found the reports and people it carried. Now each batch of
exported rows is one event (not one per statement: an export of a million statements is a
few hundred events) listing every report and entity id in it, written before any row of the
batch leaves, so an export that stops half-way is logged exactly as far as it went.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from maxim.store.audit import Operation

if TYPE_CHECKING:  # the data-access layer uses this module
    from maxim.store.access import DataAccess

Row = TypeVar("Row", bound=Mapping[str, Any])

#: Rows per audit event.
BATCH = 5000


def audited(
    access: DataAccess,
    rows: Iterable[Row],
    *,
    operation: Operation,
    justification: str,
    keys: tuple[str, ...] = ("report_id", "entity_id"),
    batch: int = BATCH,
) -> Iterator[Row]:
    """The rows, unchanged; every `batch` of them logged first as one event naming the ids under `keys`."""
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            _log(access, chunk, operation, justification, keys)
            yield from chunk
            chunk = []
    if chunk:
        _log(access, chunk, operation, justification, keys)
        yield from chunk


def _log(access: DataAccess, chunk: list[Row], operation: Operation, justification: str, keys: tuple[str, ...]) -> None:
    ids: list[str] = []
    for key in keys:
        ids.extend(sorted({str(row[key]) for row in chunk if row.get(key) is not None}))
    access.audit(operation, "export", ids, justification=justification)
