"""networks: networks per access scope, members, harm scores with breakdowns, deconfliction alerts

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "networks",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("anchor", sa.String(length=200), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("nodes", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("split", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "id", name=op.f("pk_networks")),
    )
    op.create_table(
        "network_members",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("caption", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "network_id", "node_id", name=op.f("pk_network_members")),
    )
    op.create_index(op.f("ix_network_members_scope_node_id"), "network_members", ["scope", "node_id"], unique=False)
    op.create_table(
        "network_scores",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("network_id", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("method", sa.String(length=60), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject_type", "subject_id", name=op.f("pk_network_scores")),
    )
    op.create_table(
        "deconfliction_alerts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("operation_id", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("entity", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deconfliction_alerts")),
        sa.UniqueConstraint(
            "report_id",
            "operation_id",
            "recipient",
            "entity",
            name=op.f("uq_deconfliction_alerts_report_id_operation_id_recipient_entity"),
        ),
    )
    op.create_index(op.f("ix_deconfliction_alerts_unit"), "deconfliction_alerts", ["unit"], unique=False)
    op.create_index(op.f("ix_deconfliction_alerts_username"), "deconfliction_alerts", ["username"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_deconfliction_alerts_username"), table_name="deconfliction_alerts")
    op.drop_index(op.f("ix_deconfliction_alerts_unit"), table_name="deconfliction_alerts")
    op.drop_table("deconfliction_alerts")
    op.drop_table("network_scores")
    op.drop_index(op.f("ix_network_members_scope_node_id"), table_name="network_members")
    op.drop_table("network_members")
    op.drop_table("networks")
