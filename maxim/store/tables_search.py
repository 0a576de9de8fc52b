"""The full-text search index: database objects SQLAlchemy's `MetaData` cannot describe.

Migration `0007_search` builds the index from `reports` and `statements` themselves, so the
data-access layer needs no change and the index can never fall behind an ingest:

- SQLite: two FTS5 external-content tables, `search_reports` (report title and text, Porter
  stemming) and `search_names` (the name-like statements of every entity), kept up to date by
  triggers on `reports` and `statements`. They point at their source rows by `rowid`, so a
  `VACUUM` (which may renumber rowids of tables without an INTEGER PRIMARY KEY) must be
  followed by `maxim.store.search.rebuild_index`.
- PostgreSQL: GIN indexes on the same `to_tsvector` expressions `maxim.store.search` queries
  with, so PostgreSQL keeps them current itself.

Neither kind of object is in the metadata, so schema comparisons (Alembic autogenerate, the
migration test) pass `include_name` to leave them out.
"""

from __future__ import annotations

from collections.abc import Mapping

# Name-like properties of FollowTheMoney entities, indexed for name search.
NAME_PROPS: tuple[str, ...] = ("name", "alias", "weakAlias", "previousName", "firstName", "lastName")

# SQL fragments shared by the migration and the queries: PostgreSQL uses an index on an
# expression only when the query repeats it exactly.
PG_REPORT_VECTOR = "to_tsvector('english', reports.title || ' ' || reports.text)"
PG_NAME_VECTOR = "to_tsvector('simple', statements.value)"
PG_NAME_PREDICATE = "statements.prop IN (" + ", ".join(f"'{p}'" for p in NAME_PROPS) + ")"

SQLITE_TABLES = ("search_reports", "search_names")
SQLITE_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
PG_INDEXES = ("ix_search_reports", "ix_search_names")

UNMANAGED: frozenset[str] = frozenset(
    [*SQLITE_TABLES, *(t + s for t in SQLITE_TABLES for s in SQLITE_SHADOW_SUFFIXES), *PG_INDEXES]
)


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic `include_name` hook: leave the search index out of schema comparisons."""
    return name not in UNMANAGED
