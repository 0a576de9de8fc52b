"""The SQL behind `DataAccess.submit`: bulk inserts that skip rows already there, version lookup.

Only `DataAccess.submit` calls these, inside its one transaction, so audit and need-to-know
stay where they are; this module only decides how the rows reach the engine, because that
is where a batch ingest spends most of its time (bench/ingest.py):

- Rows go to the driver as plain tuples; SQLAlchemy's per-row parameter processing cost more
  than the insert. Only for tables of text, numbers and booleans, which both drivers bind
  natively.
- SQLite takes many rows per INSERT. `statements` carries the full-text index's trigger, and
  with a trigger every INSERT statement journals the pages it changes so it can be undone on
  its own: one statement per row journalled the same index pages over and over.
- The versions already stored are looked up by one equality pair per originator and
  reference, not a row-value IN: SQLite scans every report for `(a, b) IN (VALUES ...)` but
  looks each pair up in the unique index. The query is built once per number of keys, as
  building hundreds of pairs cost more than running them.
- PostgreSQL takes rows by COPY, which cannot skip conflicts. Rows that hang off the report
  versions inserted in the same transaction (`fresh`) cannot conflict while the foreign keys
  hold, so they are copied straight into their table, in a savepoint; should a key be there
  after all, the savepoint is undone and the rows go the general way: COPY into a staging
  table, then one INSERT ... SELECT ... ON CONFLICT DO NOTHING.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

import psycopg
from sqlalchemy import Connection, Select, Table, and_, bindparam, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from maxim.store.tables import reports

#: Rows per SQLite INSERT, at most; fewer when the engine's limit on bound variables says so.
#: Past a few thousand rows a bigger statement saves nothing and only holds more in memory.
SQLITE_ROWS_PER_INSERT = 1_000


@lru_cache(maxsize=16)
def versions_query(keys: int) -> Select[Any]:
    """Every stored version of `keys` reports, named by binds o0, r0, o1, r1, ... (`versions_params`).

    Gives originator, reference, content hash, version, id and whether it is current.
    """
    return select(
        reports.c.originator,
        reports.c.reference,
        reports.c.content_hash,
        reports.c.version,
        reports.c.id,
        reports.c.is_current,
    ).where(
        or_(
            *(
                and_(reports.c.originator == bindparam(f"o{i}"), reports.c.reference == bindparam(f"r{i}"))
                for i in range(keys)
            )
        )
    )


def versions_params(keys: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The binds of `versions_query(len(keys))` for these (originator, reference) keys."""
    params: dict[str, str] = {}
    for i, (originator, reference) in enumerate(keys):
        params[f"o{i}"] = originator
        params[f"r{i}"] = reference
    return params


def tuples(table: Table, rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows as tuples in the table's column order; a column a row leaves out is NULL."""
    names = [c.name for c in table.columns]
    if len(names) > 1:  # itemgetter of one name gives the value, not a 1-tuple
        try:
            return list(map(itemgetter(*names), rows))  # every row built by `build_record` has every key
        except KeyError:  # a record built by hand may leave nullable columns out
            pass
    return [tuple(row.get(name) for name in names) for row in rows]


def insert_ignore(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *, fresh: bool = False) -> None:
    """Insert rows in the caller's transaction, skipping any whose primary key is already there.

    `fresh` says the rows' keys cannot be stored yet (see the module's docstring); the result
    is the same either way, only PostgreSQL's way there differs.
    """
    if not rows:
        return
    names = [c.name for c in table.columns]
    values = tuples(table, rows)
    if conn.dialect.name == "postgresql":
        if fresh and _copy_fresh(conn, table, names, values):
            return
        _copy_staged(conn, table, names, values)
        return
    _sqlite_insert(conn, table, names, values)


def insert_new(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that must all be new, as `conn.execute(table.insert(), rows)` does, only faster.

    A key already there raises `IntegrityError`, as it did. Values go through the columns' own
    bind processing (dates, JSON, booleans), so what is stored is what SQLAlchemy stored. Rows
    that do not each give every column (a hand-built record) take SQLAlchemy's way, which
    leaves a missing column to its server default.
    """
    if not rows:
        return
    names = [c.name for c in table.columns]
    every = set(names)
    if any(row.keys() != every for row in rows):
        conn.execute(table.insert(), rows)
        return
    dialect = conn.dialect
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(table.columns):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((i, process))
    values = tuples(table, rows)
    if processors:
        processed = []
        for value in values:
            row = list(value)
            for i, bind in processors:
                row[i] = bind(row[i])
            processed.append(tuple(row))
        values = processed
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, names, values)
    else:
        _sqlite_insert(conn, table, names, values, on_conflict="")


def _sqlite_insert(
    conn: Connection,
    table: Table,
    names: list[str],
    values: list[tuple[Any, ...]],
    *,
    on_conflict: str = " ON CONFLICT DO NOTHING",
) -> None:
    driver = conn.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    per = max(1, min(SQLITE_ROWS_PER_INSERT, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(names)))
    marks = f"({', '.join('?' * len(names))})"
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    full = head + ", ".join([marks] * per) + on_conflict
    for start in range(0, len(values), per):
        part = values[start : start + per]
        sql = full if len(part) == per else head + ", ".join([marks] * len(part)) + on_conflict
        conn.exec_driver_sql(sql, tuple(chain.from_iterable(part)))


def _copy(conn: Connection, target: str, names: list[str], values: Iterable[tuple[Any, ...]]) -> None:
    sql = f"COPY {target} ({', '.join(names)}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(sql) as copy:
            for value in values:
                copy.write_row(value)
    except psycopg.Error as exc:  # raise what SQLAlchemy would have raised, e.g. IntegrityError
        raise DBAPIError.instance(sql, None, exc, psycopg.Error, dialect=conn.dialect) from exc


def _copy_fresh(conn: Connection, table: Table, names: list[str], values: list[tuple[Any, ...]]) -> bool:
    """COPY straight into the table; False (and nothing written) if a key was already there."""
    try:
        with conn.begin_nested():
            _copy(conn, table.name, names, values)
    except IntegrityError as exc:
        if isinstance(exc.orig, psycopg.errors.UniqueViolation):
            return False
        raise
    return True


def _copy_staged(conn: Connection, table: Table, names: list[str], values: list[tuple[Any, ...]]) -> None:
    """COPY into a transaction-local staging table, then one INSERT ... SELECT that skips conflicts."""
    stage = f"_stage_{table.name}"
    columns = ", ".join(names)
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    _copy(conn, stage, names, values)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage} ON CONFLICT DO NOTHING")
    conn.exec_driver_sql(f"TRUNCATE {stage}")
