"""Pages of every key, read on a direct connection (store/direct/driver.py), and the listed
columns both listings read: this one and the store's own (service/keys.py).

The console draws its first screen from this while SQLAlchemy is still being imported for
everything else. The order comes from the caller (service/key_query.py's one definition of
each sort), so these pages are the store's listing's pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from keyconsole.moments import from_column, maybe_from_column
from keyconsole.store.direct.dialects import Dialect
from keyconsole.store.direct.driver import DirectConnection
from keyconsole.store.direct.key_columns import LISTED, select_list

# A key's listed columns (store/direct/key_columns.py), then whether it has a previous secret, and
# its scope names: KeyRow's order.
_PAGE = (
    f"SELECT {select_list(LISTED)}, previous_hash IS NOT NULL, {{scopes}}"
    " FROM api_keys ORDER BY {order} LIMIT {limit} OFFSET {offset}"
)
_COUNT = "SELECT count(*) FROM api_keys"
_ANY_SCOPE = "SELECT EXISTS (SELECT 1 FROM scopes)"
# The columns a listing may order by (last_used_at by its name in the SELECT): names are put
# into the SQL, so only these are taken.
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
    previous_hash_until: datetime | None
    owner: str | None
    note: str | None
    has_previous_hash: bool
    scopes: tuple[str, ...]


def read_keys(
    direct: DirectConnection, order: Sequence[tuple[str, bool]], *, limit: int | None, offset: int = 0
) -> list[KeyRow]:
    """Keys ``offset`` to ``offset + limit`` in ``order`` ((column, descending) pairs).
    Raises the driver's error if the read fails."""
    if not order or any(column not in _ORDERABLE for column, _ in order):
        raise ValueError(f"cannot order keys by {order!r}")
    # NULLs sort as the ORM's listing sorts them: each backend's own default.
    by = ", ".join(f"{column} {'DESC' if descending else 'ASC'}" for column, descending in order)
    dialect = direct.dialect
    cursor = direct.connection.cursor()
    cursor.execute(
        _PAGE.format(
            scopes=dialect.scope_names_sql, order=by, limit=dialect.no_limit if limit is None else int(limit), offset=int(offset)
        )
    )
    return [_key_row(row, dialect) for row in cursor.fetchall()]


def count_keys(direct: DirectConnection) -> int:
    cursor = direct.connection.cursor()
    cursor.execute(_COUNT)
    return int(cursor.fetchone()[0])


def has_scopes(direct: DirectConnection) -> bool:
    cursor = direct.connection.cursor()
    cursor.execute(_ANY_SCOPE)
    return bool(cursor.fetchone()[0])


def _key_row(row: Any, dialect: Dialect) -> KeyRow:
    (public_id, name, active, created, updated, expires, last_used, created_by, version, grace, owner, note, rotated,
     scopes) = row
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
        maybe_from_column(grace),
        owner,
        note,
        bool(rotated),
        dialect.scope_names(scopes),
    )
