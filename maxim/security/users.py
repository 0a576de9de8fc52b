"""Local user accounts; `maxim init` creates the local administrator every CLI call acts as by default."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

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
