"""Create or upgrade the database schema with Alembic (`maxim init`)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from maxim.store.engine import Database


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("maxim.store") / "migrations"))
    return config


def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema up to `revision` (every feature's head); a no-op when it is there already.

    Then make the audit key if there is none yet (sealing an unkeyed log from before 0014).
    """
    from maxim.store.audit import seal

    config = _config()
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    if revision == "heads":
        with db.writer.begin() as connection:
            seal(connection)


def current_revisions(db: Database) -> set[str]:
    with db.reader.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> set[str]:
    """Features branch from the initial schema, so there may be several heads."""
    return set(ScriptDirectory.from_config(_config()).get_heads())
