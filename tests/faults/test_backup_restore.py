"""Backup and restore round trip on both databases: nothing lost, the audit chain still verifies."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from maxim.cli import app
from maxim.store.engine import connect
from tests.factories import report

runner = CliRunner()
TABLES = ("reports", "statements", "entities", "report_subjects", "audit_log", "users")


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    db = connect(url)
    try:
        with db.reader.connect() as conn:
            return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}"))), key=repr) for t in TABLES}
    finally:
        db.dispose()


def test_backup_and_restore_round_trip(database_url: str, tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": database_url, "MAXIM_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["init"], env=env).exit_code == 0
    batch = tmp_path / "batch.jsonl"
    batch.write_text("".join(json.dumps(report(reference=f"B/{i}")) + "\n" for i in range(5)))
    assert runner.invoke(app, ["ingest", str(batch), "--workers", "1"], env=env).exit_code == 0
    before = snapshot(database_url)
    saved = runner.invoke(app, ["backup", str(tmp_path / "maxim.backup")], env=env)
    assert saved.exit_code == 0, saved.output
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps(report(reference="AFTER/1")) + "\n")
    runner.invoke(app, ["ingest", str(more), "--workers", "1"], env=env)
    assert snapshot(database_url) != before
    assert runner.invoke(app, ["restore", str(tmp_path / "maxim.backup")], env=env).exit_code == 2  # needs --yes
    restored = runner.invoke(app, ["restore", str(tmp_path / "maxim.backup"), "--yes"], env=env)
    assert restored.exit_code == 0, restored.output
    assert "audit chain holds" in restored.output
    assert snapshot(database_url) == before


def test_a_file_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    env = {"MAXIM_DATABASE_URL": f"sqlite:///{tmp_path / 'maxim.db'}"}
    runner.invoke(app, ["init"], env=env)
    junk = tmp_path / "junk.backup"
    junk.write_text("not a database")
    result = runner.invoke(app, ["restore", str(junk), "--yes"], env=env)
    assert result.exit_code == 1 and "is not a SQLite backup" in result.output
