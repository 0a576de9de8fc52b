"""Account administration and the limits on credentials: listing, disabling, enabling and
resetting accounts, listing and revoking tokens (administrators only, audited); a long-lived or
API-minted token needs the password; a disabled or locked account's sessions and tokens stop;
logins are limited per account as well as per address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from maxim.cli import app
from maxim.domain.errors import ValidationFailed
from maxim.security import ratelimit
from maxim.security.auth import (
    LOCKOUT_FOR,
    LoginFailed,
    authenticate,
    issue_token,
    session_for,
    start_session,
    token_actor,
)
from maxim.security.ratelimit import LoginLimiter, RateLimiter
from maxim.settings import Settings
from maxim.store.access import Actor
from maxim.store.engine import Database
from maxim.store.tables import audit_log, users
from maxim.web.app import create_app
from tests.conftest import UserFactory
from tests.security.test_web_auth import login, session_csrf

runner = CliRunner()
PASSWORD = UserFactory.PASSWORD


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, make_user: UserFactory) -> tuple[Actor, str]:
    """The CLI on this database; the analyst `ann` (returned with her token)."""
    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    monkeypatch.delenv("MAXIM_TOKEN", raising=False)
    monkeypatch.delenv("MAXIM_PASSWORD", raising=False)
    return make_user("ann", "SCD6-MAXIM", "analyst")


@pytest.fixture
def client(database_url: str, tmp_path: Path, cli: tuple[Actor, str]) -> Iterator[TestClient]:
    web = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    with TestClient(web, follow_redirects=False) as test_client:
        yield test_client
    web.state.db.dispose()


def maxim(*args: str, **env: str) -> Result:
    return runner.invoke(app, list(args), env=env)


def operations(db: Database) -> list[tuple[str, str, list[str]]]:
    with db.reader.connect() as conn:
        rows = conn.execute(select(audit_log.c.username, audit_log.c.operation, audit_log.c.object_ids))
        return [(r.username, r.operation, r.object_ids) for r in rows]


def test_user_list_shows_every_account_and_whether_it_may_act(cli: tuple[Actor, str], db: Database) -> None:
    with db.writer.begin() as conn:
        conn.execute(update(users).where(users.c.username == "ann").values(disabled=True))
    listed = maxim("user", "list")
    assert listed.exit_code == 0, listed.output
    rows = {line.split("│")[1].strip(): line for line in listed.output.splitlines() if line.startswith("│")}
    assert "active" in rows["admin"] and "disabled" in rows["ann"] and "SCD6-MAXIM" in rows["ann"]


def test_disabling_ends_sessions_and_tokens_and_enabling_lets_the_account_log_in_again(
    cli: tuple[Actor, str], db: Database, client: TestClient
) -> None:
    _, token = cli
    assert login(client).status_code == 303  # type: ignore[attr-defined]
    assert client.get("/index.json").status_code == 200
    done = maxim("user", "disable", "ann")
    assert done.exit_code == 0 and "disabled ann" in done.output
    assert client.get("/index.json").status_code == 401  # the session is over
    assert client.get("/index.json", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert login(client).status_code == 401  # type: ignore[attr-defined]
    assert maxim("user", "enable", "ann").exit_code == 0
    assert login(client).status_code == 303  # type: ignore[attr-defined]
    assert token_actor(db, token, now=datetime.now(UTC)) is None  # revoked, not merely suspended
    assert [("admin", op, ["ann"]) for op in ("USER_DISABLED", "USER_ENABLED")] == [
        e for e in operations(db) if e[1] in ("USER_DISABLED", "USER_ENABLED")
    ]


def test_a_locked_accounts_session_and_token_stop_working(cli: tuple[Actor, str], db: Database) -> None:
    ann, token = cli
    now = datetime.now(UTC)
    session = start_session(db, ann, now=now)
    with db.writer.begin() as conn:
        conn.execute(update(users).where(users.c.username == "ann").values(locked_until=now + LOCKOUT_FOR))
    assert token_actor(db, token, now=now) is None
    assert session_for(db, session.token, now=now) is None
    later = now + LOCKOUT_FOR + timedelta(seconds=1)  # the lock lapses: both work again
    assert token_actor(db, token, now=later) is not None and session_for(db, session.token, now=later) is not None


def test_the_local_administrator_and_ones_own_account_cannot_be_disabled(
    cli: tuple[Actor, str], make_user: UserFactory
) -> None:
    refused = maxim("user", "disable", "admin")
    assert refused.exit_code == 1 and "username: the local administrator cannot be disabled" in refused.output
    make_user("root2", "SCD6-MAXIM", "administrator")
    self_disable = maxim("user", "disable", "root2", "--as", "root2", MAXIM_PASSWORD=PASSWORD)
    assert self_disable.exit_code == 1 and "you cannot disable your own account" in self_disable.output
    unknown = maxim("user", "disable", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output


def test_reset_password_prints_a_new_one_once_and_ends_the_old_access(cli: tuple[Actor, str], db: Database) -> None:
    ann, token = cli
    session = start_session(db, ann, now=datetime.now(UTC))
    reset = maxim("user", "reset-password", "ann")
    assert reset.exit_code == 0, reset.output
    found = re.search(r"new password for ann \(shown once\): (\S+);", reset.output)
    assert found is not None
    now = datetime.now(UTC)
    assert authenticate(db, "ann", found.group(1), now=now).username == "ann"
    with pytest.raises(PermissionError):
        authenticate(db, "ann", PASSWORD, now=now)
    assert session_for(db, session.token, now=now) is None and token_actor(db, token, now=now) is None
    assert ("admin", "PASSWORD_RESET", ["ann"]) in operations(db)


def test_account_commands_are_for_administrators_only(cli: tuple[Actor, str], db: Database) -> None:
    for command in (
        ["user", "list"],
        ["user", "disable", "admin"],
        ["user", "enable", "ann"],
        ["user", "reset-password", "admin"],
        ["token", "list"],
        ["token", "revoke", "1"],
    ):
        result = maxim(*command, "--as", "ann", MAXIM_PASSWORD=PASSWORD)
        assert result.exit_code == 2, (command, result.output)
        assert "needs the role administrator" in result.output, command
    assert not [e for e in operations(db) if e[1] in ("USER_DISABLED", "USER_ENABLED", "PASSWORD_RESET")]


def test_token_list_shows_ids_names_expiry_and_use_but_never_the_secret(cli: tuple[Actor, str], db: Database) -> None:
    _, token = cli
    token_actor(db, token, now=datetime.now(UTC))  # used once
    listed = maxim("token", "list")
    assert listed.exit_code == 0, listed.output
    assert token not in listed.output and token[3:12] not in listed.output
    row = next(line for line in listed.output.splitlines() if "│ ann" in line)
    assert row.split("│")[1].strip().isdigit() and "test" in row and "live" in row and "never" not in row


def test_token_revoke_by_id_and_by_the_token_itself(cli: tuple[Actor, str], db: Database) -> None:
    ann, token = cli
    second = issue_token(db, ann, name="second", days=1, now=datetime.now(UTC), channel="test")
    listed = maxim("token", "list").output
    first_id = next(line.split("│")[1].strip() for line in listed.splitlines() if "│ test" in line)
    assert maxim("token", "revoke", first_id).output.strip() == "revoked"
    assert token_actor(db, token, now=datetime.now(UTC)) is None
    again = maxim("token", "revoke", first_id)
    assert again.exit_code == 1 and "no such live token" in again.output
    by_secret = maxim("token", "revoke", second, "--as", "ann", MAXIM_PASSWORD=PASSWORD)
    assert by_secret.exit_code == 0 and token_actor(db, second, now=datetime.now(UTC)) is None
    revoked = [e for e in operations(db) if e[1] == "TOKEN_REVOKED"]
    assert revoked == [("admin", "TOKEN_REVOKED", ["ann"]), ("ann", "TOKEN_REVOKED", ["ann"])]


def test_a_long_lived_token_needs_the_password_not_a_token(cli: tuple[Actor, str], db: Database) -> None:
    ann, token = cli
    with pytest.raises(ValidationFailed, match="more than 30 days needs your password"):
        issue_token(db, ann, name="x", days=31, now=datetime.now(UTC), channel="test")
    by_token = maxim("token", "create", "--name", "year", "--days", "365", "--as", "ann", MAXIM_TOKEN=token)
    assert by_token.exit_code == 1 and "days: a token for more than 30 days needs your password" in by_token.output
    short = maxim("token", "create", "--name", "month", "--days", "30", "--as", "ann", MAXIM_TOKEN=token)
    assert short.exit_code == 0 and short.output.startswith("mx_")
    by_password = maxim("token", "create", "--name", "year", "--days", "365", "--as", "ann", MAXIM_PASSWORD=PASSWORD)
    assert by_password.exit_code == 0 and by_password.output.startswith("mx_")


def test_minting_a_token_over_the_api_needs_the_password(
    cli: tuple[Actor, str], client: TestClient, db: Database
) -> None:
    _, token = cli
    bearer = {"Authorization": f"Bearer {token}"}
    missing = client.post("/api/tokens", json={"name": "more", "days": 365}, headers=bearer)
    assert missing.status_code == 422
    assert missing.json()["error"]["errors"][0]["field"] == "password"
    wrong = client.post(
        "/api/tokens", json={"name": "more", "days": 365, "password": "guess guess guess"}, headers=bearer
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["errors"] == [
        {"field": "password", "reason": "is not right, or the account is locked"}
    ]
    assert ("ann", "LOGIN_FAILED", ["ann"]) in operations(db)  # counted towards the lockout
    ok = client.post("/api/tokens", json={"name": "more", "days": 365, "password": PASSWORD}, headers=bearer)
    assert ok.status_code == 201 and ok.json()["expires_in_days"] == 365


def test_a_session_still_mints_tokens_with_the_password(cli: tuple[Actor, str], client: TestClient) -> None:
    login(client)
    csrf = {"X-CSRF-Token": session_csrf(client)}
    refused = client.post("/api/tokens", json={"name": "s", "password": "wrong wrong wrong"}, headers=csrf)
    assert refused.status_code == 403
    assert client.post("/api/tokens", json={"name": "s", "password": PASSWORD}, headers=csrf).status_code == 201


def test_logins_at_one_account_from_many_addresses_are_limited(
    database_url: str, tmp_path: Path, cli: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrong(*args: object, **kwargs: object) -> Actor:
        raise LoginFailed()  # what a wrong password gives, without ten argon2 hashes

    monkeypatch.setattr("maxim.web.auth.authenticate", wrong)
    web = create_app(Settings(database_url=database_url, data_dir=tmp_path))
    codes = []
    try:
        for n in range(12):  # a new address for every guess: the per-address limit never trips
            one = TestClient(web, follow_redirects=False, client=(f"192.0.2.{n}", 40000))
            codes.append(login(one, password="wrong password!").status_code)  # type: ignore[attr-defined]
    finally:
        web.state.db.dispose()
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_the_account_limit_ignores_case_and_spaces_and_other_accounts_are_not_slowed() -> None:
    now = datetime.now(UTC)
    limiter = LoginLimiter(per_client=100, per_account=2)
    assert [limiter.allow(f"10.0.0.{n}", name, now) for n, name in enumerate(["ann", " ANN ", "Ann"])] == [
        True,
        True,
        False,
    ]
    assert limiter.allow("10.0.0.9", "bob", now)
    assert limiter.allow("10.0.0.1", "ann", now + timedelta(minutes=16))  # the window has passed


def test_the_limiter_forgets_keys_whose_window_has_passed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "SWEEP_AFTER", 5)
    limiter = RateLimiter(1, timedelta(minutes=1))
    start = datetime.now(UTC)
    for n in range(50):
        limiter.allow(f"made-up-{n}", start + timedelta(minutes=2 * n))
    assert len(limiter._hits) <= 6
