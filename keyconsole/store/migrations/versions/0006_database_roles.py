"""The audit's database role, written by PostgreSQL itself, and the roles keyconsole granted.

``audit_events.db_role``: on PostgreSQL a trigger sets it to ``session_user`` on every
insert, whatever the client sent, so no client can choose the role an event names.
``keyconsole_grants``: which role holds which of keyconsole's grants (store/direct/grants.py), so
that every later migration can grant them again on what it made (store/orm/schema.py).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_SET_DB_ROLE = """
CREATE OR REPLACE FUNCTION keyconsole_audit_db_role() RETURNS trigger AS $$
BEGIN
    NEW.db_role := session_user;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    # Each step checks first: a store whose version was set back (tests/test_roles.py does,
    # to migrate a store whose grants are remembered) is migrated again without error.
    inspector = sa.inspect(op.get_bind())
    if "db_role" not in {column["name"] for column in inspector.get_columns("audit_events")}:
        op.add_column("audit_events", sa.Column("db_role", sa.String(128), nullable=True))
    if not inspector.has_table("keyconsole_grants"):
        op.create_table(
            "keyconsole_grants",
            sa.Column("role", sa.String(128), primary_key=True),
            sa.Column("kind", sa.String(16), nullable=False),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET_DB_ROLE)
        op.execute("DROP TRIGGER IF EXISTS keyconsole_audit_db_role ON audit_events")
        op.execute(
            "CREATE TRIGGER keyconsole_audit_db_role BEFORE INSERT ON audit_events"
            " FOR EACH ROW EXECUTE FUNCTION keyconsole_audit_db_role()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS keyconsole_audit_db_role ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS keyconsole_audit_db_role()")
    op.drop_table("keyconsole_grants")
    op.drop_column("audit_events", "db_role")
