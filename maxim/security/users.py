"""Local user accounts: the one place a users row becomes an Actor.

`maxim init` creates the local administrator every CLI call acts as by default. The web login,
sessions, bearer tokens and the CLI all build their Actor with `actor_from_row`, so no path can
forget a field (a partner's `external` flag once went missing on the CLI and an external account
exported every statement) and no path can act as a disabled or locked account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, select

from maxim.store.access import Actor
from maxim.store.engine import Database
from maxim.store.tables import users

LOCAL_ADMIN = "admin"
# Demo accounts: one per role, in the unit a person in that role would sit in.
DEMO_USERS: tuple[tuple[str, str, str, tuple[str, ...], bool], ...] = (
    ("intake", "Ivy Intake (demo)", "SCD6-MAXIM", ("intake_officer",), False),
    ("analyst", "Ann Analyst (demo)", "SCD6-MAXIM", ("analyst",), False),
    ("investigator", "Ian Investigator (demo)", "SCD6-HTT", ("investigator",), False),
    ("supervisor", "Sue Supervisor (demo)", "SCD6-MAXIM", ("supervisor", "analyst"), False),
    ("safeguarding", "Sam Safeguarding (demo)", "SCD6-HTT", ("safeguarding_lead",), False),
    ("finance", "Fin Financial (demo)", "SCD6-FIN", ("financial_investigator",), False),
    ("liaison", "Lee Liaison (demo, UKHTC)", "UKHTC", ("partner_liaison",), True),
    ("chair", "Chris Chair (demo)", "SCD6-MAXIM", ("tasking_chair",), False),
    ("dpo", "Dee Protection (demo)", "SCD6-MAXIM", ("data_protection_officer",), False),
    ("borough", "Bo Borough (demo, Lambeth)", "BOCU-LAMBETH", ("investigator",), False),
)


class UnknownUser(LookupError):
    """No such user; the message says how to create one."""


class AccountUnavailable(PermissionError):
    """The account exists but may not act now: it is disabled, or locked after failed logins."""


def aware(value: datetime) -> datetime:
    """SQLite gives datetimes back naive; every stored time is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def unavailable_reason(row: Row[Any], now: datetime) -> str | None:
    """Why this account may not act at `now` (disabled, or locked until when), or None."""
    if row.disabled:
        return f"the account {row.username!r} is disabled"
    if row.locked_until is not None and aware(row.locked_until) > now:
        until = aware(row.locked_until).strftime("%H:%M UTC")
        return f"the account {row.username!r} is locked after failed logins until {until}"
    return None


def actor_from_row(row: Row[Any], *, now: datetime, honour_lockout: bool = True) -> Actor:
    """The Actor for a users row, with every field that decides what it may see; refuses a
    disabled or locked account (AccountUnavailable), so a refused account never gets an Actor.

    `honour_lockout=False` is for the local administrator on the CLI only: it proves nothing by
    password, and a lockout (which anyone can cause by guessing at the login page) must not shut
    the operator out of their own database. A disabled account is refused regardless."""
    reason = unavailable_reason(row, now) if honour_lockout or row.disabled else None
    if reason is not None:
        raise AccountUnavailable(reason)
    return Actor(
        username=row.username,
        display_name=row.display_name,
        unit=row.unit,
        roles=frozenset(row.roles),
        external=bool(row.external),
    )


def user_row(db: Database, username: str) -> Row[Any]:
    """The users row for a username, or UnknownUser."""
    with db.reader.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise UnknownUser(f"no user {username!r}: run `maxim init` to create the local administrator")
    return row


def ensure_local_admin(db: Database) -> Actor:
    """Create the local administrator if missing (idempotent) and return it."""
    with db.writer.begin() as conn:
        row = conn.execute(select(users).where(users.c.username == LOCAL_ADMIN)).first()
        if row is None:
            conn.execute(
                users.insert().values(
                    username=LOCAL_ADMIN,
                    display_name="Local administrator",
                    unit="SCD6-MAXIM",
                    # On a laptop install the one local account is also its own data-protection officer.
                    roles=["administrator", "data_protection_officer"],
                    password_hash=None,
                    created_at=datetime.now(UTC),
                    external=False,
                    failed_logins=0,
                    disabled=False,
                )
            )
    return actor_from_row(user_row(db, LOCAL_ADMIN), now=datetime.now(UTC), honour_lockout=False)


def actor(db: Database, username: str) -> Actor:
    """The acting user for a username: UnknownUser, or AccountUnavailable if disabled or locked."""
    return actor_from_row(user_row(db, username), now=datetime.now(UTC))
