"""The relational schema, one definition for SQLite and PostgreSQL.

Facts are statements with provenance (DESIGN.md "The data model"); reports carry the grading
every statement inherits; workflow objects are ordinary tables. Alembic migrations under
`migrations/` must produce exactly this schema (a test compares them).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("password_hash", String(300)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("external", Boolean, nullable=False, server_default="0"),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("disabled", Boolean, nullable=False, server_default="0"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Index(None, "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("originator", String(50), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("intelligence_date", Date),
    Column("source_evaluation", String(1), nullable=False),
    Column("intelligence_assessment", String(1), nullable=False),
    Column("handling_code", String(1), nullable=False),
    Column("handling_conditions", Text),
    Column("action_code", String(2)),
    Column("sanitisation_code", String(2)),
    Column("legacy_grading", String(10)),
    Column("migrated", Boolean, nullable=False),
    Column("nim_level", Integer),
    Column("themes", JSON, nullable=False),
    Column("title", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("mopi_group", String(2), nullable=False, server_default="3"),
    Column("review_due", Date, nullable=False, server_default="2000-01-01"),
    Column("disposed_at", DateTime(timezone=True)),
    UniqueConstraint("originator", "reference", "version"),
    UniqueConstraint("originator", "reference", "content_hash"),
    Index(None, "received_at"),
)

# Who besides the originating unit may see a handling-code C report: unit codes and roles
# named by its conditions (DOMAIN.md §1.2). A row per grantee keeps the check one indexed join.
report_access = Table(
    "report_access",
    metadata,
    Column("report_id", String(40), ForeignKey("reports.id"), primary_key=True),
    Column("grantee", String(50), primary_key=True),
)

entities = Table(
    "entities",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("schema", String(50), nullable=False),
    Column("caption", String(500), nullable=False),
)

statements = Table(
    "statements",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("report_id", String(40), ForeignKey("reports.id"), nullable=False),
    Column("entity_id", String(40), ForeignKey("entities.id"), nullable=False),
    Column("schema", String(50), nullable=False),
    Column("prop", String(50), nullable=False),
    Column("value", Text, nullable=False),
    Column("original_value", Text, nullable=False),
    Column("identifier_kind", String(30)),
    Column("valid", Boolean, nullable=False),
    Column("reason", Text),
    Column("origin", String(10), nullable=False),
    Column("span_start", Integer),
    Column("span_end", Integer),
    # A victim detail of its report (`maxim.store.victim_rule`): withheld from those who may not see victims.
    Column("victim_detail", Boolean, nullable=False, server_default=false()),
    Index(None, "entity_id"),
    Index(None, "report_id"),
    Index(None, "identifier_kind", "value"),
)

report_subjects = Table(
    "report_subjects",
    metadata,
    Column("report_id", String(40), ForeignKey("reports.id"), primary_key=True),
    Column("entity_id", String(40), ForeignKey("entities.id"), primary_key=True),
    Column("category", String(20), nullable=False),
    Column("detail", Text),
    Index(None, "entity_id"),
)

# MoPI reviews (DOMAIN.md §3.2): every decision is kept, with who made it and why.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("originator", String(50), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("reason", Text, nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("next_review", Date),
    Index(None, "originator", "reference"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    # 1, 2, 3, ... with no gaps (ids skip on a rollback in PostgreSQL): covered by the keyed hash (0014).
    # Not unique: that is for `verify` to find (and a constraint would only stop honest writers).
    Column("seq", BigInteger, nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=False),
    Column("operation", String(20), nullable=False),
    Column("object_type", String(30), nullable=False),
    Column("object_ids", JSON, nullable=False),
    Column("justification", Text),
    Column("channel", String(20), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
