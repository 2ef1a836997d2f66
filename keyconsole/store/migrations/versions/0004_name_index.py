"""A trigram index of key names on SQLite (store/orm/name_index.py), for filters at scale.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from keyconsole.store.orm import name_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    # PostgreSQL gets its own in revision 0005; a SQLite without FTS5 trigrams keeps the scan.
    if connection.dialect.name == "sqlite":
        name_index.create(connection)
