"""Who the CLI acts as: one Actor builder for every path, and `--as USER` proved by USER's
credentials (a bearer token or the password), never merely asserted."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner, Result

from maxim.cli import _identify, app
from maxim.security.auth import LOCKOUT_AFTER, authenticate, session_for, start_session, token_actor
from maxim.security.users import AccountUnavailable, actor
from maxim.store.engine import Database
from maxim.store.tables import audit_log, users
from tests.conftest import UserFactory

runner = CliRunner()
PASSWORD = UserFactory.PASSWORD


@pytest.fixture
def env(database_url: str, make_user: UserFactory, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A database with the analyst `ann`; no credential in the environment unless a test sets one."""
    monkeypatch.setenv("MAXIM_DATABASE_URL", database_url)
    monkeypatch.delenv("MAXIM_TOKEN", raising=False)
    monkeypatch.delenv("MAXIM_PASSWORD", raising=False)
    make_user("ann", "SCD6-MAXIM", "analyst")
    return {}


def export_as_ann(**env: str) -> Result:
    return runner.invoke(app, ["export", "statements", "--as", "ann"], env=env)


def failures(db: Database) -> list[tuple[str, str]]:
    with db.reader.connect() as conn:
        rows = conn.execute(
            select(audit_log.c.username, audit_log.c.channel).where(audit_log.c.operation == "LOGIN_FAILED")
        )
        return [(r.username, r.channel) for r in rows]


def test_acting_as_another_user_without_credentials_is_refused_in_one_line(env: dict[str, str], db: Database) -> None:
    result = export_as_ann()
    assert result.exit_code == 2
    assert "acting as 'ann' needs its credentials: set MAXIM_TOKEN" in result.output
    assert "MAXIM_PASSWORD" in result.output and "statements exported" not in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert failures(db) == [("ann", "cli")]  # audited, as an empty password on the login page is


def test_the_local_administrator_needs_no_credential(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["export", "statements"])
    assert result.exit_code == 0 and "0 statements exported" in result.output


def test_the_password_proves_the_user_and_the_login_is_audited(env: dict[str, str], db: Database) -> None:
    result = export_as_ann(MAXIM_PASSWORD=PASSWORD)
    assert result.exit_code == 0, result.output
    with db.reader.connect() as conn:
        logins = conn.execute(
            select(audit_log.c.username, audit_log.c.channel).where(audit_log.c.operation == "LOGIN")
        ).all()
    assert [(r.username, r.channel) for r in logins] == [("ann", "cli")]


def test_a_bearer_token_proves_the_user(env: dict[str, str], make_user: UserFactory) -> None:
    _, token = make_user("tim", "SCD6-MAXIM", "analyst")
    ok = runner.invoke(app, ["export", "statements", "--as", "tim"], env={"MAXIM_TOKEN": token})
    assert ok.exit_code == 0, ok.output


def test_a_wrong_password_is_refused_audited_and_counts_towards_lockout(env: dict[str, str], db: Database) -> None:
    for _ in range(LOCKOUT_AFTER):
        wrong = export_as_ann(MAXIM_PASSWORD="not the password at all")
        assert wrong.exit_code == 2
        assert "the password for 'ann' is not right, or the account is locked" in wrong.output
    assert failures(db) == [("ann", "cli")] * LOCKOUT_AFTER
    locked = export_as_ann(MAXIM_PASSWORD=PASSWORD)  # locked now: the right password no longer works
    assert locked.exit_code == 2 and "statements exported" not in locked.output


def test_someone_elses_token_is_refused_and_counted_against_the_account_named(
    env: dict[str, str], db: Database, make_user: UserFactory
) -> None:
    _, tims = make_user("tim", "SCD6-MAXIM", "analyst")
    for token in (tims, "mx_not_a_token"):
        result = export_as_ann(MAXIM_TOKEN=token)
        assert result.exit_code == 2
        assert "MAXIM_TOKEN is not a live bearer token of 'ann'" in result.output
    assert failures(db) == [("ann", "cli"), ("ann", "cli")]
    with db.reader.connect() as conn:
        assert conn.execute(select(users.c.failed_logins).where(users.c.username == "ann")).scalar() == 2


def test_a_disabled_account_cannot_act_through_the_cli(
    env: dict[str, str], db: Database, make_user: UserFactory
) -> None:
    _, token = make_user("tim", "SCD6-MAXIM", "analyst")
    with db.writer.begin() as conn:
        conn.execute(update(users).where(users.c.username.in_(["ann", "tim"])).values(disabled=True))
    assert export_as_ann(MAXIM_PASSWORD=PASSWORD).exit_code == 2
    by_token = runner.invoke(app, ["export", "statements", "--as", "tim"], env={"MAXIM_TOKEN": token})
    assert by_token.exit_code == 2 and "statements exported" not in by_token.output


COMMANDS = (
    ["export", "statements"],
    ["export", "ftm"],
    ["export", "resolution", "--output", "-"],
    ["networks"],
    ["resolve"],
    ["report", "committee", "--from", "2025-01-01", "--to", "2025-12-31", "--format", "json", "-o", "-"],
    ["funding", "show"],
    ["share", "show", "no-such-package"],
    ["sop", "show"],
    ["referrals", "alerts"],
    ["review", "queue"],
    ["audit", "verify"],
    ["token", "create", "--name", "x"],
    ["user", "list"],
)


def test_every_cli_module_needs_the_credentials(env: dict[str, str]) -> None:
    """Every */cli.py goes through the one access helper: none of them acts on `--as` alone."""
    for command in COMMANDS:
        result = runner.invoke(app, [*command, "--as", "ann"])
        assert result.exit_code == 2, (command, result.output)
        assert "acting as 'ann' needs its credentials" in result.output, command


def test_on_a_terminal_the_password_is_asked_for_hidden(
    env: dict[str, str], db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    asked: list[str] = []
    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or PASSWORD)
    who, credential = _identify(db, "ann")
    assert (who.username, credential, asked) == ("ann", "password", ["password for ann: "])


def test_one_builder_gives_every_path_the_external_flag(db: Database, make_user: UserFactory) -> None:
    """Login, session, token and the CLI's lookup all carry `external` (the CLI once dropped it)."""
    _, token = make_user("lee", "UKHTC", "partner_liaison", external=True)
    now = datetime.now(UTC)
    logged_in = authenticate(db, "lee", PASSWORD, now=now)
    session = session_for(db, start_session(db, logged_in, now=now).token, now=now)
    by_token = token_actor(db, token, now=now)
    assert session is not None and by_token is not None
    assert {logged_in, session.actor, by_token, actor(db, "lee")} == {logged_in}
    assert logged_in.external is True


def test_the_builder_refuses_a_disabled_account(db: Database, make_user: UserFactory) -> None:
    make_user("lee", "UKHTC", "partner_liaison", external=True)
    with db.writer.begin() as conn:
        conn.execute(update(users).where(users.c.username == "lee").values(disabled=True))
    with pytest.raises(AccountUnavailable, match="'lee' is disabled"):
        actor(db, "lee")


def test_a_lockout_caused_at_the_login_page_does_not_shut_out_the_local_administrator(
    env: dict[str, str], db: Database
) -> None:
    now = datetime.now(UTC)
    for _ in range(LOCKOUT_AFTER):  # anyone who can reach the login page can lock `admin`
        with pytest.raises(PermissionError):
            authenticate(db, "admin", "a guess at the admin", now=now)
    with db.reader.connect() as conn:
        assert conn.execute(select(users.c.locked_until).where(users.c.username == "admin")).scalar() is not None
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["export", "statements"])
    assert result.exit_code == 0 and "0 statements exported" in result.output
