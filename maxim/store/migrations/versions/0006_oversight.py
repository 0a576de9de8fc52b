"""oversight: funding ledger and streams, victim records, safeguarding actions

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "funding_ledgers",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("version", sa.String(length=50), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("staffing_text", sa.Text(), nullable=True),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funding_ledgers")),
    )
    op.create_table(
        "funding_streams",
        sa.Column("ledger_id", _ID, nullable=False),
        sa.Column("id", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("grantor", sa.String(length=30), nullable=False),
        sa.Column("recipient_unit", sa.String(length=50), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("dated", sa.Date(), nullable=True),
        sa.Column("conditions", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("project", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ledger_id"], ["funding_ledgers.id"], name=op.f("fk_funding_streams_ledger_id_funding_ledgers")
        ),
        sa.PrimaryKeyConstraint("ledger_id", "id", name=op.f("pk_funding_streams")),
    )
    op.create_index(op.f("ix_funding_streams_financial_year"), "funding_streams", ["financial_year"], unique=False)
    op.create_table(
        "victims",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("investigating_unit", sa.String(length=50), nullable=False),
        sa.Column("referral_id", sa.String(length=40), nullable=True),
        sa.Column("nrm_case_id", sa.String(length=40), nullable=True),
        sa.Column("known_as", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("age_group", sa.String(length=10), nullable=False),
        sa.Column("consent", sa.String(length=20), nullable=False),
        sa.Column("consent_on", sa.Date(), nullable=True),
        sa.Column("share_with", sa.JSON(), nullable=False),
        sa.Column("support_provider", sa.String(length=200), nullable=True),
        sa.Column("nrm_state", sa.String(length=30), nullable=False),
        sa.Column("exploitation_types", sa.JSON(), nullable=False),
        sa.Column("gender", sa.String(length=30), nullable=True),
        sa.Column("nationality", sa.String(length=10), nullable=True),
        sa.Column("self_defined_ethnicity", sa.String(length=100), nullable=True),
        sa.Column("recovered_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victims")),
    )
    op.create_index(op.f("ix_victims_investigating_unit"), "victims", ["investigating_unit"], unique=False)
    op.create_table(
        "safeguarding_actions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("victim_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("by_unit", sa.String(length=50), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["victim_id"], ["victims.id"], name=op.f("fk_safeguarding_actions_victim_id_victims")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_actions")),
    )
    op.create_index(op.f("ix_safeguarding_actions_victim_id"), "safeguarding_actions", ["victim_id"], unique=False)


def downgrade() -> None:
    op.drop_table("safeguarding_actions")
    op.drop_table("victims")
    op.drop_table("funding_streams")
    op.drop_table("funding_ledgers")
