"""partner exchange: packages, items, consultations, victim releases, withdrawals, acknowledgements, import mappings

Revision ID: 0010
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "share_consultations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=50), nullable=False),
        sa.Column("consulted", sa.String(length=200), nullable=False),
        sa.Column("consulted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_consultations")),
    )
    op.create_index(
        op.f("ix_share_consultations_report_id_recipient"),
        "share_consultations",
        ["report_id", "recipient"],
        unique=False,
    )
    op.create_table(
        "share_import_mappings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("saved_by", sa.String(length=100), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_import_mappings")),
        sa.UniqueConstraint("name", "sha256", name=op.f("uq_share_import_mappings_name_sha256")),
    )
    op.create_table(
        "share_packages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=50), nullable=False),
        sa.Column("recipient_class", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("entities", sa.Integer(), nullable=False),
        sa.Column("victims_withheld", sa.Integer(), nullable=False),
        sa.Column("transfer_basis", sa.Text(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_packages")),
    )
    op.create_index(op.f("ix_share_packages_recipient"), "share_packages", ["recipient"], unique=False)
    op.create_table(
        "share_victim_releases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=50), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("released_by", sa.String(length=100), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("package_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_victim_releases")),
    )
    op.create_index(
        op.f("ix_share_victim_releases_recipient_report_id"),
        "share_victim_releases",
        ["recipient", "report_id"],
        unique=False,
    )
    op.create_table(
        "share_acknowledgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(length=40), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"], ["share_packages.id"], name=op.f("fk_share_acknowledgements_package_id_share_packages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_acknowledgements")),
    )
    op.create_index(
        op.f("ix_share_acknowledgements_package_id"), "share_acknowledgements", ["package_id"], unique=False
    )
    op.create_table(
        "share_package_items",
        sa.Column("package_id", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("originator", sa.String(length=50), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("handling_code", sa.String(length=1), nullable=False),
        sa.Column("handling_conditions", sa.Text(), nullable=True),
        sa.Column("action_code", sa.String(length=2), nullable=True),
        sa.Column("sanitisation_code", sa.String(length=2), nullable=True),
        sa.Column("entities", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"], ["share_packages.id"], name=op.f("fk_share_package_items_package_id_share_packages")
        ),
        sa.PrimaryKeyConstraint("package_id", "report_id", name=op.f("pk_share_package_items")),
    )
    op.create_index(op.f("ix_share_package_items_report_id"), "share_package_items", ["report_id"], unique=False)
    op.create_table(
        "share_withdrawals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(length=40), nullable=False),
        sa.Column("report_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by", sa.String(length=40), nullable=True),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_in", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["package_id"], ["share_packages.id"], name=op.f("fk_share_withdrawals_package_id_share_packages")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_withdrawals")),
    )
    op.create_index(op.f("ix_share_withdrawals_package_id"), "share_withdrawals", ["package_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_share_withdrawals_package_id"), table_name="share_withdrawals")
    op.drop_table("share_withdrawals")
    op.drop_index(op.f("ix_share_package_items_report_id"), table_name="share_package_items")
    op.drop_table("share_package_items")
    op.drop_index(op.f("ix_share_acknowledgements_package_id"), table_name="share_acknowledgements")
    op.drop_table("share_acknowledgements")
    op.drop_index(op.f("ix_share_victim_releases_recipient_report_id"), table_name="share_victim_releases")
    op.drop_table("share_victim_releases")
    op.drop_index(op.f("ix_share_packages_recipient"), table_name="share_packages")
    op.drop_table("share_packages")
    op.drop_table("share_import_mappings")
    op.drop_index(op.f("ix_share_consultations_report_id_recipient"), table_name="share_consultations")
    op.drop_table("share_consultations")
