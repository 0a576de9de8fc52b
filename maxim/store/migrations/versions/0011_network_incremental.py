"""networks kept incrementally: a version per network instead of a stored rank, the node index, the scopes computed

Stored networks are derived data: this migration empties them, and the next request (or
`maxim networks`) recomputes them with the node index filled.

Revision ID: 0011_network_incremental
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_network_incremental"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("network_scores", "network_members", "networks"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    with op.batch_alter_table("networks") as batch:
        batch.drop_column("rank")
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("network_members") as batch:
        batch.alter_column("node_id", existing_type=sa.String(length=200), type_=sa.Text(), existing_nullable=False)
    op.create_table(
        "network_node_reports",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("node_id", sa.Text(), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("scope", "node_id", "report_id", name=op.f("pk_network_node_reports")),
    )
    op.create_index(
        op.f("ix_network_node_reports_scope_report_id"), "network_node_reports", ["scope", "report_id"], unique=False
    )
    op.create_table(
        "network_scopes",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("external", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_network_scopes")),
    )


def downgrade() -> None:
    op.drop_table("network_scopes")
    op.drop_index(op.f("ix_network_node_reports_scope_report_id"), table_name="network_node_reports")
    op.drop_table("network_node_reports")
    for table in ("network_scores", "network_members", "networks"):
        op.execute(sa.text(f"DELETE FROM {table}"))
    with op.batch_alter_table("network_members") as batch:
        batch.alter_column("node_id", existing_type=sa.Text(), type_=sa.String(length=200), existing_nullable=False)
    with op.batch_alter_table("networks") as batch:
        batch.drop_column("version")
        batch.add_column(sa.Column("rank", sa.Integer(), nullable=False, server_default="0"))
