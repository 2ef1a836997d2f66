"""Alembic environment: keyconsole always hands in an open connection (see store/orm/schema.py)."""

from alembic import context

from keyconsole.store.migrations import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
