"""Indexes for the keys table at scale: every sort column, and the filter's columns.

The filter compares name and public id with LIKE '%text%', which no B-tree can seek; an
index holding both columns lets the store scan the index alone instead of every row
(about 75 ms for a million keys on SQLite, against seconds through the table).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_api_keys_search", "api_keys", ["name_folded", "public_id"])
    op.create_index("ix_api_keys_expires_at", "api_keys", ["expires_at"])
    op.create_index("ix_api_keys_last_used_at", "api_keys", ["last_used_at"])
    op.create_index("ix_api_keys_active", "api_keys", ["active"])
