"""On PostgreSQL an audit event's time is the database's, not the client's clock.

keyconsole reads ``clock_timestamp()`` once it holds the audit head's lock (service/
audit_log.py), so events are dated in the order they are chained. The hash chain covers
the time, so the trigger cannot set it; it refuses any time outside the writing
transaction (from its start to now): a client with a wrong clock, or one that forges a
date, cannot write an event dated before its own transaction.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_CHECK_TIME = """
CREATE OR REPLACE FUNCTION keyconsole_audit_time() RETURNS trigger AS $$
BEGIN
    IF NEW.at < (now() AT TIME ZONE 'UTC') OR NEW.at > (clock_timestamp() AT TIME ZONE 'UTC') THEN
        RAISE EXCEPTION 'an audit event''s time must be the database''s own (got %), not a client''s clock', NEW.at
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_CHECK_TIME)
    op.execute("DROP TRIGGER IF EXISTS keyconsole_audit_time ON audit_events")
    op.execute(
        "CREATE TRIGGER keyconsole_audit_time BEFORE INSERT ON audit_events"
        " FOR EACH ROW EXECUTE FUNCTION keyconsole_audit_time()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS keyconsole_audit_time ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS keyconsole_audit_time()")
