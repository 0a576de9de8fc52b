"""PostgreSQL row-level security, proven by queries that bypass the application's filters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, text

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.security.users import ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.engine import Database, connect
from tests.conftest import _empty_postgres
from tests.factories import c_coded, person, report


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    db = connect(postgres_url)
    _empty_postgres(db)
    access = DataAccess(db, ensure_local_admin(db), channel="test")
    ref = load_reference()
    raws = [
        report(reference="P/1"),
        c_coded(reference="C/1", share_with=["SCD6-HTT"], text="hidden C text"),
        report(reference="V/1", entities=[person("v1", "Rls Victim", role="victim"), person("s1", "Rls Suspect")]),
    ]
    access.submit([build_record(parse_report(r, ref), received_by="admin", now=datetime.now(UTC)) for r in raws])
    yield db
    db.dispose()


def as_reader(conn: Connection, unit: str, grantees: str, victims: bool = False, external: bool = False) -> None:
    """Scope the transaction as the data-access layer does (migration 0013), then read as its reader role."""
    conn.execute(
        text(
            "INSERT INTO rls_sessions (xact, unit, grantees, victims, external) "
            "VALUES (pg_current_xact_id(), :u, :g, :v, :e)"
        ),
        {"u": unit, "g": grantees.split(","), "v": victims, "e": external},
    )
    conn.exec_driver_sql("SET LOCAL ROLE maxim_reader")


def refs(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT reference FROM reports")).scalars())


def names(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT value FROM statements WHERE prop = 'name'")).scalars())


def test_raw_sql_as_the_reader_role_sees_only_what_the_user_may(pg: Database) -> None:
    with pg.writer.begin() as conn:  # the owner, as the application writes: everything
        assert refs(conn) == {"P/1", "C/1", "V/1"}
        assert "Rls Victim" in names(conn)
    with pg.reader.connect() as conn, conn.begin():
        as_reader(conn, "SCD6-MAXIM", "SCD6-MAXIM,analyst")
        assert refs(conn) == {"P/1", "V/1"}  # the C report is not shared with SCD6-MAXIM
        assert "Rls Victim" not in names(conn) and "Rls Suspect" in names(conn)
        subjects = set(conn.execute(text("SELECT category FROM report_subjects")).scalars())
        assert subjects == {"suspect"}
        assert conn.execute(text("SELECT count(*) FROM statements WHERE value LIKE '%hidden C%'")).scalar() == 0
    with pg.reader.connect() as conn, conn.begin():
        as_reader(conn, "SCD6-HTT", "SCD6-HTT,safeguarding_lead", victims=True)
        assert refs(conn) == {"P/1", "C/1", "V/1"}
        assert "Rls Victim" in names(conn)
    with pg.reader.connect() as conn, conn.begin():
        as_reader(conn, "BOCU-LAMBETH", "BOCU-LAMBETH,investigator")  # the originator investigates its victims
        assert "Rls Victim" in names(conn)
    with pg.reader.connect() as conn, conn.begin():
        as_reader(conn, "UKHTC", "UKHTC,partner_liaison", external=True)
        assert refs(conn) == set() and names(conn) == set()


def test_the_reader_role_cannot_write(pg: Database) -> None:
    with pg.reader.connect() as conn, conn.begin():
        as_reader(conn, "SCD6-MAXIM", "SCD6-MAXIM")
        with pytest.raises(Exception, match="permission denied"):
            conn.execute(text("UPDATE reports SET title = 'x'"))
