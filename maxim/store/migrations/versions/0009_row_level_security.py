"""Row-level security on PostgreSQL: need-to-know enforced again underneath the application.

The data-access layer already filters every query (`maxim/security/policy.py`); these policies
repeat the same rules in the database for the role `maxim_reader`, which the data-access layer
switches to for every read (`SET LOCAL ROLE`), with the acting user's unit, grantee codes and
victim access in transaction-local settings. A query that bypasses the application's filters
still sees only what the user may see. SQLite has no row-level security; this is a no-op there.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLE = "maxim_reader"
UNIT = "current_setting('maxim.unit', true)"
GRANTEES = "string_to_array(coalesce(current_setting('maxim.grantees', true), ''), ',')"
VICTIMS = "coalesce(current_setting('maxim.victims', true), '') = 'true'"
EXTERNAL = "coalesce(current_setting('maxim.external', true), '') = 'true'"

REPORTS_POLICY = f"""
    NOT {EXTERNAL} AND (
        handling_code = 'P'
        OR originator = {UNIT}
        OR EXISTS (SELECT 1 FROM report_access ra WHERE ra.report_id = reports.id AND ra.grantee = ANY({GRANTEES}))
    )"""
STATEMENTS_POLICY = f"""
    EXISTS (SELECT 1 FROM reports r WHERE r.id = statements.report_id)
    AND (
        {VICTIMS}
        OR EXISTS (SELECT 1 FROM reports r WHERE r.id = statements.report_id AND r.originator = {UNIT})
        OR NOT maxim_victim_fact(statements.report_id, statements.entity_id, statements.value)
    )"""
# Whether a statement is about (or points at) a victim of its report. SECURITY DEFINER so that it
# reads report_subjects whole: under the reader's own policy the victim rows would be hidden and
# every victim fact would look like an ordinary one.
VICTIM_FACT = """
    CREATE OR REPLACE FUNCTION maxim_victim_fact(rid text, eid text, val text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}" AS $f$
        SELECT EXISTS (
            SELECT 1 FROM report_subjects s
            WHERE s.report_id = rid AND s.category = 'victim' AND (s.entity_id = eid OR s.entity_id = val)
        )
    $f$"""
SUBJECTS_POLICY = f"""
    EXISTS (SELECT 1 FROM reports r WHERE r.id = report_subjects.report_id)
    AND (
        category <> 'victim' OR {VICTIMS}
        OR EXISTS (SELECT 1 FROM reports r WHERE r.id = report_subjects.report_id AND r.originator = {UNIT})
    )"""
# The role reads what the policies allow and appends to the audit chain in the same transaction.
READ_TABLES = ("reports", "statements", "report_subjects", "report_access", "entities", "audit_log", "users")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DO $$ BEGIN CREATE ROLE {ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
    op.execute(f"GRANT {ROLE} TO CURRENT_USER")
    bind = op.get_bind()
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    sequence = bind.exec_driver_sql("SELECT pg_get_serial_sequence('audit_log', 'id')").scalar()
    op.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO {ROLE}')
    for table in READ_TABLES:
        op.execute(f"GRANT SELECT ON {table} TO {ROLE}")
    op.execute(f"GRANT INSERT ON audit_log TO {ROLE}")
    op.execute(VICTIM_FACT.format(schema=schema))
    op.execute(f"GRANT USAGE ON SEQUENCE {sequence} TO {ROLE}")
    for table, policy in (
        ("reports", REPORTS_POLICY),
        ("statements", STATEMENTS_POLICY),
        ("report_subjects", SUBJECTS_POLICY),
    ):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY need_to_know ON {table} FOR SELECT TO {ROLE} USING ({policy})")
        # The owner (the application's own connection, for writes) keeps full access.
        op.execute(f"CREATE POLICY owner_all ON {table} TO CURRENT_USER USING (true) WITH CHECK (true)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS maxim_victim_fact(text, text, text)")
    for table in ("reports", "statements", "report_subjects"):
        op.execute(f"DROP POLICY IF EXISTS need_to_know ON {table}")
        op.execute(f"DROP POLICY IF EXISTS owner_all ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
