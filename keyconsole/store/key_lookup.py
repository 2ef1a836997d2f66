"""The verify hot path's one query, run on a raw DB-API connection.

Measured on SQLite (see benchmarks/verify.py), an ORM session per call manages about
9,000 lookups a second and Core with a prebuilt statement about 20,000; a cursor on a raw
connection from SQLAlchemy's own pool about 110,000. Verification sits on every request
of the protected API, so this one query steps below SQLAlchemy's execution layer; every
other query in keyconsole goes through the ORM.

Each thread keeps its own connection in autocommit mode: every lookup sees the latest
committed row (no transaction holds an old snapshot) and nothing is left idle in a
transaction on the server.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from keyconsole.errors import StoreUnavailable
from keyconsole.store.database import Store

_LOOKUP = (
    "SELECT k.id, k.active, k.expires_at, k.secret_hash, k.previous_hash, k.previous_hash_until, s.name"
    " FROM api_keys k"
    " LEFT JOIN key_scopes ks ON ks.key_id = k.id"
    " LEFT JOIN scopes s ON s.id = ks.scope_id"
    " WHERE k.public_id = {param}"
)


@dataclass(frozen=True, slots=True)
class KeyState:
    """What verification needs of a key's current row."""

    key_id: int
    active: bool
    expires_at: datetime | None
    secret_hash: str
    previous_hash: str | None
    previous_hash_until: datetime | None
    scopes: frozenset[str]


def _moment(value: Any) -> datetime | None:
    # Columns hold naive UTC (models.UTCDateTime): SQLite hands back text, psycopg datetimes.
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC)


class KeyLookup:
    def __init__(self, store: Store) -> None:
        self._store = store
        dialect = store.engine.dialect
        self._sql = _LOOKUP.format(param="?" if dialect.paramstyle == "qmark" else "%s")
        self._driver_error: type[Exception] = dialect.dbapi.Error  # type: ignore[union-attr]
        self._local = threading.local()

    def find(self, public_id: str) -> KeyState | None:
        try:
            cursor = self._cursor()
            cursor.execute(self._sql, (public_id,))
            rows = cursor.fetchall()
        except self._driver_error as error:
            self._drop()
            raise StoreUnavailable(f"cannot use the store {self._store.display_name}: {error}".splitlines()[0]) from None
        if not rows:
            return None
        key_id, active, expires_at, secret_hash, previous_hash, previous_until, _ = rows[0]
        return KeyState(
            key_id=key_id,
            active=bool(active),
            expires_at=_moment(expires_at),
            secret_hash=secret_hash,
            previous_hash=previous_hash,
            previous_hash_until=_moment(previous_until),
            scopes=frozenset(row[6] for row in rows if row[6] is not None),
        )

    def _cursor(self) -> Any:
        cursor = getattr(self._local, "cursor", None)
        if cursor is None:
            connection = self._store.engine.raw_connection()
            driver = connection.driver_connection
            # sqlite3 is already in autocommit (store/engine.py); psycopg must be told.
            if hasattr(driver, "autocommit") and self._store.dialect == "postgresql":
                driver.autocommit = True
            self._local.connection = connection
            cursor = self._local.cursor = connection.cursor()
        return cursor

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.cursor = self._local.connection = None
        if connection is not None:
            try:
                connection.invalidate()
            except Exception:  # noqa: BLE001 - the connection is already broken
                pass
