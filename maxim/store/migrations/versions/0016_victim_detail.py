"""statements.victim_detail: whether a statement is a victim detail of its report, marked once

The victim rule (`maxim.store.victim_rule`) looks at a report's own statements and data-subject
links only, so it is a fact of the report: computed when the report is stored and kept in a
column. The access filter and PostgreSQL's row-level security then test one column instead of
planning the rule's nested subqueries into every read (under row-level security each nested
`statements` of the filter drew the policy in again: a report page took 175 ms to plan on
PostgreSQL instead of 22). Existing statements are marked here by the same rule.

Revision ID: 0016_victim_detail
Revises: 0013_rls_sessions
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0016_victim_detail"
down_revision = "0013_rls_sessions"
branch_labels = None
depends_on = None


def _rls() -> ModuleType:
    """Migration 0013, whose report rule and scope the statements view keeps."""
    path = Path(__file__).with_name("0013_rls_sessions.py")
    spec = importlib.util.spec_from_file_location("maxim_migration_0013", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _statements_view(victim_rule: str) -> str:
    rls = _rls()
    return (
        "CREATE OR REPLACE VIEW maxim_visible_statements WITH (security_barrier) AS "
        "SELECT st.id FROM statements st JOIN reports r ON r.id = st.report_id "
        f"JOIN {rls.SCOPE} ON {rls.SCOPED} WHERE {rls.REPORT_RULE} AND {victim_rule}"
    )


def upgrade() -> None:
    from maxim.store.victim_rule import mark_all

    op.add_column("statements", sa.Column("victim_detail", sa.Boolean(), nullable=False, server_default=sa.false()))
    mark_all(op.get_bind())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_statements_view("(s.victims OR r.originator = s.unit OR NOT st.victim_detail)"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_statements_view(_rls().VICTIM_STATEMENT_RULE))
    # Natively on both engines (SQLite 3.35+): a batch copy of the table would drop its search triggers.
    op.execute("ALTER TABLE statements DROP COLUMN victim_detail")
