"""Tables of entity resolution: runs with their saved model, links, edges, the judgement ledger.

Uses the one `metadata` of `maxim.store.tables`; migration `0003_resolution` creates them.
`judgements` is append-only: a changed mind is a new row, and the old one is stamped
`superseded_at`/`superseded_by`, never edited otherwise.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text

from maxim.store.tables import metadata

resolution_runs = Table(
    "resolution_runs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("engine", String(20), nullable=False),
    Column("username", String(100), nullable=False),
    Column("model", JSON),  # Splink's save_model_to_json output: reproduces the scores
    Column("settings", JSON, nullable=False),  # threshold, blocking decisions, seed
    Column("metrics", JSON, nullable=False),  # counts and timings
    Column("term_frequencies", JSON),  # name_key -> relative frequency (real-time TF adjustment)
)

resolution_links = Table(
    "resolution_links",
    metadata,
    Column("entity_id", String(40), primary_key=True),  # a Person mention
    Column("canonical_id", String(40), nullable=False),
    Column("match_probability", Float),
    Column("origin", String(12), nullable=False),  # model, judgement, unresolved
    Column("note", Text),
    Column("run_id", String(40), ForeignKey("resolution_runs.id"), nullable=False),
    Index(None, "canonical_id"),
)

resolution_edges = Table(
    "resolution_edges",
    metadata,
    Column("left_id", String(40), primary_key=True),
    Column("right_id", String(40), primary_key=True),
    Column("match_probability", Float, nullable=False),
    Column("run_id", String(40), ForeignKey("resolution_runs.id"), nullable=False),
    Index(None, "right_id"),
)

resolution_features = Table(
    "resolution_features",
    metadata,
    Column("entity_id", String(40), primary_key=True),
    Column("features", JSON, nullable=False),
    Column("run_id", String(40), ForeignKey("resolution_runs.id"), nullable=False),
)

resolution_keys = Table(
    "resolution_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("entity_id", String(40), primary_key=True),
)

judgements = Table(
    "judgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("left_id", String(40), nullable=False),
    Column("right_id", String(40), nullable=False),
    Column("judgement", String(10), nullable=False),  # same, not_same, unsure
    Column("username", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("superseded_at", DateTime(timezone=True)),
    Column("superseded_by", Integer),
    Column("reason", Text),
    Index(None, "left_id"),
    Index(None, "right_id"),
)
