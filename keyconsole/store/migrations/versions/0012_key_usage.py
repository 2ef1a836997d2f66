"""Per-key usage: how many verifies each key saw, per UTC hour and per UTC day.

Verifying processes count in memory and add their counts here every few seconds
(service/usage_flush.py), so a verifier role writes these two tables (and key_uses) and
nothing else. No foreign key to api_keys, as for key_uses: the verifier's writes must lock no
key row, and a deleted key's history stays until it is pruned (hours after 14 days, days
after 400, by the flush itself).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# What a verify of a known key ended as (service/usage_tally.py): accepted, or refused because
# the key was inactive or expired, lacked a scope asked for, was given a wrong secret, or
# was throttled.
OUTCOMES = ("accepted", "inactive", "missing_scope", "wrong_secret", "throttled")


def _create(table: str, period: str) -> None:
    op.create_table(
        table,
        sa.Column("key_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column(period, sa.DateTime, primary_key=True),
        *(sa.Column(outcome, sa.BigInteger, nullable=False, server_default="0") for outcome in OUTCOMES),
    )
    # Pruning and "the last 24 hours of every key" read by period first.
    op.create_index(f"ix_{table}_{period}", table, [period])


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("key_usage_hours"):
        _create("key_usage_hours", "hour")
    if not inspector.has_table("key_usage_days"):
        _create("key_usage_days", "day")


def downgrade() -> None:
    op.drop_table("key_usage_days")
    op.drop_table("key_usage_hours")
