"""full-text search: FTS5 tables and triggers on SQLite, GIN expression indexes on PostgreSQL

Revision ID: 0007
Revises: 0001

See `maxim/store/tables_search.py` for why these objects live outside the metadata.
"""

from __future__ import annotations

from alembic import op

from maxim.store.tables_search import NAME_PROPS, PG_NAME_PREDICATE, PG_NAME_VECTOR, PG_REPORT_VECTOR

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

_NAMES = ", ".join(f"'{p}'" for p in NAME_PROPS)

SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_reports USING fts5(title, text, content='reports', content_rowid='rowid', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_names USING fts5(value, content='statements', content_rowid='rowid', "
    "tokenize='unicode61 remove_diacritics 2', prefix='2 3')",
    """CREATE TRIGGER search_reports_ai AFTER INSERT ON reports BEGIN
         INSERT INTO search_reports(rowid, title, text) VALUES (new.rowid, new.title, new.text);
       END""",
    """CREATE TRIGGER search_reports_ad AFTER DELETE ON reports BEGIN
         INSERT INTO search_reports(search_reports, rowid, title, text)
           VALUES ('delete', old.rowid, old.title, old.text);
       END""",
    """CREATE TRIGGER search_reports_au AFTER UPDATE OF title, text ON reports BEGIN
         INSERT INTO search_reports(search_reports, rowid, title, text)
           VALUES ('delete', old.rowid, old.title, old.text);
         INSERT INTO search_reports(rowid, title, text) VALUES (new.rowid, new.title, new.text);
       END""",
    f"""CREATE TRIGGER search_names_ai AFTER INSERT ON statements WHEN new.prop IN ({_NAMES}) BEGIN
         INSERT INTO search_names(rowid, value) VALUES (new.rowid, new.value);
       END""",
    f"""CREATE TRIGGER search_names_ad AFTER DELETE ON statements WHEN old.prop IN ({_NAMES}) BEGIN
         INSERT INTO search_names(search_names, rowid, value) VALUES ('delete', old.rowid, old.value);
       END""",
    f"""CREATE TRIGGER search_names_au AFTER UPDATE OF value, prop ON statements BEGIN
         INSERT INTO search_names(search_names, rowid, value)
           SELECT 'delete', old.rowid, old.value WHERE old.prop IN ({_NAMES});
         INSERT INTO search_names(rowid, value) SELECT new.rowid, new.value WHERE new.prop IN ({_NAMES});
       END""",
    # What was stored before this migration.
    "INSERT INTO search_reports(rowid, title, text) SELECT rowid, title, text FROM reports",
    f"INSERT INTO search_names(rowid, value) SELECT rowid, value FROM statements WHERE prop IN ({_NAMES})",
]

SQLITE_DOWN = [
    *(
        f"DROP TRIGGER IF EXISTS {t}"
        for t in (
            "search_reports_ai",
            "search_reports_ad",
            "search_reports_au",
            "search_names_ai",
            "search_names_ad",
            "search_names_au",
        )
    ),
    "DROP TABLE IF EXISTS search_reports",
    "DROP TABLE IF EXISTS search_names",
]

PG_UP = [
    f"CREATE INDEX ix_search_reports ON reports USING gin (({PG_REPORT_VECTOR}))",
    f"CREATE INDEX ix_search_names ON statements USING gin (({PG_NAME_VECTOR})) WHERE {PG_NAME_PREDICATE}",
]

PG_DOWN = ["DROP INDEX IF EXISTS ix_search_names", "DROP INDEX IF EXISTS ix_search_reports"]


def _run(sqlite: list[str], postgres: list[str]) -> None:
    dialect = op.get_bind().dialect.name
    for sql in sqlite if dialect == "sqlite" else postgres if dialect == "postgresql" else []:
        op.execute(sql)


def upgrade() -> None:
    _run(SQLITE_UP, PG_UP)


def downgrade() -> None:
    _run(SQLITE_DOWN, PG_DOWN)
