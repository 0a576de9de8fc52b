"""workflow: referrals, routing decisions, SOP versions, alerts, tasks, operations, outcomes, NRM cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner_unit", sa.String(length=50), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint("name", name=op.f("uq_operations_name")),
    )
    op.create_table(
        "sop_versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sop_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_sop_versions_version")),
    )
    op.create_table(
        "operation_subjects",
        sa.Column("operation_id", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["operation_id"], ["operations.id"], name=op.f("fk_operation_subjects_operation_id_operations")
        ),
        sa.PrimaryKeyConstraint("operation_id", "entity_id", name=op.f("pk_operation_subjects")),
    )
    op.create_index(op.f("ix_operation_subjects_entity_id"), "operation_subjects", ["entity_id"], unique=False)
    op.create_table(
        "referrals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("referring_organisation", sa.String(length=50), nullable=False),
        sa.Column("referral_route", sa.String(length=30), nullable=False),
        sa.Column("found_borough", sa.String(length=50), nullable=True),
        sa.Column("victims_adult", sa.Integer(), nullable=False),
        sa.Column("victims_child", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("assigned_unit", sa.String(length=50), nullable=True),
        sa.Column("routed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.String(length=100), nullable=True),
        sa.Column("operation_id", sa.String(length=40), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], name=op.f("fk_referrals_operation_id_operations")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_referrals_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("report_id", name=op.f("uq_referrals_report_id")),
    )
    op.create_index(op.f("ix_referrals_status_assigned_unit"), "referrals", ["status", "assigned_unit"], unique=False)
    op.create_table(
        "nrm_cases",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("referral_id", sa.String(length=40), nullable=True),
        sa.Column("operation_id", sa.String(length=40), nullable=True),
        sa.Column("age_group", sa.String(length=10), nullable=False),
        sa.Column("is_child", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("identified_on", sa.Date(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=True),
        sa.Column("referred_on", sa.Date(), nullable=True),
        sa.Column("dtn_on", sa.Date(), nullable=True),
        sa.Column("rg_decision_on", sa.Date(), nullable=True),
        sa.Column("rg_positive", sa.Boolean(), nullable=True),
        sa.Column("recovery_from", sa.Date(), nullable=True),
        sa.Column("cg_decision_on", sa.Date(), nullable=True),
        sa.Column("cg_positive", sa.Boolean(), nullable=True),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], name=op.f("fk_nrm_cases_operation_id_operations")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_nrm_cases_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nrm_cases")),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("operation_id", sa.String(length=40), nullable=True),
        sa.Column("referral_id", sa.String(length=40), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("offence_code", sa.String(length=30), nullable=True),
        sa.Column("adults", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("poca_kind", sa.String(length=30), nullable=True),
        sa.Column("amount_pence", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], name=op.f("fk_outcomes_operation_id_operations")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_outcomes_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index(op.f("ix_outcomes_occurred_on"), "outcomes", ["occurred_on"], unique=False)
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("rule_set_version", sa.String(length=50), nullable=False),
        sa.Column("rule_id", sa.String(length=100), nullable=True),
        sa.Column("target_unit", sa.String(length=50), nullable=True),
        sa.Column("advice_unit", sa.String(length=50), nullable=True),
        sa.Column("fell_through", sa.Boolean(), nullable=False),
        sa.Column("declined_unit", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_routing_decisions_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
        sa.UniqueConstraint("referral_id", "seq", name=op.f("uq_routing_decisions_referral_id_seq")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("operation_id", sa.String(length=40), nullable=True),
        sa.Column("referral_id", sa.String(length=40), nullable=True),
        sa.Column("tcg_meeting", sa.String(length=100), nullable=True),
        sa.Column("chair", sa.String(length=100), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner_unit", sa.String(length=50), nullable=False),
        sa.Column("owner_user", sa.String(length=100), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tactic", sa.String(length=40), nullable=True),
        sa.Column("nim_level", sa.Integer(), nullable=True),
        sa.Column("control_strategy_priority", sa.String(length=200), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["operation_id"], ["operations.id"], name=op.f("fk_tasks_operation_id_operations")),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_tasks_referral_id_referrals")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index(op.f("ix_tasks_owner_unit_status"), "tasks", ["owner_unit", "status"], unique=False)
    op.create_table(
        "referral_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("referral_id", sa.String(length=40), nullable=False),
        sa.Column("decision_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["routing_decisions.id"], name=op.f("fk_referral_alerts_decision_id_routing_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["referral_id"], ["referrals.id"], name=op.f("fk_referral_alerts_referral_id_referrals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_alerts")),
        sa.UniqueConstraint("decision_id", "kind", name=op.f("uq_referral_alerts_decision_id_kind")),
    )


def downgrade() -> None:
    op.drop_table("referral_alerts")
    op.drop_index(op.f("ix_tasks_owner_unit_status"), table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("routing_decisions")
    op.drop_index(op.f("ix_outcomes_occurred_on"), table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_table("nrm_cases")
    op.drop_index(op.f("ix_referrals_status_assigned_unit"), table_name="referrals")
    op.drop_table("referrals")
    op.drop_index(op.f("ix_operation_subjects_entity_id"), table_name="operation_subjects")
    op.drop_table("operation_subjects")
    op.drop_table("sop_versions")
    op.drop_table("operations")
