"""Account administration: list users and tokens, disable, enable, reset a password, revoke.

Administrators only (the CLI checks the role); every change is in the audit chain. Disabling an
account or resetting its password also ends its sessions and revokes its bearer tokens: whoever
held them loses access at once, and a re-enabled account starts from a fresh login.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from maxim.domain.errors import FieldError, ValidationFailed
from maxim.security.auth import account_event, password_hash
from maxim.security.users import LOCAL_ADMIN, UnknownUser, aware, unavailable_reason
from maxim.store.audit import Operation
from maxim.store.engine import Database
from maxim.store.tables import api_tokens, sessions, users


@dataclass(frozen=True, slots=True)
class UserSummary:
    username: str
    display_name: str
    unit: str
    roles: tuple[str, ...]
    external: bool
    state: str  # "active", or why the account may not act now
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TokenSummary:
    """What an administrator may know of a token: never its secret (which is not kept anyway)."""

    id: int
    username: str
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_users(db: Database, *, now: datetime) -> list[UserSummary]:
    """Every account, by username, with whether it may act now."""
    with db.reader.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.username)).all()
    return [
        UserSummary(
            username=row.username,
            display_name=row.display_name,
            unit=row.unit,
            roles=tuple(sorted(row.roles)),
            external=bool(row.external),
            state=unavailable_reason(row, now) or "active",
            created_at=aware(row.created_at),
        )
        for row in rows
    ]


def list_tokens(db: Database) -> list[TokenSummary]:
    """Every bearer token ever issued, newest first."""
    with db.reader.connect() as conn:
        rows = conn.execute(
            select(api_tokens, users.c.username)
            .join(users, users.c.id == api_tokens.c.user_id)
            .order_by(api_tokens.c.id.desc())
        ).all()
    return [
        TokenSummary(
            id=row.id,
            username=row.username,
            name=row.name,
            created_at=aware(row.created_at),
            expires_at=aware(row.expires_at),
            last_used_at=aware(row.last_used_at) if row.last_used_at else None,
            revoked_at=aware(row.revoked_at) if row.revoked_at else None,
        )
        for row in rows
    ]


def _user_id(conn: Connection, username: str) -> int:
    found = conn.execute(select(users.c.id).where(users.c.username == username)).scalar()
    if found is None:
        raise UnknownUser(f"no user {username!r}: `maxim user list` shows the accounts")
    return int(found)


def _end_access(conn: Connection, user_id: int, now: datetime) -> None:
    """End every live session and revoke every live token of the account."""
    conn.execute(
        update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    conn.execute(
        update(api_tokens)
        .where(api_tokens.c.user_id == user_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def disable_user(db: Database, username: str, *, by: str, now: datetime) -> None:
    """Stop an account acting anywhere: its sessions end and its tokens are revoked."""
    if username == LOCAL_ADMIN:
        raise ValidationFailed([FieldError("username", "the local administrator cannot be disabled")])
    if username == by:
        raise ValidationFailed([FieldError("username", "you cannot disable your own account")])
    with db.writer.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(update(users).where(users.c.id == user_id).values(disabled=True))
        _end_access(conn, user_id, now)
        account_event(conn, now, by, Operation.USER_DISABLED, "admin", about=username)


def enable_user(db: Database, username: str, *, by: str, now: datetime) -> None:
    """Let an account act again; this also lifts a lockout after failed logins."""
    with db.writer.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(
            update(users).where(users.c.id == user_id).values(disabled=False, failed_logins=0, locked_until=None)
        )
        account_event(conn, now, by, Operation.USER_ENABLED, "admin", about=username)


def reset_password(db: Database, username: str, *, by: str, now: datetime) -> str:
    """A new generated password for the account, returned once; lifts a lockout, ends its
    sessions and revokes its tokens (a reset is what follows a suspected compromise)."""
    password = secrets.token_urlsafe(12)
    hashed = password_hash(password)
    with db.writer.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(
            update(users).where(users.c.id == user_id).values(password_hash=hashed, failed_logins=0, locked_until=None)
        )
        _end_access(conn, user_id, now)
        account_event(conn, now, by, Operation.PASSWORD_RESET, "admin", about=username)
    return password


def revoke_token_id(db: Database, token_id: int, *, by: str, now: datetime) -> bool:
    """Revoke a live token by its id (from `list_tokens`); False if none is live with that id."""
    with db.writer.begin() as conn:
        owner = conn.execute(
            select(users.c.username)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        ).scalar()
        if owner is None:
            return False
        conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=now))
        account_event(conn, now, by, Operation.TOKEN_REVOKED, "admin", about=owner)
    return True
