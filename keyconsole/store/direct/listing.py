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
from keyconsole.store.direct.key_columns import LISTED, USAGE_COUNTS, select_list

# A key's listed columns (store/direct/key_columns.py), then whether it has a previous secret, and
# its scope names: KeyRow's order.
_PAGE = (
    f"SELECT {select_list(LISTED)}, previous_hash IS NOT NULL, {{scopes}}"
    " FROM api_keys ORDER BY {order} LIMIT {limit} OFFSET {offset}"
)
_COUNT = "SELECT count(*) FROM api_keys"
_ANY_SCOPE = "SELECT EXISTS (SELECT 1 FROM scopes)"
# Every verify a usage row counts (migration 0012), whatever it ended as.
_CALLS = " + ".join(f"u.{count}" for count in USAGE_COUNTS)
# The columns a listing may order by (last_used_at by its name in the SELECT): names are put
# into the SQL, so only these are taken.
_ORDERABLE = frozenset({"name_folded", "public_id", "active", "expires_at", "last_used_at", "created_at", "id", "calls_24h"})
# models.ApiKey.calls_24h: verifies since a moment, the parameter.
_CALLS_SINCE = "(SELECT coalesce(sum({calls}), 0) FROM key_usage_hours u WHERE u.key_id = api_keys.id AND u.hour >= {param})"
_HOURLY_CALLS = (
    "SELECT k.public_id, u.hour, {calls} FROM key_usage_hours u JOIN api_keys k ON k.id = u.key_id"
    " WHERE k.public_id IN ({ids}) AND u.hour >= {param}"
)


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
    direct: DirectConnection,
    order: Sequence[tuple[str, bool]],
    *,
    limit: int | None,
    offset: int = 0,
    usage_since: datetime | None = None,
) -> list[KeyRow]:
    """Keys ``offset`` to ``offset + limit`` in ``order`` ((column, descending) pairs);
    ``calls_24h`` counts verifies since ``usage_since``. Raises the driver's error if the
    read fails."""
    if not order or any(column not in _ORDERABLE for column, _ in order):
        raise ValueError(f"cannot order keys by {order!r}")
    dialect = direct.dialect
    params: list[object] = []
    terms = []
    for column, descending in order:
        if column == "calls_24h":
            if usage_since is None:
                raise ValueError("ordering by calls_24h needs usage_since")
            column = _CALLS_SINCE.format(calls=_CALLS, param=dialect.param)
            params.append(dialect.moment(usage_since))
        # NULLs sort as the ORM's listing sorts them: each backend's own default.
        terms.append(f"{column} {'DESC' if descending else 'ASC'}")
    cursor = direct.connection.cursor()
    cursor.execute(
        _PAGE.format(
            scopes=dialect.scope_names_sql,
            order=", ".join(terms),
            limit=dialect.no_limit if limit is None else int(limit),
            offset=int(offset),
        ),
        params,
    )
    return [_key_row(row, dialect) for row in cursor.fetchall()]


def read_hourly_calls(direct: DirectConnection, public_ids: Sequence[str], since: datetime) -> list[tuple[str, Any, int]]:
    """(public id, hour as its column holds it, calls) of each hour since ``since`` in which
    a key named was verified."""
    if not public_ids:
        return []
    dialect = direct.dialect
    cursor = direct.connection.cursor()
    ids = ", ".join([dialect.param] * len(public_ids))
    cursor.execute(
        _HOURLY_CALLS.format(calls=_CALLS, ids=ids, param=dialect.param), [*public_ids, dialect.moment(since)]
    )
    return cursor.fetchall()  # type: ignore[no-any-return]


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
