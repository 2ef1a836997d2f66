"""Each key's owner (who to ask before touching it) and note (what it is for).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each step checks first, as 0006's do: a store whose version was set back migrates again.
    inspector = sa.inspect(op.get_bind())
    present = {column["name"] for column in inspector.get_columns("api_keys")}
    for name, width in (("owner", 100), ("owner_folded", 400), ("note", 500)):
        if name not in present:
            op.add_column("api_keys", sa.Column(name, sa.String(width), nullable=True))
    if "ix_api_keys_owner_folded" in {index["name"] for index in inspector.get_indexes("api_keys")}:
        return
    if op.get_bind().dialect.name == "postgresql":
        # The filter matches the start of an owner with LIKE 'text%': under a locale
        # collation only a pattern_ops index can serve it.
        op.execute("CREATE INDEX ix_api_keys_owner_folded ON api_keys (owner_folded text_pattern_ops)")
    else:
        op.create_index("ix_api_keys_owner_folded", "api_keys", ["owner_folded"])


def downgrade() -> None:
    op.drop_index("ix_api_keys_owner_folded", table_name="api_keys")
    op.drop_column("api_keys", "note")
    op.drop_column("api_keys", "owner_folded")
    op.drop_column("api_keys", "owner")
