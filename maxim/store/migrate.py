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


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`; a no-op when it is there already."""
    config = _config()
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    with db.reader.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()
