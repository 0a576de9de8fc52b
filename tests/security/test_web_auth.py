"""Login, sessions, CSRF, lockout, tokens and security headers, through the real app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from maxim.security.auth import LOCKOUT_AFTER, issue_token, token_actor
from maxim.settings import Settings
from maxim.store.engine import Database
from maxim.store.tables import api_tokens, audit_log
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.factories import report

PASSWORD = UserFactory.PASSWORD


@pytest.fixture
def app_client(database_url: str, tmp_path: Path, make_user: UserFactory) -> Iterator[TestClient]:
    make_user("ann", "SCD6-MAXIM", "analyst")
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.db.dispose()


def login(client: TestClient, username: str = "ann", password: str = PASSWORD, next_page: str = "/") -> object:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf.group(1), "next": next_page}
    )


def session_csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert found is not None
    return found.group(1)


def test_pages_redirect_to_login_and_the_api_answers_401(app_client: TestClient) -> None:
    page = app_client.get("/reports/x?y=1")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/reports/x%3Fy%3D1"
    api = app_client.get("/api/reports/x")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
    assert api.json()["error"]["title"] == "Log in, or send a valid bearer token"
    assert app_client.get("/health").status_code == 200  # explicitly public


def test_login_sets_a_hardened_session_cookie_and_logs_the_event(app_client: TestClient, db: Database) -> None:
    response = login(app_client, next_page="/index.json")
    assert response.status_code == 303 and response.headers["location"] == "/index.json"  # type: ignore[attr-defined]
    cookie = response.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "maxim_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert app_client.get("/index.json").status_code == 200
    with db.reader.connect() as conn:
        ops = list(conn.execute(select(audit_log.c.operation, audit_log.c.username)))
    assert ("LOGIN", "ann") in ops


def test_login_never_redirects_off_site(app_client: TestClient) -> None:
    response = login(app_client, next_page="//evil.example/")
    assert response.headers["location"] == "/"  # type: ignore[attr-defined]


def test_wrong_password_and_lockout(app_client: TestClient, db: Database) -> None:
    for _ in range(LOCKOUT_AFTER):
        failed = login(app_client, password="wrong password!")
        assert failed.status_code == 401  # type: ignore[attr-defined]
        assert "Username or password is not right" in failed.text  # type: ignore[attr-defined]
    locked = login(app_client)  # the right password no longer works
    assert locked.status_code == 401  # type: ignore[attr-defined]
    unknown = login(app_client, username="nobody")  # the same message for a user that does not exist
    assert unknown.text.count("Username or password is not right") == 1  # type: ignore[attr-defined]
    with db.reader.connect() as conn:
        failures = conn.execute(select(audit_log.c.id).where(audit_log.c.operation == "LOGIN_FAILED")).all()
    assert len(failures) == LOCKOUT_AFTER + 2


def test_login_form_without_its_csrf_token_is_refused(app_client: TestClient) -> None:
    app_client.get("/login")
    response = app_client.post("/login", data={"username": "ann", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


def test_session_requests_that_change_things_need_the_csrf_token(app_client: TestClient) -> None:
    login(app_client)
    own = report(originator="SCD6-MAXIM")  # ann's unit: the only originator she may submit as
    refused = app_client.post("/api/reports", json=own)
    assert refused.status_code == 403
    assert refused.json()["error"]["status"] == 403
    accepted = app_client.post("/api/reports", json=own, headers={"X-CSRF-Token": session_csrf(app_client)})
    assert accepted.status_code == 201


def test_logout_ends_the_session(app_client: TestClient) -> None:
    login(app_client)
    csrf = session_csrf(app_client)
    assert app_client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert app_client.get("/").status_code == 303


def test_tokens_expire_and_can_be_revoked(app_client: TestClient, db: Database, make_user: UserFactory) -> None:
    actor, token = make_user("tim", "SCD6-MAXIM", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    assert app_client.get("/index.json", headers=headers).status_code == 200
    later = datetime.now(UTC) + timedelta(days=2)
    assert token_actor(db, token, now=later) is None  # issued for one day
    long_lived = issue_token(db, actor, name="x", days=30, now=datetime.now(UTC), channel="test")
    assert token_actor(db, long_lived, now=later) is not None
    assert app_client.get("/index.json", headers={"Authorization": "Bearer mx_not_a_token"}).status_code == 401


def test_a_logged_in_user_can_issue_a_token_for_the_api(app_client: TestClient) -> None:
    login(app_client)
    response = app_client.post(
        "/api/tokens",
        json={"name": "scripts", "days": 7, "password": PASSWORD},
        headers={"X-CSRF-Token": session_csrf(app_client)},
    )
    assert response.status_code == 201
    token = response.json()["token"]
    fresh = TestClient(app_client.app)
    assert fresh.get("/index.json", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_login_is_rate_limited(app_client: TestClient) -> None:
    codes = [login(app_client, password="wrong password!").status_code for _ in range(12)]  # type: ignore[attr-defined]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_security_headers_on_every_response(app_client: TestClient) -> None:
    for path in ("/login", "/health", "/api/reports/x"):
        headers = app_client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_a_token_records_its_last_use_to_the_minute_without_a_write_per_request(
    db: Database, make_user: UserFactory
) -> None:
    _, token = make_user("tim", "SCD6-MAXIM", "analyst")
    t0 = datetime.now(UTC)

    def last_used() -> datetime | None:
        with db.reader.connect() as conn:
            value = conn.execute(select(api_tokens.c.last_used_at)).scalar_one()
        return None if value is None else value.replace(tzinfo=UTC) if value.tzinfo is None else value

    writes: list[str] = []

    def count_updates(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("UPDATE"):
            writes.append(statement)

    event.listen(db.writer, "before_cursor_execute", count_updates)
    assert token_actor(db, token, now=t0) is not None
    assert last_used() == t0 and len(writes) == 1
    assert token_actor(db, token, now=t0 + timedelta(seconds=30)) is not None
    assert last_used() == t0 and len(writes) == 1  # read only: no write lock taken
    assert token_actor(db, token, now=t0 + timedelta(minutes=2)) is not None
    assert last_used() == t0 + timedelta(minutes=2) and len(writes) == 2
