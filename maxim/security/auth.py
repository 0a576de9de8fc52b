"""Accounts, passwords, sessions and API tokens.

Passwords are argon2id hashes; session ids and API tokens are random and stored only as
SHA-256 hashes, so a copy of the database does not let anyone log in. Repeated failed logins
lock the account for a while; a disabled or locked account's sessions and tokens are refused
too (every Actor comes from `users.actor_from_row`). Every login, failure, logout, token issue
and revocation is written to the audit chain.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Row, select, update

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.reference import load_reference
from maxim.security.users import AccountUnavailable, actor_from_row, aware
from maxim.store.access import Actor
from maxim.store.audit import Operation, append
from maxim.store.engine import Database
from maxim.store.tables import api_tokens, sessions, users

LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
SESSION_FOR = timedelta(hours=8)
#: A token that outlives this needs the password when it is minted: a stolen session or token
#: alone cannot turn itself into a year's access.
DAYS_WITHOUT_PASSWORD = 30
MAX_TOKEN_DAYS = 365
MIN_PASSWORD = 12
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{1,62}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the user does not exist, so timing does not reveal which usernames do.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class LoginFailed(PermissionError):
    """Wrong username or password, or a locked or disabled account: one message for all."""

    def __init__(self) -> None:
        super().__init__("Username or password is not right, or the account is locked.")


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    csrf_token: str
    actor: Actor


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def account_event(
    conn: Connection, now: datetime, username: str, operation: Operation, channel: str, *, about: str | None = None
) -> None:
    """Audit what `username` did to the account `about` (their own when None)."""
    append(
        conn,
        at=now,
        username=username,
        operation=operation,
        object_type="user",
        object_ids=[about or username],
        channel=channel,
    )


def create_user(
    db: Database,
    *,
    username: str,
    display_name: str,
    unit: str,
    roles: Iterable[str],
    password: str | None,
    now: datetime,
    by: str,
    external: bool = False,
) -> Actor:
    """Create an account; every bad field is reported together."""
    ref = load_reference()
    roles = sorted(set(roles))
    errors = []
    if not _USERNAME.match(username):
        errors.append(
            FieldError("username", "must be 2-63 lowercase letters, digits, '.', '_' or '-', starting with a letter")
        )
    if not display_name.strip():
        errors.append(FieldError("display_name", "is required"))
    if unit not in ref.units and not (external and unit in ref.partners):
        errors.append(FieldError("unit", f"{unit!r} is not a unit code" + (" or partner code" if external else "")))
    if not roles:
        errors.append(FieldError("roles", "at least one role is required"))
    for role in roles:
        if role not in ref.roles:
            errors.append(FieldError("roles", f"unknown role {role!r}; known: {', '.join(ref.roles)}"))
    if password is not None and len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", f"must be at least {MIN_PASSWORD} characters"))
    with db.writer.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            errors.append(FieldError("username", f"{username!r} already exists"))
        if errors:
            raise ValidationFailed(errors)
        conn.execute(
            users.insert().values(
                username=username,
                display_name=display_name.strip(),
                unit=unit,
                roles=roles,
                password_hash=_hasher.hash(password) if password else None,
                created_at=now,
                external=external,
                failed_logins=0,
                disabled=False,
            )
        )
        account_event(conn, now, by, Operation.USER_CREATED, "admin", about=username)
        row = conn.execute(select(users).where(users.c.username == username)).one()
    return actor_from_row(row, now=now)


def password_hash(password: str) -> str:
    """The argon2id hash to store for a new password, or ValidationFailed if it is too short."""
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed([FieldError("password", f"must be at least {MIN_PASSWORD} characters")])
    return _hasher.hash(password)


def set_password(db: Database, username: str, password: str) -> None:
    hashed = password_hash(password)
    with db.writer.begin() as conn:
        conn.execute(update(users).where(users.c.username == username).values(password_hash=hashed))


def authenticate(db: Database, username: str, password: str, *, now: datetime, channel: str = "web") -> Actor:
    """The account for these credentials, or LoginFailed (counted towards lockout, audited)."""
    with db.writer.begin() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
        stored = row.password_hash if row is not None else None
        try:
            ok = _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if row is None or not ok or row.disabled or _locked(row, now):
            _count_failure(conn, row, username, now=now, channel=channel)
            failed = True
        else:
            conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None))
            account_event(conn, now, username, Operation.LOGIN, channel)
            failed = False
    if failed:
        raise LoginFailed()
    assert row is not None
    return actor_from_row(row, now=now)


def record_failed_login(db: Database, username: str, *, now: datetime, channel: str) -> None:
    """Count a failed credential for `username` (a wrong bearer token offered for it on the CLI,
    say) towards its lockout, and audit it, as a wrong password is."""
    with db.writer.begin() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
        _count_failure(conn, row, username, now=now, channel=channel)


def _locked(row: Row[Any], now: datetime) -> bool:
    return row.locked_until is not None and aware(row.locked_until) > now


def _count_failure(conn: Connection, row: Row[Any] | None, username: str, *, now: datetime, channel: str) -> None:
    """One more failure for an existing, unlocked account (the fifth locks it); always audited."""
    if row is not None and not _locked(row, now):
        failures = row.failed_logins + 1
        values: dict[str, object] = {"failed_logins": failures}
        if failures >= LOCKOUT_AFTER:
            values = {"failed_logins": 0, "locked_until": now + LOCKOUT_FOR}
        conn.execute(update(users).where(users.c.id == row.id).values(**values))
    account_event(conn, now, username[:100], Operation.LOGIN_FAILED, channel)


def start_session(db: Database, actor: Actor, *, now: datetime) -> Session:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    with db.writer.begin() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.username == actor.username)).scalar_one()
        conn.execute(
            sessions.insert().values(
                id_hash=digest(token), user_id=user_id, csrf_token=csrf, created_at=now, expires_at=now + SESSION_FOR
            )
        )
    return Session(token, csrf, actor)


def session_for(db: Database, token: str, *, now: datetime) -> Session | None:
    with db.reader.connect() as conn:
        row = conn.execute(
            select(users, sessions.c.csrf_token, sessions.c.expires_at, sessions.c.revoked_at)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.id_hash == digest(token))
        ).first()
    if row is None or row.revoked_at is not None or aware(row.expires_at) <= now:
        return None
    try:
        return Session(token, row.csrf_token, actor_from_row(row, now=now))
    except AccountUnavailable:  # disabled or locked since the login
        return None


def end_session(db: Database, token: str, *, now: datetime) -> None:
    with db.writer.begin() as conn:
        row = conn.execute(
            select(users.c.username)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.id_hash == digest(token))
        ).first()
        conn.execute(update(sessions).where(sessions.c.id_hash == digest(token)).values(revoked_at=now))
        if row is not None:
            account_event(conn, now, row.username, Operation.LOGOUT, "web")


def issue_token(
    db: Database,
    actor: Actor,
    *,
    name: str,
    days: int,
    now: datetime,
    channel: str,
    password_confirmed: bool = False,
) -> str:
    """A bearer token for the API, shown once; only its hash is kept. Expires after `days`;
    more than DAYS_WITHOUT_PASSWORD only when the caller has just checked the user's password."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValidationFailed([FieldError("days", f"must be between 1 and {MAX_TOKEN_DAYS}")])
    if days > DAYS_WITHOUT_PASSWORD and not password_confirmed:
        raise ValidationFailed(
            [FieldError("days", f"a token for more than {DAYS_WITHOUT_PASSWORD} days needs your password")]
        )
    if not name.strip():
        raise ValidationFailed([FieldError("name", "is required (say what the token is for)")])
    token = "mx_" + secrets.token_urlsafe(32)
    with db.writer.begin() as conn:
        user_id = conn.execute(select(users.c.id).where(users.c.username == actor.username)).scalar_one()
        conn.execute(
            api_tokens.insert().values(
                token_hash=digest(token),
                user_id=user_id,
                name=name.strip()[:100],
                created_at=now,
                expires_at=now + timedelta(days=days),
            )
        )
        account_event(conn, now, actor.username, Operation.TOKEN_ISSUED, channel)
    return token


#: A token's `last_used_at` is kept to the minute. Written on every request, it made every API
#: call a write: on SQLite each one queued for the single writer's lock behind any ingest.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_actor(db: Database, token: str, *, now: datetime) -> Actor | None:
    with db.reader.connect() as conn:
        row = conn.execute(
            select(
                users,
                api_tokens.c.id.label("token_id"),
                api_tokens.c.expires_at,
                api_tokens.c.revoked_at,
                api_tokens.c.last_used_at,
            )
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest(token))
        ).first()
    if row is None or row.revoked_at is not None or aware(row.expires_at) <= now:
        return None
    try:
        found = actor_from_row(row, now=now)
    except AccountUnavailable:  # a disabled or locked account's tokens do not work either
        return None
    if row.last_used_at is None or aware(row.last_used_at) <= now - LAST_USED_RESOLUTION:
        with db.writer.begin() as conn:
            conn.execute(update(api_tokens).where(api_tokens.c.id == row.token_id).values(last_used_at=now))
    return found


def revoke_token(db: Database, token: str, *, now: datetime, by: str, channel: str) -> bool:
    """Revoke a live token given its secret (whoever holds it may end it); audited."""
    with db.writer.begin() as conn:
        owner = conn.execute(
            select(users.c.username)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == digest(token), api_tokens.c.revoked_at.is_(None))
        ).scalar()
        if owner is None:
            return False
        conn.execute(update(api_tokens).where(api_tokens.c.token_hash == digest(token)).values(revoked_at=now))
        account_event(conn, now, by, Operation.TOKEN_REVOKED, channel, about=owner)
    return True
