"""Fixtures: every store test runs on a real SQLite file and on a real PostgreSQL.

PostgreSQL is at MAXIM_TEST_POSTGRES_URL (default: the local server, database `test`). Each
test session works in its own schema, emptied between tests. If the server cannot be
reached the PostgreSQL tests fail: they never skip, in CI or anywhere else.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from maxim.security.auth import create_user, issue_token
from maxim.security.users import ensure_local_admin
from maxim.store.access import Actor, DataAccess
from maxim.store.audit_anchor import default_key_file
from maxim.store.engine import Database, connect
from maxim.store.migrate import upgrade
from maxim.store.schema import full_metadata
from maxim.store.tables_search import PG_TABLES

POSTGRES_URL = os.environ.get("MAXIM_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _no_leaked_connections() -> Iterator[None]:
    """Collect garbage after every test, so an unclosed connection fails the test that leaked it
    (warnings are errors) instead of whichever test the collector happens to run in.

    What survives the collection is alive, not garbage, so it is frozen out of later collections:
    each test's collection then walks only the objects made since, not the whole heap of loaded
    libraries (a full collection cost ~0.1 s a test, minutes over the suite)."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's installation lives in its own data directory: the commands it runs find the
    same key files (audit, package signing) as its `db` fixture, and nothing lands in ./data."""
    monkeypatch.setenv("MAXIM_DATA_DIR", str(tmp_path))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "maxim.db"
    db = connect(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@contextmanager
def postgres_schema() -> Iterator[str]:
    """The URL of a new schema in the test database, migrated; the schema is dropped on leaving."""
    schema = f"maxim_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is required for the store tests and could not be reached at {POSTGRES_URL} "
            f"({exc.__class__.__name__}: {exc}). Start it, or set MAXIM_TEST_POSTGRES_URL."
        )
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    db = connect(url)
    upgrade(db)
    db.dispose()
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh schema in the test database, migrated once, dropped at the end."""
    with postgres_schema() as url:
        yield url


def _empty_postgres(db: Database) -> None:
    # name_spellings is kept by triggers on statements, which TRUNCATE does not fire.
    names = ", ".join([*(f'"{t.name}"' for t in full_metadata().sorted_tables), *PG_TABLES])
    with db.writer.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "maxim.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    db = connect(url)
    _empty_postgres(db)
    db.dispose()
    return url


@pytest.fixture
def db(database_url: str, tmp_path: Path) -> Iterator[Database]:
    # The audit key where `Settings(database_url=..., data_dir=tmp_path)` looks for it.
    database = connect(database_url, audit_key_file=default_key_file(database_url, tmp_path))
    yield database
    database.dispose()


@pytest.fixture
def admin(db: Database) -> Actor:
    return ensure_local_admin(db)


@pytest.fixture
def access(db: Database, admin: Actor) -> DataAccess:
    return DataAccess(db, admin, channel="test")


class UserFactory:
    """Creates users with a password and a bearer token: `make_user("ann", "SCD6-MAXIM", "analyst")`."""

    PASSWORD = "correct horse battery staple"

    def __init__(self, db: Database) -> None:
        self.db = db

    def __call__(self, username: str, unit: str, *roles: str, external: bool = False) -> tuple[Actor, str]:
        now = datetime.now(UTC)
        actor = create_user(
            self.db,
            username=username,
            display_name=username.title(),
            unit=unit,
            roles=roles or ("analyst",),
            password=self.PASSWORD,
            now=now,
            by="test",
            external=external,
        )
        token = issue_token(self.db, actor, name="test", days=1, now=now, channel="test")
        return actor, token


@pytest.fixture
def make_user(db: Database, admin: Actor) -> UserFactory:
    return UserFactory(db)
