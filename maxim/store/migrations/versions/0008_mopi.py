"""MoPI review and retention: group and review date on reports, the reviews ledger.

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("mopi_group", sa.String(length=2), nullable=False, server_default="3"))
        batch.add_column(sa.Column("review_due", sa.Date(), nullable=False, server_default="2000-01-01"))
        batch.add_column(sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("originator", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_review", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index(op.f("ix_reviews_originator_reference"), "reviews", ["originator", "reference"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_reviews_originator_reference"), table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("reports") as batch:
        for column in ("disposed_at", "review_due", "mopi_group"):
            batch.drop_column(column)
