"""Alembic environment: runs on the connection `maxim.store.migrate` hands it."""

from __future__ import annotations

from alembic import context

from maxim.store.schema import full_metadata
from maxim.store.tables_search import include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=full_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=include_name,  # type: ignore[arg-type]  # Alembic types the hook with Literals; ours takes str
)
with context.begin_transaction():
    context.run_migrations()
