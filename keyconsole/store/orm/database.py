"""`Database` owns the engine, its sessions and their transactions, and translates the
driver's failures into errors a user can read."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from keyconsole.errors import Conflict, NotPermitted, StaleEdit, StoreUnavailable
from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.connectors import error_line, postgres_connector, sqlite_connector
from keyconsole.store.direct.dialects import DIALECTS, Dialect
from keyconsole.store.direct.key_lookup import KeyLookup
from keyconsole.store.orm import name_index
from keyconsole.store.orm.engine import LOCK_WAIT_S, WRITE_OPTION, enable_wal, make_engine
from keyconsole.store.orm.location import StoreLocation, resolve
from keyconsole.store.orm.schema import ensure_schema


class Database:
    """An open keyconsole store, its schema up to date.

    Use :meth:`read` for a consistent snapshot and :meth:`write` for a change: each is one
    transaction that commits on success and rolls back on any error, so nothing is ever
    half-written.
    """

    def __init__(self, db: str | StoreLocation | None = None) -> None:
        self.location = db if isinstance(db, StoreLocation) else resolve(db)
        self.engine: Engine = make_engine(self.location)
        with self.translate_errors():
            ensure_schema(self.engine, self.location.display())
            if self.location.is_sqlite:
                enable_wal(self.engine)
        self._after_write: list[Callable[[], None]] = []
        self._readers = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False
        )
        fork_safety.register(self)

    @property
    def display_name(self) -> str:
        return self.location.display()

    @cached_property
    def has_name_index(self) -> bool:
        """Read once, when a filter first asks: a verifying service never does."""
        with self.translate_errors(), self.engine.connect() as connection:
            return name_index.exists(connection)

    @property
    def dialect(self) -> Dialect:
        return DIALECTS[self.engine.dialect.name]

    def may_write(self) -> bool:
        """Whether this connection's role may change keys (PostgreSQL's grants, store/direct/grants.py),
        or, on SQLite, whether the OS user may write the file and its folder (its journal)."""
        if self.dialect.embedded:
            path = self.location.sqlite_path
            return path is None or (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        with self.translate_errors(), self.engine.connect() as connection:
            return bool(
                connection.exec_driver_sql(
                    "SELECT has_table_privilege('api_keys', 'INSERT') AND has_table_privilege('audit_events', 'INSERT')"
                ).scalar()
            )

    def refresh_statistics(self) -> None:
        """After a bulk load, give PostgreSQL's planner what autovacuum would bring only
        minutes later: statistics (which index a filter should use) and the visibility map
        (index-only scans). On a million fresh keys a filter took 420 ms before, 16 after."""
        if self.dialect.embedded:
            return
        autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        with self.translate_errors(), autocommit.connect() as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE) api_keys, key_scopes")

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.translate_errors(), self._readers.begin() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.translate_errors(writing=True), self._writers.begin() as session:
            yield session
        for committed in self._after_write:
            committed()

    def after_each_write(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once each write transaction of this Database has committed."""
        self._after_write.append(callback)

    @contextmanager
    def translate_errors(self, *, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except StaleDataError:
            raise StaleEdit("the key was changed by someone else meanwhile; reload it") from None
        except IntegrityError as err:
            raise Conflict(f"the change clashes with the store: {_first_line(err)}") from None
        except DBAPIError as err:
            if getattr(err.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                raise StoreUnavailable(self._lock_holder()) from None
            if getattr(err.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
                doing = "change keys" if writing else "read this"
                raise NotPermitted(f"this role may not {doing} ({_first_line(err)})") from None
            raise StoreUnavailable(self._explain(err)) from None

    def _lock_holder(self) -> str:
        """Who kept a change waiting: the oldest other session that holds a lock on the keys
        for writing (an UPDATE, a SELECT ... FOR UPDATE), as far as this role may see."""
        waited = f"the change waited {LOCK_WAIT_S} s for a key row another session holds locked"
        try:
            with self.engine.connect() as connection:
                holder = connection.exec_driver_sql(_LOCK_HOLDER_SQL).first()
        except DBAPIError:
            holder = None
        if holder is None:
            return f"{waited}; nothing was changed: try again"
        pid, role, since = holder
        since_text = "?" if since is None else f"{since:%Y-%m-%d %H:%M:%S} UTC"
        return (
            f"{waited}: pid {pid}, role {role}, in a transaction since {since_text}; nothing was changed"
            f" (end that session, e.g. SELECT pg_terminate_backend({pid}), then try again)"
        )

    def _explain(self, err: DBAPIError) -> str:
        reason = _first_line(err)
        if "readonly" in reason.replace(" ", "").lower():
            return f"the store {self.display_name} is read-only: {reason}"
        return f"cannot use the store {self.display_name}: {reason}"

    def key_lookup(self) -> KeyLookup:
        """The verify hot path's reader, on connections of its own (store/direct/connection_pool.py)."""
        return KeyLookup(
            self._lookup_connector(),
            dialect=self.dialect,
            display_name=self.display_name,
            driver_error=self.engine.dialect.dbapi.Error,  # type: ignore[union-attr]
            sqlite_path=self.location.sqlite_path,
            listen=self.location.address.listens,
        )

    def _lookup_connector(self) -> Callable[[], Any]:
        address = self.location.address
        if address.conninfo is not None:
            return postgres_connector(address.conninfo, address.prepare_threshold)
        if address.sqlite_path is not None:
            return sqlite_connector(address.sqlite_path)
        # An in-memory database exists only on the engine's own connection.
        return self.engine.raw_connection

    def after_fork_in_child(self) -> None:
        # The parent's pooled connections are left to it; the child opens its own. SQLite
        # connections the child inherited idle are closed, as the verify path's are
        # (store/direct/connection_pool.py): kept, they would make the child's own share their locks.
        self.engine.dispose(close=self.location.is_sqlite)

    def dispose(self) -> None:
        self.engine.dispose()


# PostgreSQL's "insufficient_privilege": the role lacks a grant (store/direct/grants.py).
_INSUFFICIENT_PRIVILEGE = "42501"
# "lock_not_available": lock_timeout passed (store/orm/engine.py).
_LOCK_NOT_AVAILABLE = "55P03"
_LOCK_HOLDER_SQL = (
    "SELECT a.pid, a.usename, a.xact_start AT TIME ZONE 'UTC' FROM pg_locks l"
    " JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'relation' AND l.relation = 'api_keys'::regclass AND l.granted"
    " AND l.mode <> 'AccessShareLock' AND l.pid <> pg_backend_pid()"
    " ORDER BY a.xact_start LIMIT 1"
)


def _first_line(err: DBAPIError) -> str:
    return error_line(err.orig if err.orig is not None else err)
