"""similar-name search on PostgreSQL: the distinct name spellings, with a pg_trgm index

The similar-name step of a search used to read every name statement sharing the first two
letters of a word with the query (thousands of rows scattered over a million statements) and
score them all in Python. A name is given by many statements, so the step now reads distinct
spellings: `name_spellings` holds each spelling of a name-like statement once, in lower case
without accents beside it, and PostgreSQL's trigram extension finds the few close to the query
through an index. Triggers on `statements` keep it (once per SQL statement, from the transition
tables, so a COPY of thousands of rows costs one insert), and remove a spelling when its last
statement goes (MoPI deletion), so it never holds a name the store no longer does.

pg_trgm is a trusted extension, so the database's owner may create it; it lives in one schema
for the whole database (`public` unless a DBA installed it elsewhere), never in Maxim's own, so
that dropping one Maxim schema cannot take other schemas' indexes with it. The table is not in
the SQLAlchemy metadata (like the full-text index) and `maxim_reader` is granted nothing on it:
only the data-access layer's own connection reads it. SQLite keeps its full-text prefix
candidates; this is a no-op there.

Revision ID: 0012_name_spellings
Revises: 0007
"""

from __future__ import annotations

from alembic import op

from maxim.store.tables_search import PG_FOLD, SPELLING_MAX_LENGTH, SQL_NAME_PROPS, trigram_schema

revision = "0012_name_spellings"
down_revision = "0007"
branch_labels = None
depends_on = None

NAMES = f"prop IN ({SQL_NAME_PROPS})"

ADD = f"""
CREATE FUNCTION maxim_spellings_add() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    INSERT INTO name_spellings (value, folded)
    SELECT DISTINCT value, {PG_FOLD.format(value="value")} FROM new_rows
    WHERE {NAMES} AND length(value) <= {SPELLING_MAX_LENGTH}
    ON CONFLICT (value) DO NOTHING;
    RETURN NULL;
END $f$"""

REMOVE = f"""
CREATE FUNCTION maxim_spellings_remove() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    DELETE FROM name_spellings s
    WHERE s.value IN (SELECT value FROM old_rows WHERE {NAMES})
      AND NOT EXISTS (
          SELECT 1 FROM statements t WHERE t.identifier_kind IS NULL AND t.value = s.value AND t.{NAMES}
      );
    RETURN NULL;
END $f$"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if trigram_schema(bind) is None:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    schema = trigram_schema(bind)
    op.execute("CREATE TABLE name_spellings (value text PRIMARY KEY, folded text NOT NULL)")
    op.execute(
        "INSERT INTO name_spellings (value, folded) "
        f"SELECT DISTINCT value, {PG_FOLD.format(value='value')} FROM statements "
        f"WHERE {NAMES} AND length(value) <= {SPELLING_MAX_LENGTH}"
    )
    op.execute(f'CREATE INDEX ix_name_spellings_trigrams ON name_spellings USING gin (folded "{schema}".gin_trgm_ops)')
    op.execute(ADD)
    op.execute(REMOVE)
    op.execute(
        "CREATE TRIGGER name_spellings_add AFTER INSERT ON statements REFERENCING NEW TABLE AS new_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION maxim_spellings_add()"
    )
    op.execute(
        "CREATE TRIGGER name_spellings_remove AFTER DELETE ON statements REFERENCING OLD TABLE AS old_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION maxim_spellings_remove()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS name_spellings_add ON statements")
    op.execute("DROP TRIGGER IF EXISTS name_spellings_remove ON statements")
    op.execute("DROP FUNCTION IF EXISTS maxim_spellings_add()")
    op.execute("DROP FUNCTION IF EXISTS maxim_spellings_remove()")
    op.execute("DROP TABLE IF EXISTS name_spellings")
