"""Row-level security that a reader cannot widen: the scope comes from the server, not a setting.

Migration 0009 had the policies trust transaction settings (`maxim.unit`, `maxim.victims`, ...)
that any SQL on the connection could set to anything, left `entities`, `users`, `audit_log`
and `report_access` readable to `maxim_reader` without a policy, let it append to the audit, and
answered "is this entity a victim of that report" for any arguments (`maxim_victim_fact`).

Now:

- The data-access layer writes the acting user's scope (unit, grantee codes, victim access,
  external) into `rls_sessions` as the application's own role, keyed by the id of the
  transaction, before it switches to `maxim_reader`. The reader role cannot read or write that
  table, and the row is visible to no other transaction (it is uncommitted until the end, and a
  deferred trigger deletes it at commit), so its scope is exactly what the application wrote for
  this transaction. There is no secret to guess and no setting to change; a transaction with no
  scope row sees nothing at all, handling code P included. Its expiry is the end of its
  transaction.
- `maxim_reader` may SELECT the five tables the reads it runs need (`READ_TABLES`), each with a
  need-to-know policy, and nothing else: not `users`, `sessions`, `api_tokens`, `audit_log`, the
  search tables, nor any workflow, resolution, network, share or oversight table.
- The rules live in views (`maxim_visible_reports`, `maxim_visible_statements`,
  `maxim_visible_subjects`): the keys of the rows the caller's scope may see. They run as their
  owner because a rule depends on rows the reader may not see (the victim links of a report; the
  grants that `report_access`'s own policy guards), but they are no oracle: the policy of each
  table is "the row's key is in its view", so a view shows exactly the keys a SELECT of the table
  does. There is no SECURITY DEFINER function but the trigger's, which answers nothing.
- The reader role has no INSERT, UPDATE or DELETE anywhere; the data-access layer writes the
  audit after returning to its own role (`RESET ROLE`).

The rules equal `maxim/security/policy.py` (`NeedToKnow`); the report rule and the victim rule
are each in one marked constant below, so a change there is one edit here. SQLite has no
row-level security; this is a no-op there.

Revision ID: 0013_rls_sessions
Revises: 0012_name_spellings, 0009
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0013_rls_sessions"
# After the current head, and after 0009 (another branch) whose policies it replaces.
down_revision = ("0012_name_spellings", "0009")
branch_labels = None
depends_on = None

ROLE = "maxim_reader"
#: The tables `maxim_reader` may read, all with row-level security: what `DataAccess`'s scoped
#: reads and the share exports' (`maxim.share.service`) query.
READ_TABLES = ("reports", "statements", "report_subjects", "report_access", "entities")

#: The caller's scope, inside a rule view: the row written for this transaction, or none.
SCOPE = "rls_sessions s"
SCOPED = "s.xact = pg_current_xact_id_if_assigned()"

# ---- The report rule (NeedToKnow.report_filter) -------------------------------------------------
# Over `r` (the report) and `s` (the scope); runs as the owner, so `report_access` and every
# version are read whole.


def _grading_allows(version: str) -> str:
    """The version's own handling lets the scope see it (NeedToKnow._grading_allows)."""
    return f"""({version}.handling_code = 'P' OR {version}.originator = s.unit OR EXISTS (
        SELECT 1 FROM report_access ra WHERE ra.report_id = {version}.id AND ra.grantee = ANY (s.grantees)
    ))"""


# The current version's handling governs every version: an earlier one is seen only with its
# current version (a disposed report keeps only its tombstone, and no current version).
REPORT_RULE = f"""NOT s.external AND {_grading_allows("r")} AND (
    r.is_current OR r.disposed_at IS NOT NULL OR EXISTS (
        SELECT 1 FROM reports c
        WHERE c.originator = r.originator AND c.reference = r.reference AND c.is_current AND {_grading_allows("c")}
    )
)"""

# ---- The victim rule (NeedToKnow.victim_filter, NeedToKnow.subject_filter) ----------------------
# The one place the victim rule is written in SQL for PostgreSQL's policies: when the policy
# changes, change these and nothing else. Each function mirrors its namesake in
# `maxim.security.policy` over SQL expressions `rid` (a report id) and `e` (an entity id); `a`
# names the aliases, so nested copies never capture one another's rows.


def _victim_of(rid: str, e: str, a: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM report_subjects {a} "
        f"WHERE {a}.report_id = {rid} AND {a}.category = 'victim' AND {a}.entity_id = {e})"
    )


def _named_subject(rid: str, e: str, a: str) -> str:
    return f"EXISTS (SELECT 1 FROM report_subjects {a} WHERE {a}.report_id = {rid} AND {a}.entity_id = {e})"


def _victim_link(rid: str, e: str, a: str) -> str:
    """A link of the report (no data subject) with a statement naming a victim of it."""
    return f"""(NOT {_named_subject(rid, e, a + "n")} AND EXISTS (
        SELECT 1 FROM report_subjects {a}v JOIN statements {a}l
            ON {a}l.report_id = {a}v.report_id AND {a}l.value = {a}v.entity_id AND {a}l.identifier_kind IS NULL
        WHERE {a}v.report_id = {rid} AND {a}v.category = 'victim' AND {a}l.entity_id = {e}
    ))"""


def _victim_side(rid: str, e: str, a: str) -> str:
    return f"({_victim_of(rid, e, a + 'o')} OR {_victim_link(rid, e, a + 'k')})"


def _reached_only_through_victim(rid: str, e: str, a: str) -> str:
    """No data subject, pointed at by the victim's side of the report and by nothing else in it."""
    return f"""(NOT {_named_subject(rid, e, a + "n")} AND EXISTS (
        SELECT 1 FROM statements {a}p WHERE {a}p.report_id = {rid} AND {a}p.value = {e} AND {a}p.identifier_kind IS NULL
            AND {_victim_side(f"{a}p.report_id", f"{a}p.entity_id", a + "s")}
    ) AND NOT EXISTS (
        SELECT 1 FROM statements {a}q WHERE {a}q.report_id = {rid} AND {a}q.value = {e} AND {a}q.identifier_kind IS NULL
            AND NOT {_victim_side(f"{a}q.report_id", f"{a}q.entity_id", a + "t")}
    ))"""


def _victim_detail(st: str) -> str:
    """Whether statement `st` is a victim detail of its report (`maxim.security.policy.victim_detail`)."""
    rid, eid = f"{st}.report_id", f"{st}.entity_id"
    return f"""(EXISTS (SELECT 1 FROM report_subjects hv WHERE hv.report_id = {rid} AND hv.category = 'victim') AND (
        {_victim_of(rid, eid, "vo")} OR {_victim_of(rid, f"{st}.value", "vv")}
        OR {_victim_link(rid, eid, "vl")} OR {_reached_only_through_victim(rid, eid, "vr")}
    ))"""


# Safeguarding roles (`s.victims`) and the report's investigating unit, until referrals are
# accepted by units its originator, see victims. Over `r`, `s` and the statement `st`, or the
# data-subject link `rs`; runs as the owner, so every victim link of the report is seen.
VICTIM_STATEMENT_RULE = f"(s.victims OR r.originator = s.unit OR NOT {_victim_detail('st')})"
VICTIM_SUBJECT_RULE = "(s.victims OR r.originator = s.unit OR rs.category <> 'victim')"
# -------------------------------------------------------------------------------------------------

SESSIONS = """
CREATE UNLOGGED TABLE rls_sessions (
    xact xid8 PRIMARY KEY,
    unit text NOT NULL,
    grantees text[] NOT NULL,
    victims boolean NOT NULL,
    external boolean NOT NULL
)"""
# Deletes a transaction's scope when it commits, as the owner (the transaction may still be in
# the reader role then); a rolled-back scope is gone with its transaction.
SESSION_END = """
CREATE FUNCTION maxim_session_end() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = "{schema}", pg_temp AS $f$
BEGIN
    DELETE FROM "{schema}".rls_sessions WHERE xact = NEW.xact;
    RETURN NULL;
END $f$"""

# The rows of each table the caller's scope may see, by key. Views run as their owner, so they
# read every row (the victim links of a report; the grants that `report_access`'s own policy
# guards), and PostgreSQL plans them into the query instead of calling a function per row.
# `security_barrier`: a function of the caller's in a query of a view never sees a row the view
# leaves out. Their names were bound when they were made, so no search_path or temporary table
# of the caller's stands in for one of them.
VIEWS = {
    "maxim_visible_reports": f"SELECT r.id FROM reports r JOIN {SCOPE} ON {SCOPED} WHERE {REPORT_RULE}",
    "maxim_visible_statements": "SELECT st.id FROM statements st JOIN reports r ON r.id = st.report_id "
    f"JOIN {SCOPE} ON {SCOPED} WHERE {REPORT_RULE} AND {VICTIM_STATEMENT_RULE}",
    "maxim_visible_subjects": "SELECT rs.report_id, rs.entity_id FROM report_subjects rs "
    f"JOIN reports r ON r.id = rs.report_id JOIN {SCOPE} ON {SCOPED} WHERE {REPORT_RULE} AND {VICTIM_SUBJECT_RULE}",
}

# Each policy looks its row's key up in the view. `OFFSET 0` keeps the lookup per row, through
# the keys' indexes: without it PostgreSQL may compute the whole view once and hash it, which
# made a page of the 50 newest reports read every report (13 ms instead of 1 at 4,000 reports,
# growing with the store).
POLICIES = {
    "reports": "EXISTS (SELECT 1 FROM maxim_visible_reports v WHERE v.id = reports.id OFFSET 0)",
    "report_access": "EXISTS (SELECT 1 FROM maxim_visible_reports v WHERE v.id = report_access.report_id OFFSET 0)",
    "statements": "EXISTS (SELECT 1 FROM maxim_visible_statements v WHERE v.id = statements.id OFFSET 0)",
    "report_subjects": "EXISTS (SELECT 1 FROM maxim_visible_subjects v "
    "WHERE v.report_id = report_subjects.report_id AND v.entity_id = report_subjects.entity_id OFFSET 0)",
    # An entity (its caption) is seen where a statement or a data-subject link of it is; those
    # two tables' own policies apply inside.
    "entities": """EXISTS (SELECT 1 FROM statements st WHERE st.entity_id = entities.id)
        OR EXISTS (SELECT 1 FROM report_subjects rs WHERE rs.entity_id = entities.id)""",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    _drop_0009()
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {ROLE}')
    op.execute(f'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "{schema}" FROM {ROLE}')
    op.execute(SESSIONS)
    op.execute(SESSION_END.format(schema=schema))
    op.execute(
        "CREATE CONSTRAINT TRIGGER rls_sessions_end AFTER INSERT ON rls_sessions "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION maxim_session_end()"
    )
    for name, query in VIEWS.items():
        op.execute(f"CREATE VIEW {name} WITH (security_barrier) AS {query}")
        op.execute(f"GRANT SELECT ON {name} TO {ROLE}")
    for table in READ_TABLES:
        op.execute(f"GRANT SELECT ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY need_to_know ON {table} FOR SELECT TO {ROLE} USING ({POLICIES[table]})")
        # The owner (the application's own connection) keeps full access.
        op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    for table in READ_TABLES:
        op.execute(f"DROP POLICY need_to_know ON {table}")
        op.execute(f"DROP POLICY owner_all ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    for name in VIEWS:
        op.execute(f"DROP VIEW {name}")
    op.execute("DROP TABLE rls_sessions")
    op.execute("DROP FUNCTION maxim_session_end()")
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {ROLE}')
    _migration_0009().upgrade()


def _drop_0009() -> None:
    """Remove 0009's policies and its victim-fact function; its role and schema grant stay."""
    for table in ("reports", "statements", "report_subjects"):
        op.execute(f"DROP POLICY need_to_know ON {table}")
        op.execute(f"DROP POLICY owner_all ON {table}")
    op.execute("DROP FUNCTION maxim_victim_fact(text, text, text)")


def _migration_0009() -> ModuleType:
    """Migration 0009 itself, whose upgrade the downgrade runs again to restore what was before."""
    path = Path(__file__).with_name("0009_row_level_security.py")
    spec = importlib.util.spec_from_file_location("maxim_migration_0009", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
