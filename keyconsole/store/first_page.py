"""The keys table's opening page, read on a direct connection (store/direct.py).

The console draws its first screen from this while SQLAlchemy is still being imported for
everything else. It reads what service/keys.py's default listing reads (every key, by
folded name), so the screen does not change when the store takes over.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from keyconsole.store.direct import DirectConnection
from keyconsole.store.key_lookup import utc_moment

# Scopes in name order, as the ORM loads them (models.ApiKey.scopes): PostgreSQL orders
# inside the aggregate under its own collation; SQLite's binary order is Python's, so its
# names are sorted after the split.
_SCOPES = {
    "sqlite": "group_concat(s.name, ' ')",
    "postgresql": "string_agg(s.name, ' ' ORDER BY s.name)",
}
_PAGE = (
    "SELECT k.public_id, k.name, k.active, k.created_at, k.updated_at, k.expires_at, k.last_used_at,"
    " k.created_by, k.version,"
    " CASE WHEN k.previous_hash IS NOT NULL THEN k.previous_hash_until END,"
    " (SELECT {scopes} FROM key_scopes ks JOIN scopes s ON s.id = ks.scope_id WHERE ks.key_id = k.id)"
    " FROM api_keys k ORDER BY k.name_folded LIMIT {limit}"
)
_ANY_SCOPE = "SELECT EXISTS (SELECT 1 FROM scopes)"


class KeyRow(NamedTuple):
    public_id: str
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    created_by: str
    version: int
    grace_until: datetime | None
    scopes: tuple[str, ...]


def read_first_page(store: DirectConnection, limit: int) -> list[KeyRow]:
    """The first ``limit`` keys by name. Raises the driver's error if the read fails."""
    cursor = store.connection.cursor()
    cursor.execute(_PAGE.format(scopes=_SCOPES[store.dialect], limit=int(limit)))
    sort_scopes = store.dialect == "sqlite"
    return [_key_row(row, sort_scopes) for row in cursor.fetchall()]


def has_scopes(store: DirectConnection) -> bool:
    cursor = store.connection.cursor()
    cursor.execute(_ANY_SCOPE)
    return bool(cursor.fetchone()[0])


def _key_row(row: Any, sort_scopes: bool) -> KeyRow:
    public_id, name, active, created, updated, expires, last_used, created_by, version, grace, scopes = row
    names = scopes.split(" ") if scopes else []
    return KeyRow(
        public_id,
        name,
        bool(active),
        utc_moment(created),
        utc_moment(updated),
        None if expires is None else utc_moment(expires),
        None if last_used is None else utc_moment(last_used),
        created_by,
        version,
        None if grace is None else utc_moment(grace),
        tuple(sorted(names) if sort_scopes else names),
    )
