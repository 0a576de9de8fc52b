"""The database going away mid-service: a clear 503, and recovery without a restart."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from maxim.security.auth import issue_token
from maxim.security.users import ensure_local_admin
from maxim.settings import Settings
from maxim.store.engine import connect
from maxim.web.app import create_app
from tests.factories import report
from tests.faults.proxy import Proxy


def test_postgres_lost_and_back(postgres_url: str, tmp_path: Path) -> None:
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
    finally:
        os.chmod(tmp_path, 0o755)
        readonly.state.db.dispose()
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT reference FROM reports")] == ["R/1"]
