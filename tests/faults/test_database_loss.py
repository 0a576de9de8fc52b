"""The database going away mid-service: a clear 503, and recovery without a restart; a read-only or
full database refuses writes saying why, and keeps what it had."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import make_url

from maxim.security.auth import issue_token
from maxim.security.users import ensure_local_admin
from maxim.settings import Settings
from maxim.store.engine import connect
from maxim.web.app import create_app
from tests.conftest import _empty_postgres
from tests.factories import report
from tests.faults.proxy import Proxy


def test_postgres_lost_and_back(postgres_url: str, tmp_path: Path) -> None:
    empty = connect(postgres_url)
    _empty_postgres(empty)  # the session's schema holds other tests' audit entries, keyed by their keys
    empty.dispose()
    url = make_url(postgres_url)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    proxied = url.set(port=proxy.port).render_as_string(hide_password=False)
    app = create_app(Settings(database_url=proxied, data_dir=tmp_path))
    db = connect(proxied)
    token = issue_token(db, ensure_local_admin(db), name="t", days=1, now=datetime.now(UTC), channel="test")
    db.dispose()
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    try:
        assert client.get("/index.json").status_code == 200
        proxy.stop()
        down = client.get("/index.json")
        assert down.status_code == 503
        assert down.json()["error"]["title"] == "The database is unavailable; try again shortly"
        assert down.headers["retry-after"] == "5"
        assert client.post("/api/reports", json=report()).status_code == 503
        proxy.start()
        assert client.get("/index.json").status_code == 200  # same app, no restart
    finally:
        proxy.stop()
        app.state.db.dispose()


def test_a_read_only_database_refuses_writes_clearly_and_keeps_what_it_had(tmp_path: Path) -> None:
    path = tmp_path / "maxim.db"
    settings = Settings(database_url=f"sqlite:///{path}", data_dir=tmp_path)
    app = create_app(settings)
    db = connect(settings.database_url)
    token = issue_token(db, ensure_local_admin(db), name="t", days=1, now=datetime.now(UTC), channel="test")
    db.dispose()
    app.state.db.dispose()
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert client.post("/api/reports", json=report(reference="R/1")).status_code == 201
    app.state.db.dispose()
    os.chmod(tmp_path, 0o555)
    readonly = create_app(
        Settings(database_url=f"sqlite:///file:{path}?mode=ro&uri=true", data_dir=tmp_path), migrate=False
    )
    try:
        ro_client = TestClient(readonly, headers={"Authorization": f"Bearer {token}"})
        refused = ro_client.post("/api/reports", json=report(reference="R/2"))
        assert refused.status_code == 503
        assert refused.json()["error"]["title"].startswith("The database is read-only; nothing was stored")
    finally:
        os.chmod(tmp_path, 0o755)
        readonly.state.db.dispose()
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT reference FROM reports")] == ["R/1"]


def test_a_full_disk_refuses_the_write_clearly_and_leaves_nothing_half_written(tmp_path: Path) -> None:
    path = tmp_path / "maxim.db"
    app = create_app(Settings(database_url=f"sqlite:///{path}", data_dir=tmp_path))
    db = app.state.db
    token = issue_token(db, ensure_local_admin(db), name="t", days=1, now=datetime.now(UTC), channel="test")
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    assert client.post("/api/reports", json=report(reference="R/1")).status_code == 201

    # SQLite's page limit fails a write that needs one more page exactly as a full disk does
    # (SQLITE_FULL); it is set per connection, so on every new connection of the writer.
    @event.listens_for(db.writer, "connect")
    def _no_room(dbapi_connection: Any, _record: Any) -> None:
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    db.writer.dispose()
    big = report(reference="R/2", text="Testperson Alpha was seen at the car wash. " * 2000)
    refused = client.post("/api/reports", json=big)
    assert refused.status_code == 503
    assert refused.json()["error"]["title"].startswith("The database has run out of disk space; nothing was stored")
    db.dispose()
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT reference FROM reports")] == ["R/1"]
        report_ids = {r[0] for r in conn.execute("SELECT id FROM reports")}
        assert {r[0] for r in conn.execute("SELECT DISTINCT report_id FROM statements")} <= report_ids
        ops = [r[0] for r in conn.execute("SELECT operation FROM audit_log")]
    assert ops.count("COLLECTION") == 1  # the refused report left no audit event claiming it was stored


def test_the_command_line_says_the_database_is_read_only_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "maxim.db"
    env = {**os.environ, "MAXIM_DATABASE_URL": f"sqlite:///{path}", "MAXIM_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "maxim.cli", "init"], env=env, check=True, capture_output=True)
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(report(reference="R/1")) + "\n", encoding="utf-8")
    env["MAXIM_DATABASE_URL"] = f"sqlite:///file:{path}?mode=ro&uri=true"
    done = subprocess.run(
        [sys.executable, "-m", "maxim.cli", "ingest", str(batch)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 3, done.stderr
    said = " ".join(done.stderr.split())  # the console wraps long lines
    assert "The database is read-only; nothing was stored" in said and "run the command again" in said
    assert "Traceback" not in done.stdout + done.stderr
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM reports").fetchone() == (0,)
