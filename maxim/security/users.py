"""Local user accounts; `maxim init` creates the local administrator every CLI call acts as by default."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from maxim.store.access import Actor
from maxim.store.engine import Database
from maxim.store.tables import users

LOCAL_ADMIN = "admin"
ROLES = (
    "intake_officer",
    "analyst",
    "investigator",
    "supervisor",
    "safeguarding_lead",
    "financial_investigator",
    "partner_liaison",
    "tasking_chair",
    "administrator",
    "data_protection_officer",
)


class UnknownUser(LookupError):
    """No such user; the message says how to create one."""


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
                    roles=["administrator"],
                    password_hash=None,
                    created_at=datetime.now(UTC),
                )
            )
    return actor(db, LOCAL_ADMIN)


def actor(db: Database, username: str) -> Actor:
    """The acting user for a username, or UnknownUser."""
    with db.reader.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None:
        raise UnknownUser(f"no user {username!r}: run `maxim init` to create the local administrator")
    return Actor(
        username=row.username,
        display_name=row.display_name,
        unit=row.unit,
        roles=frozenset(row.roles),
    )
