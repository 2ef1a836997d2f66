"""A trigram index of key names on PostgreSQL (pg_trgm; store/orm/name_index.py).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from keyconsole.store.orm import name_index

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    # A role that may not create pg_trgm keeps the scan (create says so); the store opens.
    if connection.dialect.name == "postgresql":
        name_index.create(connection)
