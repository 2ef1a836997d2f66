""""Last used" moves out of api_keys into key_uses, the one table a verifier writes.

A role that may update a row may also lock it (SELECT ... FOR UPDATE), and the verifier's
column grant on api_keys.last_used_at let it hold a key's row and keep its deactivation
waiting. Now the verifier writes key_uses only and may lock nothing an admin changes.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Checked first, as 0006's steps are: a store whose version was set back migrates again.
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("key_uses"):
        op.create_table(
            "key_uses",
            sa.Column("key_id", sa.Integer, primary_key=True),
            sa.Column("last_used_at", sa.DateTime, nullable=False),
        )
        op.create_index("ix_key_uses_last_used_at", "key_uses", ["last_used_at"])
    if "last_used_at" in {column["name"] for column in inspector.get_columns("api_keys")}:
        op.execute(
            "INSERT INTO key_uses (key_id, last_used_at)"
            " SELECT id, last_used_at FROM api_keys WHERE last_used_at IS NOT NULL"
        )
        op.drop_index("ix_api_keys_last_used_at", table_name="api_keys")
        op.drop_column("api_keys", "last_used_at")


def downgrade() -> None:
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime, nullable=True))
    op.execute(
        "UPDATE api_keys SET last_used_at ="
        " (SELECT u.last_used_at FROM key_uses u WHERE u.key_id = api_keys.id)"
    )
    op.create_index("ix_api_keys_last_used_at", "api_keys", ["last_used_at"])
    op.drop_table("key_uses")
