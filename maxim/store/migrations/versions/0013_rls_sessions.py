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
- The rules live in SECURITY DEFINER functions that look a row up by its own key and answer
  whether the caller's scope may see it (`maxim_report_visible`, `maxim_statement_visible`,
  `maxim_subject_visible`). They must run as the owner because a rule depends on rows the reader
  may not see (the victim links of a report; the grants that `report_access`'s own policy
  guards), but they are no oracle: each answers only for a row that exists, looked up by its
  key, exactly what a SELECT of that row through its policy shows, and the policy of the table
  is that very call.
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

#: The caller's scope, inside a rule function: the row written for this transaction, or none.
SCOPE = "rls_sessions s"
SCOPED = "s.xact = pg_current_xact_id_if_assigned()"

# ---- The report rule (NeedToKnow.report_filter) -------------------------------------------------
# Over `r` (the report) and `s` (the scope); runs as the owner, so `report_access` is read whole.
REPORT_RULE = """NOT s.external AND (
    r.handling_code = 'P'
    OR r.originator = s.unit
    OR EXISTS (SELECT 1 FROM report_access ra WHERE ra.report_id = r.id AND ra.grantee = ANY (s.grantees))
)"""

# ---- The victim rule (NeedToKnow.victim_filter, NeedToKnow.subject_filter) ----------------------
# Safeguarding roles (`s.victims`) and the report's investigating unit, until referrals are
# accepted by units its originator, see victims. Over `r`, `s` and the statement `st`, or the
# data-subject link `rs`; runs as the owner, so every victim link of the report is seen.
VICTIM_STATEMENT_RULE = """(s.victims OR r.originator = s.unit OR NOT EXISTS (
    SELECT 1 FROM report_subjects v
    WHERE v.report_id = st.report_id AND v.category = 'victim'
      AND (v.entity_id = st.entity_id OR v.entity_id = st.value)
))"""
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

# name -> (arguments, body). Every name is qualified by the search_path the function fixes, with
# pg_temp last, so a temporary table of the caller's cannot stand in for one of these.
FUNCTIONS: dict[str, tuple[str, str]] = {
    "maxim_report_visible": (
        "rid text",
        f"SELECT EXISTS (SELECT 1 FROM reports r, {SCOPE} WHERE r.id = rid AND {SCOPED} AND {REPORT_RULE})",
    ),
    "maxim_statement_visible": (
        "sid text",
        "SELECT EXISTS (SELECT 1 FROM statements st JOIN reports r ON r.id = st.report_id, "
        f"{SCOPE} WHERE st.id = sid AND {SCOPED} AND {REPORT_RULE} AND {VICTIM_STATEMENT_RULE})",
    ),
    "maxim_subject_visible": (
        "rid text, eid text",
        "SELECT EXISTS (SELECT 1 FROM report_subjects rs JOIN reports r ON r.id = rs.report_id, "
        f"{SCOPE} WHERE rs.report_id = rid AND rs.entity_id = eid AND {SCOPED} AND {REPORT_RULE} "
        f"AND {VICTIM_SUBJECT_RULE})",
    ),
}

POLICIES = {
    "reports": "maxim_report_visible(id)",
    "report_access": "maxim_report_visible(report_id)",
    "statements": "maxim_statement_visible(id)",
    "report_subjects": "maxim_subject_visible(report_id, entity_id)",
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
    for name, (arguments, body) in FUNCTIONS.items():
        op.execute(
            f"CREATE FUNCTION {name}({arguments}) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER "
            f'SET search_path = "{schema}", pg_temp AS $f$ {body} $f$'
        )
        op.execute(f"REVOKE ALL ON FUNCTION {name}({_types(arguments)}) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}({_types(arguments)}) TO {ROLE}")
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
    for name, (arguments, _body) in FUNCTIONS.items():
        op.execute(f"DROP FUNCTION {name}({_types(arguments)})")
    op.execute("DROP TABLE rls_sessions")
    op.execute("DROP FUNCTION maxim_session_end()")
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {ROLE}')
    _migration_0009().upgrade()


def _types(arguments: str) -> str:
    """`rid text, eid text` -> `text, text`: a function's signature for GRANT and DROP."""
    return ", ".join(argument.split()[1] for argument in arguments.split(",") if argument.strip())


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
