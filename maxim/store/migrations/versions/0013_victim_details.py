"""Row-level security's victim rule widened to the victim's side of a report

`maxim_victim_fact(report, entity, value)` said whether a statement is about a victim of its
report or points at one. A link entity naming the victim (an UnknownLink with the victim as its
object) kept its other statements ("subject X, role trafficked"), and the victim's address kept
its own. The function now says what `maxim.security.policy.victim_detail` says: in a report
that names a victim, a statement is a victim detail if its entity is on the victim's side (the
victim, or a link not itself a data subject with a statement pointing at the victim), if it
points at the victim, or if its entity is reached only through the victim's side (pointed at by
it and by nothing else in the report, and no data subject itself). The statements policy calls
it unchanged. SQLite has no row-level security; this is a no-op there.

Revision ID: 0013_victim_details
Revises: 0012_name_spellings, 0009
"""

from __future__ import annotations

from alembic import op

revision = "0013_victim_details"
down_revision = ("0012_name_spellings", "0009")  # 0009 defines the function replaced here
branch_labels = None
depends_on = None

SIGNATURE = "maxim_victim_fact(rid text, eid text, val text) RETURNS boolean"
HEADER = f"""
    CREATE OR REPLACE FUNCTION {SIGNATURE}
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{{schema}}" AS $f$"""
VICTIM_SIDE = """
        WITH victims AS (SELECT entity_id FROM report_subjects WHERE report_id = rid AND category = 'victim'),
        named AS (SELECT entity_id FROM report_subjects WHERE report_id = rid),
        facts AS (SELECT entity_id, value FROM statements WHERE report_id = rid),
        side AS (
            SELECT entity_id FROM victims
            UNION
            SELECT f.entity_id FROM facts f
            WHERE f.value IN (SELECT entity_id FROM victims) AND f.entity_id NOT IN (SELECT entity_id FROM named)
        )
        SELECT EXISTS (SELECT 1 FROM victims) AND (
            eid IN (SELECT entity_id FROM side)
            OR val IN (SELECT entity_id FROM victims)
            OR (
                eid NOT IN (SELECT entity_id FROM named)
                AND EXISTS (SELECT 1 FROM facts f WHERE f.value = eid AND f.entity_id IN (SELECT entity_id FROM side))
                AND NOT EXISTS (
                    SELECT 1 FROM facts f WHERE f.value = eid AND f.entity_id NOT IN (SELECT entity_id FROM side)
                )
            )
        )
    $f$"""
# As migration 0009 left it.
VICTIM_ONLY = """
        SELECT EXISTS (
            SELECT 1 FROM report_subjects s
            WHERE s.report_id = rid AND s.category = 'victim' AND (s.entity_id = eid OR s.entity_id = val)
        )
    $f$"""


def _define(body: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar()
    op.execute(HEADER.format(schema=schema) + body)


def upgrade() -> None:
    _define(VICTIM_SIDE)


def downgrade() -> None:
    _define(VICTIM_ONLY)
