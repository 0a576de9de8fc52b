"""audit chain anchored: a gap-free sequence number in every entry, covered by its keyed hash

Entries were ordered by `id`, which PostgreSQL's sequence skips on a rollback, so a gap could
not tell a deleted entry from a rolled-back one. `seq` is 1, 2, 3, ... (the next is taken under
the chain's lock), indexed, and part of each new entry's HMAC. Existing entries are numbered in
`id` order; they stay hashed the old way (no key, no seq) and `maxim init` seals them under the
new audit key (the anchors file's first checkpoint records their last seq and hash).

Revision ID: 0014_audit_anchor
Revises: 0012_name_spellings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_audit_anchor"
down_revision = "0012_name_spellings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE audit_log SET seq = numbered.n FROM "
        "(SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM audit_log) AS numbered "
        "WHERE numbered.id = audit_log.id"
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.create_index(op.f("ix_audit_log_seq"), ["seq"])


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index(op.f("ix_audit_log_seq"))
        batch.drop_column("seq")
