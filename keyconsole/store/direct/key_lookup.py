"""The verify hot path's queries, run on a raw DB-API connection.

Measured on SQLite (see benchmarks/verify.py), an ORM session per call manages about
9,000 lookups a second and Core with a prebuilt statement about 20,000; a cursor on a raw
connection from SQLAlchemy's own pool about 110,000. Verification sits on every request
of the protected API, so its two queries (the lookup, and "last used" once a minute) step
below SQLAlchemy's execution layer, as the listing's pages do (store/direct/listing.py);
every other query goes through the ORM (docs/architecture.md).

This module imports no SQLAlchemy: `keyconsole verify` as a process can run it on a
connection opened directly (store/direct/driver.py), without paying for SQLAlchemy's import.

Connections come from the hot path's own pool (store/direct/connection_pool.py), shared by any
number of threads, and run in autocommit mode: every lookup sees the latest committed row
(no transaction holds an old snapshot) and nothing is left idle in a transaction on the
server. The rows read are remembered while provably current: on SQLite while nobody commits
(store/direct/remembered_rows.py), on PostgreSQL while the process follows the store's change
feed within 100 ms (store/direct/followed_rows.py). A warm lookup then runs no query and
takes no connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from keyconsole import moments
from keyconsole.errors import StoreUnavailable
from keyconsole.store.direct.connection_pool import ConnectionPool
from keyconsole.store.direct.connectors import SQLITE_BUSY_TIMEOUT_MS, error_line
from keyconsole.store.direct.dialects import Dialect
from keyconsole.store.direct.followed_rows import FeedFigures, FollowedRows
from keyconsole.store.direct.key_columns import LOOKED_UP, select_list
from keyconsole.store.direct.remembered_rows import NOT_KNOWN, RememberedRows
from keyconsole.store.direct.sqlite_ownership import FileIdentity, ImmutableConnection, files_beside, identity, prove_own_lock
from keyconsole.store.direct.usage_writes import add_usage

# One row per key, its scopes joined by spaces (scope names cannot hold one, see
# service/validation.py): a single row is cheaper to fetch and unpack than one per scope.
_LOOKUP = f"SELECT {select_list(LOOKED_UP)}, {{scope_names}} FROM api_keys WHERE public_id = {{param}}"
# "Last used" lives in key_uses, the one table a verifier writes (migration 0010); a key
# deleted meanwhile is not given a row back.
_TOUCH = (
    "INSERT INTO key_uses (key_id, last_used_at) SELECT {param}, {param}"
    " WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = {param})"
    " ON CONFLICT (key_id) DO UPDATE SET last_used_at = excluded.last_used_at"
)
# How long "last used" may wait for SQLite's write lock before it is skipped: a verifier
# must keep answering while an admin holds the lock.
TOUCH_BUSY_TIMEOUT_MS = 100
# How often a SQLite lookup makes sure the file at the store's path is still the one it has
# open: a file replaced under it (a restore by `mv`) is noticed within this time.
FILE_CHECK_INTERVAL_S = 1.0


class KeyState(NamedTuple):
    """What verification needs of a key's current row (a tuple: built on every call)."""

    key_id: int
    active: bool
    expires_at: datetime | None
    secret_hash: str
    previous_hash: str | None
    previous_hash_until: datetime | None
    scopes: tuple[str, ...]  # sorted


class _ServedBeforeAndFailed(Exception):
    """A pooled connection that had served before failed: perhaps only it was stale."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def _key_state(row: tuple[Any, ...] | None) -> KeyState | None:
    if row is None:
        return None
    key_id, active, expires_at, secret_hash, previous_hash, previous_until, scope_names = row
    return KeyState(
        key_id,
        bool(active),
        moments.maybe_from_column(expires_at),
        secret_hash,
        previous_hash,
        moments.maybe_from_column(previous_until),
        tuple(sorted(scope_names.split(" "))) if scope_names else (),
    )


class KeyLookup:
    """Reads a key's current state by public id.

    ``connect`` returns a new DB-API connection in autocommit mode; ``driver_error`` is the
    driver's base exception class; ``sqlite_path`` the file of a SQLite store; ``remember``
    whether rows are kept in memory while provably current; ``listen`` whether PostgreSQL's
    change feed may be followed with LISTEN.
    """

    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        dialect: Dialect,
        display_name: str,
        driver_error: type[Exception],
        sqlite_path: Path | None = None,
        remember: bool = True,
        listen: bool = True,
    ) -> None:
        self._embedded = dialect.embedded
        self._sqlite_path = sqlite_path
        self._file = identity(sqlite_path) if sqlite_path is not None else None
        # The -wal and -shm beside the file, as last seen with a connection open.
        self._beside: frozenset[FileIdentity] = frozenset()
        # Whether the connections read a read-only copy as immutable (no -wal, no locks).
        self._immutable = False
        if sqlite_path is not None:
            connect = self._proven(connect)
        self._pool = ConnectionPool(connect, display_name=display_name, close_inherited=self._embedded)
        self._dialect = dialect
        self._display_name = display_name
        self._driver_error = driver_error
        # Rows kept in memory while provably current: on SQLite while nobody commits, on
        # PostgreSQL while the change feed is followed. A one-shot check keeps none.
        self._remembered: RememberedRows | FollowedRows | None = None
        if remember:
            self._remembered = (
                RememberedRows(connect, driver_error) if self._embedded else FollowedRows(connect, driver_error, listen=listen)
            )
        # None: nothing to check (PostgreSQL, an in-memory database).
        self._file_check_due: float | None = time.monotonic() if sqlite_path is not None else None
        self._sql = _LOOKUP.format(scope_names=self._dialect.scope_names_sql, param=self._dialect.param)
        self._touch_sql = _TOUCH.format(param=self._dialect.param)

    def find(self, public_id: str) -> KeyState | None:
        due = self._file_check_due
        if due is not None and time.monotonic() >= due:
            self._check_file()
        remembered = self._remembered
        if remembered is None:
            return self._find_in_store(public_id)
        state = remembered.recall(public_id)
        if state is not NOT_KNOWN:
            return state  # type: ignore[no-any-return]
        marker = remembered.marker()
        state = self._find_in_store(public_id)
        remembered.keep(public_id, marker, state)
        return state

    @property
    def driver_error(self) -> type[Exception]:
        return self._driver_error

    @property
    def reads_locally(self) -> bool:
        """Whether a lookup reads a local file (SQLite): never a round trip to a server."""
        return self._embedded

    def recall(self, public_id: str) -> KeyState | None | object:
        """The row kept in memory for ``public_id`` (None: no such key), or NOT_KNOWN when
        only the store can answer; never a query."""
        remembered = self._remembered
        return NOT_KNOWN if remembered is None else remembered.recall(public_id)

    def _check_file(self) -> None:
        """Start afresh on the file now at the store's path if it is not the one open.

        A file moved over a store in use (a restore by `mv`) leaves the old store's -wal and
        -shm beside it, under the names SQLite gives the new one's, and SQLite never removes
        them once its file has moved: read with the new file they are neither store (its
        rows and its indexes disagree). While they are there every lookup fails closed."""
        path = self._sqlite_path
        assert path is not None
        self._file_check_due = time.monotonic() + FILE_CHECK_INTERVAL_S
        now = identity(path)
        if now == self._file:
            beside = files_beside(path)
            if self._immutable and beside:
                self._start_afresh()  # the copy is being written after all: read it as a store
            self._beside = beside
            return
        self._start_afresh()
        if files_beside(path) & self._beside:
            # Checked again on every call until they are gone.
            self._file_check_due = 0.0
            raise StoreUnavailable(
                f"the store file {path} was replaced while in use, and the old store's -wal and -shm"
                " are still beside it: stop what uses the store and remove them (restore with"
                " `keyconsole restore` instead, which every open connection sees)"
            )
        self._file, self._beside = now, frozenset()

    def _start_afresh(self) -> None:
        self._pool.renew()
        if self._remembered is not None:
            self._remembered.close()

    def _find_in_store(self, public_id: str) -> KeyState | None:
        try:
            return self._read_once(public_id)
        except _ServedBeforeAndFailed:
            # The server restarted or failed over, and the other idle connections went with
            # it. One new connection decides.
            self._pool.discard_idle()
        try:
            return self._read_once(public_id)
        except _ServedBeforeAndFailed as failed:
            raise self._unavailable(failed.error) from None

    def _read_once(self, public_id: str) -> KeyState | None:
        try:
            item = self._pool.take()
        except self._driver_error as error:
            raise self._unavailable(error) from None
        try:
            cursor = item.cursor
            cursor.execute(self._sql, (public_id,))
            state = _key_state(cursor.fetchone())
        except self._driver_error as error:
            self._pool.discard(item)
            if item.fresh:
                raise self._unavailable(error) from None
            raise _ServedBeforeAndFailed(error) from None
        except BaseException:
            # Interrupted mid-query: the connection's state is unknown.
            self._pool.discard(item)
            raise
        self._pool.give_back(item)
        return state

    def touch(self, key_id: int, now: datetime) -> bool:
        """Record that the key was used; False when the store could not take the write."""
        embedded = self._embedded
        try:
            item = self._pool.take()
        except (self._driver_error, StoreUnavailable):
            return False
        try:
            cursor = item.cursor
            if embedded:
                cursor.execute(f"PRAGMA busy_timeout = {TOUCH_BUSY_TIMEOUT_MS}")
            try:
                cursor.execute(self._touch_sql, (key_id, self._dialect.moment(now), key_id))
            finally:
                if embedded:
                    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        except self._driver_error:
            # "Last used" is a convenience: a read-only or busy store must not fail a valid key.
            self._pool.discard(item)
            return False
        except BaseException:
            self._pool.discard(item)
            raise
        self._pool.give_back(item)
        return True

    def forget_remembered(self) -> None:
        """Drop the rows kept from PostgreSQL's change feed, and any fill under way. (SQLite's
        commit watch sees every commit by itself.)"""
        if isinstance(self._remembered, FollowedRows):
            self._remembered.forget()

    def feed_figures(self) -> FeedFigures | None:
        """How current the rows kept from PostgreSQL's change feed are; None where no feed
        is followed (SQLite, a one-shot lookup)."""
        remembered = self._remembered
        return remembered.figures() if isinstance(remembered, FollowedRows) else None

    def add_usage(
        self,
        periods: Mapping[tuple[str, str], datetime],
        counts: Mapping[int, tuple[int, ...]],
        prune_before: Mapping[tuple[str, str], datetime] | None = None,
    ) -> None:
        """Add usage counts to the store in one transaction (store/direct/usage_writes.py);
        raises the driver's error or StoreUnavailable when it cannot."""
        item = self._pool.take()
        try:
            add_usage(item.connection, self._dialect, periods, counts, prune_before)
        except BaseException:
            self._pool.discard(item)
            raise
        self._pool.give_back(item)

    def close(self) -> None:
        """Close the idle connections (a connection in use closes when it comes back)."""
        if self._remembered is not None:
            self._remembered.close()
        self._pool.close()

    def adopt(self, connection: Any) -> None:
        """Serve lookups on an open connection (in autocommit, from ``connect``) too."""
        if self._sqlite_path is not None:
            self._prove(connection)
        self._pool.adopt(connection)

    def _proven(self, connect: Callable[[], Any]) -> Callable[[], Any]:
        """``connect``, each connection proven (``_prove``)."""

        def connect_proven() -> Any:
            connection = connect()
            self._prove(connection)
            return connection

        return connect_proven

    def _prove(self, connection: Any) -> None:
        """Refuse (and close) a SQLite connection whose process cannot keep SQLite's view
        current (store/direct/sqlite_ownership.py); note the -wal and -shm it opened."""
        path = self._sqlite_path
        assert path is not None
        try:
            prove_own_lock(connection, path)
        except BaseException:
            connection.close()
            raise
        if identity(path) == self._file:
            self._beside = files_beside(path)
        self._immutable = isinstance(connection, ImmutableConnection)

    def _unavailable(self, error: Exception) -> StoreUnavailable:
        return StoreUnavailable(f"cannot use the store {self._display_name}: {error_line(error)}")
