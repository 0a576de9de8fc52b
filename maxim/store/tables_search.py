"""The full-text search index: database objects SQLAlchemy's `MetaData` cannot describe.

Migration `0007_search` builds the index from `reports` and `statements` themselves, so the
data-access layer needs no change and the index can never fall behind an ingest:

- SQLite: two FTS5 external-content tables, `search_reports` (report title and text, Porter
  stemming) and `search_names` (the name-like statements of every entity), kept up to date by
  triggers on `reports` and `statements`. They point at their source rows by `rowid`, so a
  `VACUUM` (which may renumber rowids of tables without an INTEGER PRIMARY KEY) must be
  followed by `maxim.store.search.rebuild_index`.
- PostgreSQL: GIN indexes on the same `to_tsvector` expressions `maxim.store.search` queries
  with, so PostgreSQL keeps them current itself; and (migration `0012_name_spellings`) the
  table `name_spellings`, each distinct name spelling once with a pg_trgm index, kept by
  triggers, for the similar-name step.

Neither kind of object is in the metadata, so schema comparisons (Alembic autogenerate, the
migration test) pass `include_name` to leave them out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from sqlalchemy import Connection, text

# Name-like properties of FollowTheMoney entities, indexed for name search.
NAME_PROPS: tuple[str, ...] = ("name", "alias", "weakAlias", "previousName", "firstName", "lastName")

# SQL fragments shared by the migration and the queries: PostgreSQL uses an index on an
# expression only when the query repeats it exactly.
PG_REPORT_VECTOR = "to_tsvector('english', reports.title || ' ' || reports.text)"
PG_NAME_VECTOR = "to_tsvector('simple', statements.value)"


def _latin_folding() -> tuple[str, str]:
    """Accented Latin letters and the plain lower-case letter each folds to.

    Generated from Unicode's decompositions, which Unicode promises never to change, so the
    index expression built from it stays the same across Python versions. Letters with a
    stroke have no decomposition and are listed by hand.
    """
    accented, plain = ["đĐøØłŁħĦ"], ["ddoollhh"]
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        letter = chr(code)
        parts = unicodedata.normalize("NFKD", letter)
        marks = parts[1:]
        if marks and parts[0].isascii() and parts[0].isalpha() and all(map(unicodedata.combining, marks)):
            accented.append(letter)
            plain.append(parts[0].lower())
    return "".join(accented), "".join(plain)


_ACCENTED, _PLAIN = _latin_folding()
#: Python's side of the same folding, for the query.
FOLD = str.maketrans(_ACCENTED, _PLAIN)
#: SQL for a value in lower case without accents ('HOÀNG Thị' -> 'hoang thi'), as `name_spellings`
#: holds it beside the spelling.
PG_FOLD = f"translate(lower({{value}}), '{_ACCENTED}', '{_PLAIN}')"
#: Longer spellings are left out of `name_spellings` (a btree key has a size limit); no name is this long.
SPELLING_MAX_LENGTH = 500
#: NAME_PROPS as an SQL list, for any table's `prop IN (...)`.
SQL_NAME_PROPS = ", ".join(f"'{p}'" for p in NAME_PROPS)
PG_NAME_PREDICATE = f"statements.prop IN ({SQL_NAME_PROPS})"

SQLITE_TABLES = ("search_reports", "search_names")
SQLITE_SHADOW_SUFFIXES = ("_data", "_idx", "_docsize", "_config", "_content")
PG_INDEXES = ("ix_search_reports", "ix_search_names")
PG_TABLES = ("name_spellings",)

#: PostgreSQL's row-level security scopes (migration 0013_rls_sessions), a table of its own kind.
PG_RLS_TABLES = ("rls_sessions",)

UNMANAGED: frozenset[str] = frozenset(
    [
        *SQLITE_TABLES,
        *(t + s for t in SQLITE_TABLES for s in SQLITE_SHADOW_SUFFIXES),
        *PG_INDEXES,
        *PG_TABLES,
        *PG_RLS_TABLES,
    ]
)


def include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    """Alembic `include_name` hook: leave the search index (and the RLS scopes) out of schema comparisons."""
    return name not in UNMANAGED


def trigram_schema(conn: Connection) -> str | None:
    """The schema pg_trgm is installed in (its operator and operator class are named through it)."""
    return conn.execute(
        text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
