"""Database engines: one SQL seam for SQLite and PostgreSQL.

SQLite (the embedded default) runs in WAL mode with a single writer: writes go through an
engine whose one connection opens every transaction with `BEGIN IMMEDIATE`, so two writers
queue instead of failing half-way; readers use their own pool and never block the writer.
PostgreSQL needs no such care and uses one engine for both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from maxim.store.audit_anchor import AuditAnchor, default_key_file, install
from maxim.store.tables_search import PG_TABLES


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    writer: Engine
    reader: Engine

    @property
    def is_sqlite(self) -> bool:
        return self.writer.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

    @contextmanager
    def batch_writes(self) -> Iterator[None]:
        """Checkpoint SQLite's write-ahead log less often while a batch of many commits runs.

        A batch ingest commits every chunk, and at SQLite's default nearly every commit then
        checkpointed: copied its pages into the database file, the same index pages again
        each time, and waited for two fsyncs. With `synchronous=NORMAL` a commit is durable
        against power loss only once checkpointed, so the longer interval is kept to the
        batch (which can be run again: it is idempotent) and the log is checkpointed at its
        end. PostgreSQL needs nothing here.
        """
        if not self.is_sqlite:
            yield
            return
        [(before,)] = self._writer_pragma("PRAGMA wal_autocheckpoint")
        self._writer_pragma(f"PRAGMA wal_autocheckpoint={max(int(before), BATCH_CHECKPOINT_PAGES)}")
        try:
            yield
        finally:
            self._writer_pragma(f"PRAGMA wal_autocheckpoint={int(before)}")
            self._writer_pragma("PRAGMA wal_checkpoint(PASSIVE)")

    def refresh_statistics(self) -> None:
        """Let PostgreSQL's query planner see what a bulk load added.

        PostgreSQL's autovacuum analyses a table once a tenth of it has changed, if it runs at
        all (it may be off, or still behind a load of a million rows); until then the planner
        plans for the table as it was, and a name search on a freshly loaded store read the
        whole full-text index (measured with bench/load.py). SQLite is left alone: its planner
        does well without statistics here, and `PRAGMA optimize` after a 100k-report batch ran
        a full ANALYZE that cost a fifth of the ingest (bench/ingest.py).
        """
        if self.is_sqlite:
            return
        with self.writer.begin() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(BULK_TABLES)}")

    def _writer_pragma(self, pragma: str) -> list[Any]:
        # On the driver's connection: through SQLAlchemy the pragma would open a transaction,
        # and the writer's transactions take the write lock (BEGIN IMMEDIATE).
        with self.writer.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            return list(driver.execute(pragma).fetchall())


#: The tables a bulk ingest grows, with PostgreSQL's similar-name spellings (migration 0012).
BULK_TABLES = ("reports", "statements", "report_subjects", "entities", *PG_TABLES)

#: The one writer's page cache, in KiB (a negative `cache_size` is KiB). SQLite's default is
#: 2 MiB: a chunk of a batch ingest inserts its statements at random places in four indexes,
#: so with the default most pages fall out of the cache and are read and written again within
#: the same transaction. There is one writer connection, so this is spent once.
WRITER_CACHE_KIB = 64 * 1024

#: Pragmas only the writer connection gets. `temp_store=MEMORY` keeps the statement journal
#: in memory: every insert into a table with triggers (the full-text index's) journals the
#: pages it changes so that the statement alone can be undone, and in a temporary file that
#: cost as much as the insert itself. The writer's reads are small (one report, one entity),
#: so its temporary sorts stay small too; readers keep the defaults.
_WRITER_PRAGMAS = (f"PRAGMA cache_size=-{WRITER_CACHE_KIB}", "PRAGMA temp_store=MEMORY")

#: WAL pages a batch's commits may leave before one of them checkpoints them into the database
#: file, while `Database.batch_writes` is open (SQLite's default, kept otherwise, is 1000).
BATCH_CHECKPOINT_PAGES = 65_536


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        **({"pool_size": 1, "max_overflow": 0} if immediate else {}),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        for pragma in _WRITER_PRAGMAS if immediate else ():
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def connect(url: str, *, audit_key_file: Path | None = None) -> Database:
    """Engines for a database URL; creates the parent directory of a SQLite file.

    `audit_key_file` anchors the audit chain (`maxim.store.audit_anchor`); by default it lies
    beside a SQLite file. Settings pass it explicitly (PostgreSQL keeps it in the data directory).
    """
    parsed = make_url(url)
    key_file = audit_key_file or default_key_file(url, None)
    if parsed.get_backend_name() == "sqlite":
        # A plain file path gets its directory made; `file:` URIs (e.g. read-only) are taken as given.
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        db = Database(url, _sqlite_engine(url, immediate=True), _sqlite_engine(url, immediate=False))
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        db = Database(url, engine, engine)
    else:
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    if key_file is not None:
        for engine in {db.writer, db.reader}:
            install(engine, AuditAnchor(key_file))
    return db


#: What a database error means for the person who sent the request, by the words (SQLite) or the
#: SQLSTATE (PostgreSQL) that name the fault; anything else is the database being unreachable.
_FAULTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("database or disk is full", "no space left on device", "53100"),
        "The database has run out of disk space; nothing was stored. Tell the system administrator",
    ),
    (
        ("readonly database", "read-only", "25006"),
        "The database is read-only; nothing was stored. Tell the system administrator",
    ),
)
UNAVAILABLE = "The database is unavailable; try again shortly"


def describe_failure(exc: BaseException) -> str:
    """A sentence for a database error that tells the user what happened and what to do."""
    original = getattr(exc, "orig", exc)
    said = f"{original} {getattr(original, 'sqlstate', '') or ''}".lower()
    return next((sentence for words, sentence in _FAULTS if any(w in said for w in words)), UNAVAILABLE)
