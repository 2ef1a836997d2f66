"""The change feed: every change that can alter a verdict is numbered, on PostgreSQL.

A trigger on each table a verdict reads (api_keys, key_scopes, a scope's name) records, in
the changing transaction, a row of key_changes (the public ids it touched, or NULL for "any
key") and sends a notification. Verifying processes follow the feed to keep rows in memory
and drop them within 100 ms of a change (store/direct/change_feed.py). "Last used" lives in
key_uses, which has no trigger: a verifier's writes never notify (NOTIFY takes a global lock
at commit). The feed's writers take its table's lock until they commit, so numbers are
taken in commit order and a reader that sees one number sees every smaller one.

SQLite has the table (one schema for the models) but no trigger: its verifiers watch the
store's commits instead (store/direct/commit_watch.py).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHANNEL = "keyconsole_key_changes"
# A statement that touches more keys records "any key": a verifier then forgets every row.
LISTED_MAX = 1000
# Rows kept: a follower further behind than this forgets every row (store/direct/change_feed.py).
KEPT = 10000

_FUNCTION = f"""
CREATE OR REPLACE FUNCTION keyconsole_record_key_changes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    touched integer;
    ids text;
    recorded bigint;
BEGIN
    IF TG_TABLE_NAME = 'api_keys' THEN
        SELECT count(*), string_agg(public_id, ' ') INTO touched, ids
        FROM (SELECT public_id FROM changed_rows LIMIT {LISTED_MAX + 1}) AS listed;
    ELSIF TG_TABLE_NAME = 'key_scopes' THEN
        -- A key deleted with its scopes is recorded by the api_keys trigger.
        SELECT count(*), string_agg(k.public_id, ' ') INTO touched, ids
        FROM (SELECT DISTINCT key_id FROM changed_rows LIMIT {LISTED_MAX + 1}) AS listed
        JOIN api_keys k ON k.id = listed.key_id;
    ELSE
        SELECT count(*) INTO touched FROM changed_rows;
        touched := CASE WHEN touched > 0 THEN {LISTED_MAX + 1} ELSE 0 END;
    END IF;
    IF touched = 0 THEN
        RETURN NULL;
    END IF;
    IF touched > {LISTED_MAX} THEN
        ids := NULL;
    END IF;
    -- Held until commit: the next writer takes its number after this one is visible.
    LOCK TABLE key_changes IN SHARE ROW EXCLUSIVE MODE;
    INSERT INTO key_changes (public_ids) VALUES (ids) RETURNING seq INTO recorded;
    DELETE FROM key_changes WHERE seq <= recorded - {KEPT};
    PERFORM pg_notify('{CHANNEL}', recorded::text);
    RETURN NULL;
END
$$
"""
# (table, event, transition table): a transition table takes one event per trigger.
_TRIGGERS = [
    ("api_keys", "INSERT", "NEW"),
    ("api_keys", "UPDATE", "NEW"),
    ("api_keys", "DELETE", "OLD"),
    ("key_scopes", "INSERT", "NEW"),
    ("key_scopes", "UPDATE", "NEW"),
    ("key_scopes", "DELETE", "OLD"),
    ("scopes", "UPDATE", "NEW"),
    ("scopes", "DELETE", "OLD"),
]


def _trigger_name(table: str, event: str) -> str:
    return f"keyconsole_feed_{table}_{event.lower()}"


def upgrade() -> None:
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("key_changes"):
        op.create_table(
            "key_changes",
            sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
            sa.Column("public_ids", sa.Text, nullable=True),
        )
    if bind.dialect.name != "postgresql":
        return
    op.execute(_FUNCTION)
    for table, event, transition in _TRIGGERS:
        name = _trigger_name(table, event)
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table}"
            f" REFERENCING {transition} TABLE AS changed_rows"
            f" FOR EACH STATEMENT EXECUTE FUNCTION keyconsole_record_key_changes()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, event, _ in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {_trigger_name(table, event)} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS keyconsole_record_key_changes()")
    op.drop_table("key_changes")
