"""entity resolution: runs, links, edges, features, blocking keys, judgement ledger

Revision ID: 0003
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resolution_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("model", sa.JSON(), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("term_frequencies", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resolution_runs")),
    )
    op.create_table(
        "resolution_links",
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("canonical_id", sa.String(length=40), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["resolution_runs.id"], name=op.f("fk_resolution_links_run_id_resolution_runs")
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_resolution_links")),
    )
    op.create_index(op.f("ix_resolution_links_canonical_id"), "resolution_links", ["canonical_id"])
    op.create_table(
        "resolution_edges",
        sa.Column("left_id", sa.String(length=40), nullable=False),
        sa.Column("right_id", sa.String(length=40), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["resolution_runs.id"], name=op.f("fk_resolution_edges_run_id_resolution_runs")
        ),
        sa.PrimaryKeyConstraint("left_id", "right_id", name=op.f("pk_resolution_edges")),
    )
    op.create_index(op.f("ix_resolution_edges_right_id"), "resolution_edges", ["right_id"])
    op.create_table(
        "resolution_features",
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["resolution_runs.id"], name=op.f("fk_resolution_features_run_id_resolution_runs")
        ),
        sa.PrimaryKeyConstraint("entity_id", name=op.f("pk_resolution_features")),
    )
    op.create_table(
        "resolution_keys",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("key", "entity_id", name=op.f("pk_resolution_keys")),
    )
    op.create_table(
        "judgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("left_id", sa.String(length=40), nullable=False),
        sa.Column("right_id", sa.String(length=40), nullable=False),
        sa.Column("judgement", sa.String(length=10), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_by", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_judgements")),
    )
    op.create_index(op.f("ix_judgements_left_id"), "judgements", ["left_id"])
    op.create_index(op.f("ix_judgements_right_id"), "judgements", ["right_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_judgements_right_id"), table_name="judgements")
    op.drop_index(op.f("ix_judgements_left_id"), table_name="judgements")
    op.drop_table("judgements")
    op.drop_table("resolution_keys")
    op.drop_table("resolution_features")
    op.drop_index(op.f("ix_resolution_edges_right_id"), table_name="resolution_edges")
    op.drop_table("resolution_edges")
    op.drop_index(op.f("ix_resolution_links_canonical_id"), table_name="resolution_links")
    op.drop_table("resolution_links")
    op.drop_table("resolution_runs")
