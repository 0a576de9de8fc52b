"""A bulk ingest leaves PostgreSQL's planner statistics current, whether or not autovacuum runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from maxim.intake.batch import ANALYZE_AFTER, ingest_file
from maxim.reference import load_reference
from maxim.scenario import write_scenario
from maxim.security.users import ensure_local_admin
from maxim.store.access import DataAccess
from maxim.store.engine import BULK_TABLES, connect
from tests.conftest import postgres_schema

REF = load_reference()
ANALYSED = "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = current_schema()"


def test_a_large_batch_analyses_the_tables_it_grew_and_a_small_one_does_not(tmp_path: Path) -> None:
    with postgres_schema() as url:  # a schema of its own: no other test's ingest has analysed it
        db = connect(url)
        access = DataAccess(db, ensure_local_admin(db), channel="test")
        small = tmp_path / "small"
        write_scenario(small, seed=2, reports=100)
        summary = ingest_file(small / "reports.jsonl", access, REF)
        assert 0 < summary.statements < ANALYZE_AFTER
        with db.reader.connect() as conn:
            assert not any(done for name, done in conn.execute(text(ANALYSED)) if name in BULK_TABLES)
        large = tmp_path / "large"
        write_scenario(large, seed=3, reports=600)
        summary = ingest_file(large / "reports.jsonl", access, REF)
        assert summary.statements >= ANALYZE_AFTER
        with db.reader.connect() as conn:
            analysed = {name for name, done in conn.execute(text(ANALYSED)) if done}
        assert analysed >= set(BULK_TABLES)
        db.dispose()
