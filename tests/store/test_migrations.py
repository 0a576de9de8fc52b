from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from maxim.store.engine import Database
from maxim.store.migrate import current_revisions, head_revisions, upgrade
from maxim.store.schema import full_metadata
from maxim.store.tables_search import include_name


def test_migrations_from_empty_reach_head_and_match_the_tables(db: Database) -> None:
    # `db` was migrated from an empty database by the fixtures; running again is a no-op.
    upgrade(db)
    assert current_revisions(db) == head_revisions()
    with db.reader.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name}), full_metadata()
        )
    assert diff == []
