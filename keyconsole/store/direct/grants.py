"""The rights keyconsole grants a PostgreSQL role, as SQL: verifier, viewer, admin.

- verifier: reads what verification reads, follows the change feed (key_changes, read
  only) and writes nothing but "last used" (key_uses) and usage counts (key_usage_hours,
  key_usage_days), so it can lock no row an admin changes;
- viewer: reads keys, scopes and the audit, changes nothing;
- admin: every key and scope operation; the audit only grows (INSERT, no UPDATE or DELETE
  on its rows; the chain's head row moves forward with each event).

Only the store's owner can grant or revoke, and only the owner can rewrite the audit.
What was granted is remembered in ``keyconsole_grants`` so that a migration that makes new
tables grants the same rights on them (store/orm/schema.py).
"""

from __future__ import annotations

from typing import Any

from keyconsole.errors import InvalidInput
from keyconsole.store.migrations import VERSION_TABLE

KINDS = ("verifier", "viewer", "admin")
_KEY_TABLES = ("api_keys", "scopes", "key_scopes", "key_uses")
_AUDIT_TABLES = ("audit_events", "audit_head")
_USAGE_TABLES = ("key_usage_hours", "key_usage_days")
_ALL_TABLES = (
    *_KEY_TABLES, *_AUDIT_TABLES, *_USAGE_TABLES, "key_changes", "keyconsole_grants", "keyconsole_policy", VERSION_TABLE,
)
# The serial columns' sequences (SQLAlchemy's SERIAL names them table_column_seq).
_SEQUENCES = ("api_keys_id_seq", "scopes_id_seq", "audit_events_id_seq", "key_changes_seq_seq")
_ROLE_NAME_MAX = 63


def quoted_role(role: str) -> str:
    """``role`` as a PostgreSQL identifier; refuses what cannot be one."""
    if not role or len(role.encode()) > _ROLE_NAME_MAX or "\x00" in role or not role.isprintable():
        raise InvalidInput(f"not a PostgreSQL role name: {role!r}")
    return '"' + role.replace('"', '""') + '"'


def plan(kind: str, role: str, *, revoke: bool = False) -> list[str]:
    """The SQL `keyconsole grant` runs (and prints with --print), in order. A role holds one
    kind at a time, so a grant first takes back whatever keyconsole granted it before."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown role kind {kind!r}: use one of {', '.join(KINDS)}")
    who = quoted_role(role)
    return _revoked(who) if revoke else [*_revoked(who), *_granted(kind, who)]


def _revoked(who: str) -> list[str]:
    # Every right any kind grants (none is a column grant: REVOKE ALL on a table leaves those).
    return [
        f"REVOKE ALL ON {', '.join(_ALL_TABLES)} FROM {who}",
        f"REVOKE ALL ON SEQUENCE {', '.join(_SEQUENCES)} FROM {who}",
    ]


def _granted(kind: str, who: str) -> list[str]:
    granted = [f"GRANT USAGE ON SCHEMA public TO {who}"]
    if kind == "verifier":
        granted += [
            f"GRANT SELECT ON api_keys, scopes, key_scopes, key_changes, {VERSION_TABLE} TO {who}",
            # SELECT too: INSERT ... ON CONFLICT DO UPDATE reads the row it updates.
            f"GRANT SELECT, INSERT, UPDATE ON key_uses TO {who}",
            # Counts added every few seconds, and rows past their keeping pruned.
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(_USAGE_TABLES)} TO {who}",
        ]
    else:
        granted.append(f"GRANT SELECT ON {', '.join(_ALL_TABLES)} TO {who}")
    if kind == "admin":
        granted += [
            f"GRANT INSERT, UPDATE, DELETE ON {', '.join(_KEY_TABLES)} TO {who}",
            f"GRANT INSERT ON audit_events TO {who}",
            # The feed's triggers run as the admin: they add a row, prune old ones, and lock
            # the table until commit (migration 0011).
            f"GRANT INSERT, DELETE ON key_changes TO {who}",
            f"GRANT UPDATE ON audit_head, keyconsole_policy TO {who}",
            f"GRANT USAGE ON SEQUENCE {', '.join(_SEQUENCES)} TO {who}",
        ]
    return granted


def role_exists(connection: Any, role: str) -> bool:
    return connection.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(role)s", {"role": role}).first() is not None


def apply(connection: Any, kind: str, role: str, *, revoke: bool = False) -> list[str]:
    """Run :func:`plan` on a SQLAlchemy connection (inside the caller's transaction) and
    remember the grant, or forget it. Returns the statements run."""
    sql = plan(kind, role, revoke=revoke)
    for statement in sql:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DELETE FROM keyconsole_grants WHERE role = %(role)s", {"role": role})
    if not revoke:
        connection.exec_driver_sql(
            "INSERT INTO keyconsole_grants (role, kind) VALUES (%(role)s, %(kind)s)", {"role": role, "kind": kind}
        )
    return sql


def reapply_all(connection: Any) -> None:
    """Grant every remembered role its rights again: after a migration (store/orm/schema.py)."""
    rows = connection.exec_driver_sql("SELECT role, kind FROM keyconsole_grants ORDER BY role").fetchall()
    for role, kind in rows:
        for statement in plan(kind, role):
            connection.exec_driver_sql(statement)
