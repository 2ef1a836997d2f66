"""A trigram index of key names on SQLite (store/name_index.py), for filters at scale.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from keyconsole.store import name_index

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    # PostgreSQL keeps the LIKE scan; a SQLite without FTS5 trigrams too (create says so).
    if connection.dialect.name == "sqlite":
        name_index.create(connection)
