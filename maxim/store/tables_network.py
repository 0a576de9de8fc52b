"""Tables of the network stage: networks found per access scope, their members, harm scores with
their breakdown, the node index updates walk, the scopes computed, and deconfliction alerts. On
the one `metadata`; migrations `0005_network` and `0011_network_incremental`.

Networks are computed from what a user may see, so they are kept per *scope*: the unit and
roles that decide visibility (`maxim.store.network_access.scope_of`). Users of one scope see the
same statements, so they share networks; nothing computed in one scope is shown in another.

A network's rows are rewritten only when its content changes; `version` counts the rewrites, so
an incremental update that leaves a network alone leaves its `version` and `computed_at` alone.
The rank is not stored: one changed priority would move every rank below it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from maxim.store.tables import metadata

_ID = BigInteger().with_variant(Integer, "sqlite")

networks = Table(
    "networks",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("anchor", String(200), nullable=False),
    Column("persons", Integer, nullable=False),
    Column("nodes", Integer, nullable=False),
    Column("priority", Float, nullable=False),
    Column("split", Integer, nullable=False),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)

network_members = Table(
    "network_members",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("network_id", String(40), primary_key=True),
    Column("node_id", Text, primary_key=True),  # an address node is its whole normalised text
    Column("kind", String(30), nullable=False),
    Column("caption", Text, nullable=False),
    Index(None, "scope", "node_id"),
)

network_scores = Table(
    "network_scores",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("subject_type", String(10), primary_key=True),  # network | nominal
    Column("subject_id", String(200), primary_key=True),
    Column("network_id", String(40), nullable=False),
    Column("priority", Float, nullable=False),
    Column("method", String(60), nullable=False),
    Column("breakdown", JSON, nullable=False),
    Column("computed_at", DateTime(timezone=True), nullable=False),
)

# The node index: which reports' folds produce each node, as the scope sees them. An incremental
# update walks it out from the nodes a new report touches; a network's detail reads its reports.
network_node_reports = Table(
    "network_node_reports",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("node_id", Text, primary_key=True),
    Column("report_id", String(40), primary_key=True),
    Index(None, "scope", "report_id"),
)

# The scopes whose networks are stored: who they are (to update them when a report arrives), the
# date their scores are as of, and a generation counter a full refresh checks it was not raced.
network_scopes = Table(
    "network_scopes",
    metadata,
    Column("scope", String(64), primary_key=True),
    Column("unit", String(50), nullable=False),
    Column("roles", Text, nullable=False),  # comma-separated, sorted
    Column("external", Integer, nullable=False),
    Column("as_of", Date),  # None until the first full refresh completes
    Column("generation", Integer, nullable=False),
    Column("computed_at", DateTime(timezone=True)),
)

deconfliction_alerts = Table(
    "deconfliction_alerts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("report_id", String(40), nullable=False),
    Column("operation_id", String(40), nullable=False),
    Column("recipient", String(20), nullable=False),  # owner (the operation's unit) | submitter
    Column("unit", String(50), nullable=False),
    Column("username", String(100)),
    Column("entity", String(200), nullable=False),  # the shared node, as the report names it
    Column("detail", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("report_id", "operation_id", "recipient", "entity"),
    Index(None, "unit"),
    Index(None, "username"),
)
