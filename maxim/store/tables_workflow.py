"""Workflow tables: referrals and their routing decisions, SOP versions, alerts, tasks,
operations and outcomes, on the one `metadata` of `maxim.store.tables`.

Ordinary relational rows (DESIGN "The data model"): the facts about people stay statements on
reports; a referral points at its report. Rows that two people may change at once (referrals,
tasks, operations, NRM cases) carry a `version` for optimistic locking. Migration: 0002.
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
    String,
    Table,
    Text,
    UniqueConstraint,
)

from maxim.store.tables import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

sop_versions = Table(
    "sop_versions",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("version", String(50), nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("loaded_by", String(100), nullable=False),
)

operations = Table(
    "operations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("owner_unit", String(50), nullable=False),
    Column("status", String(20), nullable=False),
    Column("description", Text),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
)

operation_subjects = Table(
    "operation_subjects",
    metadata,
    Column("operation_id", String(40), ForeignKey("operations.id"), primary_key=True),
    # A canonical entity id (resolution may map many source entities to it): no foreign key.
    Column("entity_id", String(40), primary_key=True),
    Column("role", String(30)),
    Column("added_at", DateTime(timezone=True), nullable=False),
    Column("added_by", String(100), nullable=False),
    Index(None, "entity_id"),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("report_id", String(40), ForeignKey("reports.id"), nullable=False, unique=True),
    Column("referring_organisation", String(50), nullable=False),
    Column("referral_route", String(30), nullable=False),
    Column("found_borough", String(50)),
    Column("victims_adult", Integer, nullable=False),
    Column("victims_child", Integer, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("assigned_unit", String(50)),
    Column("routed_at", DateTime(timezone=True)),
    Column("accepted_at", DateTime(timezone=True)),
    Column("accepted_by", String(100)),
    Column("operation_id", String(40), ForeignKey("operations.id")),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
    Index(None, "status", "assigned_unit"),
)

routing_decisions = Table(
    "routing_decisions",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("referral_id", String(40), ForeignKey("referrals.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(20), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("rule_set_version", String(50), nullable=False),
    Column("rule_id", String(100)),
    Column("target_unit", String(50)),
    Column("advice_unit", String(50)),
    Column("fell_through", Boolean, nullable=False),
    Column("declined_unit", String(50)),
    Column("reason", Text),
    Column("explanation", JSON, nullable=False),
    UniqueConstraint("referral_id", "seq"),
)

referral_alerts = Table(
    "referral_alerts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("referral_id", String(40), ForeignKey("referrals.id"), nullable=False),
    Column("decision_id", _ID, ForeignKey("routing_decisions.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("unit", String(50), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("detail", Text, nullable=False),
    UniqueConstraint("decision_id", "kind"),
)

tasks = Table(
    "tasks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("operation_id", String(40), ForeignKey("operations.id")),
    Column("referral_id", String(40), ForeignKey("referrals.id")),
    Column("tcg_meeting", String(100)),
    Column("chair", String(100)),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("owner_unit", String(50), nullable=False),
    Column("owner_user", String(100)),
    Column("due_date", Date, nullable=False),
    Column("priority", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("tactic", String(40)),
    Column("nim_level", Integer),
    Column("control_strategy_priority", String(200)),
    Column("result", Text),
    Column("review_date", Date),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
    Index(None, "owner_unit", "status"),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("operation_id", String(40), ForeignKey("operations.id")),
    Column("referral_id", String(40), ForeignKey("referrals.id")),
    Column("count", Integer, nullable=False),
    Column("offence_code", String(30)),
    Column("adults", Integer, nullable=False),
    Column("children", Integer, nullable=False),
    Column("poca_kind", String(30)),
    Column("amount_pence", BigInteger),
    Column("note", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Index(None, "occurred_on"),
)

nrm_cases = Table(
    "nrm_cases",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("referral_id", String(40), ForeignKey("referrals.id")),
    Column("operation_id", String(40), ForeignKey("operations.id")),
    Column("age_group", String(10), nullable=False),
    Column("is_child", Boolean, nullable=False),
    Column("state", String(30), nullable=False),
    Column("identified_on", Date, nullable=False),
    Column("consent", Boolean),
    Column("referred_on", Date),
    Column("dtn_on", Date),
    Column("rg_decision_on", Date),
    Column("rg_positive", Boolean),
    Column("recovery_from", Date),
    Column("cg_decision_on", Date),
    Column("cg_positive", Boolean),
    Column("history", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(100), nullable=False),
)
