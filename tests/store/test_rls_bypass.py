"""PostgreSQL row-level security against a reader that tries to get round it (migration 0013_rls_sessions).

Every test connects as `maxim_reader`, the role the data-access layer reads as, and runs raw SQL
with none of the application's filters: what it sees is only what the policies allow. PostgreSQL
only; the `postgres_url` fixture fails (never skips) when the server cannot be reached.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import Connection, select, text
from sqlalchemy.exc import DBAPIError

from maxim.intake.parse import parse_report
from maxim.intake.statements import build_record
from maxim.reference import load_reference
from maxim.security.policy import NeedToKnow
from maxim.security.users import ensure_local_admin
from maxim.store.access import Actor, DataAccess
from maxim.store.engine import Database, connect
from maxim.store.migrate import _config
from maxim.store.tables import report_access, report_subjects, reports, statements
from tests.conftest import _empty_postgres, postgres_schema
from tests.factories import c_coded, person, report

READ_TABLES = {"reports", "statements", "report_subjects", "report_access", "entities"}
RULE_VIEWS = {"maxim_visible_reports", "maxim_visible_statements", "maxim_visible_subjects"}

ANALYST = Actor("ann", "Ann", "BOCU-SUTTON", frozenset({"analyst"}))
CLEARINGHOUSE = Actor("cal", "Cal", "SCD6-MAXIM", frozenset({"analyst"}))
SAFEGUARDING = Actor("sue", "Sue", "SCD6-HTT", frozenset({"safeguarding_lead"}))
ORIGINATOR = Actor("lee", "Lee", "BOCU-LAMBETH", frozenset({"investigator"}))
EXTERNAL = Actor("uma", "Uma", "UKHTC", frozenset({"partner_liaison"}), external=True)
ACTORS = (ANALYST, CLEARINGHOUSE, SAFEGUARDING, ORIGINATOR, EXTERNAL)

# Every setting 0009's policies read, and others a reader might guess, set to widen the scope.
WIDENING = {
    "maxim.unit": "BOCU-LAMBETH",
    "maxim.grantees": "BOCU-LAMBETH,SCD6-HTT,SCD6-MAXIM,safeguarding_lead",
    "maxim.roles": "safeguarding_lead,administrator",
    "maxim.victims": "true",
    "maxim.external": "false",
    "maxim.session": uuid.uuid4().hex,
}


@dataclass(frozen=True, slots=True)
class View:
    """The keys of every row of the five readable tables one reader sees."""

    reports: frozenset[str]
    statements: frozenset[str]
    subjects: frozenset[tuple[str, str]]
    grants: frozenset[tuple[str, str]]
    entities: frozenset[str]


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    db = connect(postgres_url)
    _empty_postgres(db)
    access = DataAccess(db, ensure_local_admin(db), channel="test")
    ref = load_reference()
    raws = [
        report(reference="P/1"),
        report(reference="P/1", title="Re-graded title"),  # a second version
        c_coded(
            reference="C/1", share_with=["SCD6-HTT"], text="hidden C text", entities=[person("c1", "Hidden Ceeperson")]
        ),
        c_coded(reference="C/2"),  # shared with SCD6-MAXIM
        c_coded(originator="BOCU-SUTTON", reference="C/3", share_with=["safeguarding_lead"]),
        report(
            reference="V/1",
            entities=[
                {
                    **person("v1", "Rls Victim", role="victim", phone=["07700 900992"]),
                    "properties": {"name": ["Rls Victim"], "phone": ["07700 900992"], "addressEntity": ["a1", "a2"]},
                },
                {**person("s1", "Rls Suspect"), "properties": {"name": ["Rls Suspect"], "addressEntity": ["a2"]}},
                {"id": "l1", "schema": "Associate", "properties": {"person": ["s1"], "associate": ["v1"]}},
                {"id": "k1", "schema": "UnknownLink", "properties": {"subject": ["s1"], "object": ["v1"]}},
                # The victim's own address (withheld with her) and one shared with the suspect (not).
                {"id": "a1", "schema": "Address", "properties": {"full": ["9 Rlsvictim Close, Sutton SM1 9ZZ"]}},
                {"id": "a2", "schema": "Address", "properties": {"full": ["1 Shared Row, Sutton SM2 1AA"]}},
            ],
        ),
        # Re-graded: P first, then C for its originator alone, which governs the earlier version too.
        report(reference="G/1"),
        c_coded(reference="G/1", share_with=[], title="Re-graded C"),
    ]
    for raw in raws:
        access.submit([build_record(parse_report(raw, ref), received_by="admin", now=datetime.now(UTC))])
    yield db
    db.dispose()


def seen(conn: Connection) -> View:
    """Everything the connection's current role can read, with no filter of the application's."""
    return View(
        frozenset(conn.execute(text("SELECT id FROM reports")).scalars()),
        frozenset(conn.execute(text("SELECT id FROM statements")).scalars()),
        frozenset((r, e) for r, e in conn.execute(text("SELECT report_id, entity_id FROM report_subjects"))),
        frozenset((r, g) for r, g in conn.execute(text("SELECT report_id, grantee FROM report_access"))),
        frozenset(conn.execute(text("SELECT id FROM entities")).scalars()),
    )


def allowed(db: Database, actor: Actor) -> View:
    """What `DataAccess`'s need-to-know filters let the actor see, read as the owner."""
    policy = NeedToKnow()
    by_report = reports.c.id == statements.c.report_id
    with db.writer.connect() as conn:
        visible = frozenset(conn.execute(select(reports.c.id).where(policy.report_filter(actor))).scalars())
        facts = conn.execute(
            select(statements.c.id, statements.c.entity_id)
            .join(reports, by_report)
            .where(policy.statement_filter(actor))
        ).all()
        subjects = frozenset(
            (r, e)
            for r, e in conn.execute(
                select(report_subjects.c.report_id, report_subjects.c.entity_id)
                .join(reports, reports.c.id == report_subjects.c.report_id)
                .where(policy.report_filter(actor), policy.subject_filter(actor))
            )
        )
        grants = frozenset((r, g) for r, g in conn.execute(select(report_access.c.report_id, report_access.c.grantee)))
    return View(
        visible,
        frozenset(f.id for f in facts),
        subjects,
        frozenset(g for g in grants if g[0] in visible),
        frozenset({f.entity_id for f in facts} | {entity for _, entity in subjects}),
    )


def scoped(db: Database, conn: Connection, actor: Actor) -> None:
    """Scope the transaction for the actor exactly as the data-access layer does, as the reader role."""
    DataAccess(db, actor, channel="test")._read_scope(conn)


def widen(conn: Connection) -> None:
    for name, value in WIDENING.items():
        conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value}).all()


NOTHING = View(frozenset(), frozenset(), frozenset(), frozenset(), frozenset())


def test_a_scoped_reader_sees_exactly_what_need_to_know_allows(pg: Database) -> None:
    with pg.writer.connect() as conn:
        everything = seen(conn)  # as the owner
        victim = conn.execute(text("SELECT entity_id FROM report_subjects WHERE category = 'victim'")).scalar_one()
    for actor in ACTORS:
        with pg.writer.connect() as conn, conn.begin():
            scoped(pg, conn, actor)
            assert seen(conn) == allowed(pg, actor), actor.username
    # The data tells the rules apart: each reader sees a different part of it, none all of it.
    views = {actor.username: allowed(pg, actor) for actor in ACTORS}
    assert len(set(views.values())) == len(ACTORS) and everything not in views.values()
    assert views["uma"] == NOTHING and views["ann"].statements < everything.statements
    assert [u for u, view in views.items() if victim in view.entities] == ["sue", "lee"]
    with pg.writer.connect() as conn:
        own_address = conn.execute(
            text("SELECT entity_id FROM statements WHERE value LIKE '9 Rlsvictim Close%'")
        ).scalar_one()
        regraded = frozenset(conn.execute(text("SELECT id FROM reports WHERE reference = 'G/1'")).scalars())
    assert [u for u, view in views.items() if own_address in view.entities] == ["sue", "lee"]
    assert [u for u, view in views.items() if regraded <= view.reports] == ["lee"]
    assert not any(regraded & view.reports for u, view in views.items() if u != "lee")


def test_no_setting_widens_what_the_reader_sees(pg: Database) -> None:
    with pg.writer.connect() as conn, conn.begin():
        scoped(pg, conn, ANALYST)
        widen(conn)
        assert seen(conn) == allowed(pg, ANALYST)
    with pg.writer.connect() as conn, conn.begin():  # no scope: nothing at all, handling code P included
        conn.exec_driver_sql("SET LOCAL ROLE maxim_reader")
        widen(conn)
        assert seen(conn) == NOTHING


def test_the_reader_cannot_forge_a_scope(pg: Database) -> None:
    attempts = (
        "INSERT INTO rls_sessions VALUES (pg_current_xact_id(), 'BOCU-LAMBETH', '{safeguarding_lead}', true, false)",
        "UPDATE rls_sessions SET victims = true",
        "SELECT * FROM rls_sessions",
    )
    for attempt in attempts:
        with pg.writer.connect() as conn, conn.begin():
            scoped(pg, conn, ANALYST)
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.exec_driver_sql(attempt)
    # A temporary table of the same name does not stand in for the real one.
    with pg.writer.connect() as conn, conn.begin():
        conn.exec_driver_sql("SET LOCAL ROLE maxim_reader")
        conn.exec_driver_sql(
            "CREATE TEMP TABLE rls_sessions (xact xid8, unit text, grantees text[], victims boolean, external boolean)"
        )
        conn.exec_driver_sql(attempts[0].replace("INTO rls_sessions", "INTO pg_temp.rls_sessions"))
        assert seen(conn) == NOTHING


def test_the_reader_reads_nothing_else_and_writes_nothing(pg: Database) -> None:
    with pg.writer.connect() as conn:
        privileges = conn.execute(
            text(
                "SELECT c.relname, c.relrowsecurity OR 'security_barrier=true' = ANY (coalesce(c.reloptions, '{}')), "
                "has_table_privilege('maxim_reader', c.oid, 'SELECT'), "
                "has_table_privilege('maxim_reader', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') "
                "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'v', 'm')"
            )
        ).all()
        sequences = conn.execute(
            text(
                "SELECT count(*) FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace "
                "AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege('maxim_reader', c.oid, 'USAGE, SELECT, UPDATE') END"
            )
        ).scalar()
    assert len(privileges) > 40  # every table of every feature was looked at
    assert {name for name, _, reads, _ in privileges if reads} == READ_TABLES | RULE_VIEWS
    assert all(guarded for name, guarded, reads, _ in privileges if reads)  # policies, or a security barrier
    assert not any(writes for *_, writes in privileges) and sequences == 0
    attempts = [f"SELECT * FROM {t}" for t in ("users", "audit_log", "api_tokens", "sessions", "name_spellings")]
    attempts += [
        "INSERT INTO audit_log (at, username, operation, object_type, object_ids, channel, prev_hash, hash) "
        "VALUES (now(), 'x', 'LOGIN', 'x', '[]', 'x', 'x', 'x')",
        "UPDATE audit_log SET username = 'x'",
        "DELETE FROM audit_log",
        "UPDATE reports SET title = 'x'",
        "DELETE FROM statements",
    ]
    for attempt in attempts:
        with pg.writer.connect() as conn, conn.begin():
            scoped(pg, conn, SAFEGUARDING)
            with pytest.raises(DBAPIError, match="permission denied"):
                conn.exec_driver_sql(attempt)


def test_no_view_or_function_answers_more_than_the_reader_sees(pg: Database) -> None:
    with pg.writer.connect() as conn:
        definers = set(
            conn.execute(
                text("SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace AND prosecdef")
            ).scalars()
        )
    assert definers == {"maxim_session_end"}  # a trigger's, which answers nothing
    with pg.writer.connect() as conn, conn.begin():  # 0009's victim oracle is gone
        conn.exec_driver_sql("SET LOCAL ROLE maxim_reader")
        with pytest.raises(DBAPIError, match="does not exist"):
            conn.execute(text("SELECT maxim_victim_fact(id, id, id) FROM entities")).all()
    for actor in (ANALYST, SAFEGUARDING, None):
        with pg.writer.connect() as conn, conn.begin():
            if actor is None:
                conn.exec_driver_sql("SET LOCAL ROLE maxim_reader")
            else:
                scoped(pg, conn, actor)
            view = seen(conn)
            # The rule views, read directly, show the keys the tables show and no more.
            assert set(conn.execute(text("SELECT id FROM maxim_visible_reports")).scalars()) == view.reports
            assert set(conn.execute(text("SELECT id FROM maxim_visible_statements")).scalars()) == view.statements
            subjects = {
                (r, e) for r, e in conn.execute(text("SELECT report_id, entity_id FROM maxim_visible_subjects"))
            }
            assert subjects == view.subjects


def test_a_leaky_function_of_the_readers_sees_only_visible_rows(pg: Database) -> None:
    """A cheap function the planner would run before the policies, that reports every value it is given."""
    leaked: list[str] = []
    with pg.writer.connect() as conn, conn.begin():
        scoped(pg, conn, ANALYST)
        visible = set(conn.execute(text("SELECT value FROM statements")).scalars())
        visible |= set(conn.execute(text("SELECT text FROM reports")).scalars())
        visible |= set(conn.execute(text("SELECT caption FROM entities")).scalars())
        visible |= set(conn.execute(text("SELECT id FROM statements")).scalars())
        conn.exec_driver_sql(
            "CREATE FUNCTION pg_temp.leak(v text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE COST 0.0001 "
            "AS $$ BEGIN RAISE NOTICE USING MESSAGE = v; RETURN false; END $$"
        )
        driver = conn.connection.driver_connection
        assert driver is not None
        handler = lambda notice: leaked.append(str(notice.message_primary))  # noqa: E731
        driver.add_notice_handler(handler)
        for query in (
            "SELECT 1 FROM statements WHERE pg_temp.leak(value)",
            "SELECT 1 FROM statements JOIN reports ON reports.id = statements.report_id WHERE pg_temp.leak(reports.text)",
            "SELECT 1 FROM entities WHERE pg_temp.leak(caption)",
            "SELECT 1 FROM maxim_visible_statements WHERE pg_temp.leak(id)",
        ):
            conn.exec_driver_sql(query).all()
        driver.remove_notice_handler(handler)
    assert leaked and set(leaked) <= visible
    assert not {"Rls Victim", "hidden C text", "Hidden Ceeperson"} & set(leaked)


def test_a_scope_ends_with_its_transaction(pg: Database) -> None:
    access = DataAccess(pg, SAFEGUARDING, channel="test")
    assert access.latest_reports() and access.count_reports() > 0  # the first commits, the second rolls back
    with pg.writer.connect() as conn:
        with conn.begin():  # committed while still in the reader role
            scoped(pg, conn, SAFEGUARDING)
            assert seen(conn) != NOTHING
        with conn.begin():  # the next transaction on the same connection
            assert conn.execute(text("SELECT count(*) FROM rls_sessions")).scalar() == 0
            conn.exec_driver_sql("SET LOCAL ROLE maxim_reader")
            assert seen(conn) == NOTHING


def test_the_migration_goes_down_to_0009s_policies_and_up_again() -> None:
    with postgres_schema() as url:
        db = connect(url)
        try:
            config = _config()
            for target, step in (("0012_name_spellings", command.downgrade), ("heads", command.upgrade)):
                with db.writer.begin() as conn:
                    config.attributes["connection"] = conn
                    step(config, target)
                with db.writer.connect() as conn:
                    state = conn.execute(
                        text(
                            "SELECT to_regclass('rls_sessions') IS NOT NULL, "
                            "to_regproc('maxim_victim_fact') IS NOT NULL, "
                            "has_table_privilege('maxim_reader', 'audit_log', 'INSERT'), "
                            "(SELECT relrowsecurity FROM pg_class WHERE oid = 'entities'::regclass)"
                        )
                    ).one()
                assert tuple(state) == ((False, True, True, False) if target != "heads" else (True, False, False, True))
        finally:
            db.dispose()
