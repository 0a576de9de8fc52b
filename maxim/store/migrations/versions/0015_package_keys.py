"""partners' package-signing public keys: packages are imported only when signed by a registered key

Revision ID: 0015_package_keys
Revises: 0014_audit_anchor
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_package_keys"
down_revision = "0014_audit_anchor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "package_keys",
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("partner", sa.String(length=50), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_package_keys")),
    )
    op.create_index(op.f("ix_package_keys_partner"), "package_keys", ["partner"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_package_keys_partner"), table_name="package_keys")
    op.drop_table("package_keys")
