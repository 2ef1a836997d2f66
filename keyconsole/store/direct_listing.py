"""Pages of every key, read on a direct connection (store/direct.py).

The console draws its first screen from this while SQLAlchemy is still being imported for
everything else. The order comes from the caller (service/key_query.py's one definition of
each sort), so these pages are the ORM listing's pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from keyconsole.moments import from_column, maybe_from_column
from keyconsole.store.direct import DirectConnection

# Scopes in name order, as the ORM loads them (models.ApiKey.scopes): PostgreSQL orders
# inside the aggregate under its own collation; SQLite's binary order is Python's, so its
# names are sorted after the split.
_SCOPES = {
    "sqlite": "group_concat(s.name, ' ')",
    "postgresql": "string_agg(s.name, ' ' ORDER BY s.name)",
}
_PAGE = (
    "SELECT k.public_id, k.name, k.active, k.created_at, k.updated_at, k.expires_at, k.last_used_at,"
    " k.created_by, k.version, k.previous_hash IS NOT NULL, k.previous_hash_until,"
    " (SELECT {scopes} FROM key_scopes ks JOIN scopes s ON s.id = ks.scope_id WHERE ks.key_id = k.id)"
    " FROM api_keys k ORDER BY {order} LIMIT {limit} OFFSET {offset}"
)
_COUNT = "SELECT count(*) FROM api_keys"
_ANY_SCOPE = "SELECT EXISTS (SELECT 1 FROM scopes)"
# The columns a listing may order by: names are put into the SQL, so only these are taken.
_ORDERABLE = frozenset({"name_folded", "public_id", "active", "expires_at", "last_used_at", "created_at", "id"})


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
    has_previous_hash: bool
    previous_hash_until: datetime | None
    scopes: tuple[str, ...]


def read_keys(
    direct: DirectConnection, order: Sequence[tuple[str, bool]], *, limit: int | None, offset: int = 0
) -> list[KeyRow]:
    """Keys ``offset`` to ``offset + limit`` in ``order`` ((column, descending) pairs).
    Raises the driver's error if the read fails."""
    if not order or any(column not in _ORDERABLE for column, _ in order):
        raise ValueError(f"cannot order keys by {order!r}")
    # NULLs sort as the ORM's listing sorts them: each backend's own default.
    by = ", ".join(f"k.{column} {'DESC' if descending else 'ASC'}" for column, descending in order)
    every = "-1" if direct.dialect == "sqlite" else "ALL"
    cursor = direct.connection.cursor()
    cursor.execute(
        _PAGE.format(
            scopes=_SCOPES[direct.dialect], order=by, limit=every if limit is None else int(limit), offset=int(offset)
        )
    )
    sort_scopes = direct.dialect == "sqlite"
    return [_key_row(row, sort_scopes) for row in cursor.fetchall()]


def count_keys(direct: DirectConnection) -> int:
    cursor = direct.connection.cursor()
    cursor.execute(_COUNT)
    return int(cursor.fetchone()[0])


def has_scopes(direct: DirectConnection) -> bool:
    cursor = direct.connection.cursor()
    cursor.execute(_ANY_SCOPE)
    return bool(cursor.fetchone()[0])


def _key_row(row: Any, sort_scopes: bool) -> KeyRow:
    public_id, name, active, created, updated, expires, last_used, created_by, version, rotated, grace, scopes = row
    names = scopes.split(" ") if scopes else []
    return KeyRow(
        public_id,
        name,
        bool(active),
        from_column(created),
        from_column(updated),
        maybe_from_column(expires),
        maybe_from_column(last_used),
        created_by,
        version,
        bool(rotated),
        maybe_from_column(grace),
        tuple(sorted(names) if sort_scopes else names),
    )
