"""The store's key lifetime policy: one row (maximum lifetime, whether an expiry is required).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Checked first, as 0006's steps are: a store whose version was set back migrates again.
    if sa.inspect(op.get_bind()).has_table("keyconsole_policy"):
        return
    policy = op.create_table(
        "keyconsole_policy",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("max_lifetime_seconds", sa.Integer, nullable=True),
        sa.Column("require_expiry", sa.Boolean, nullable=False),
    )
    op.bulk_insert(policy, [{"id": 1, "max_lifetime_seconds": None, "require_expiry": False}])


def downgrade() -> None:
    op.drop_table("keyconsole_policy")
