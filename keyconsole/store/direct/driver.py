"""Open a store without importing SQLAlchemy, for the two reads that cannot wait for it.

Importing SQLAlchemy alone takes about 0.2 s on a 2-core machine: `keyconsole verify` runs
as one process per check in scripts, and the console's first screen should appear as fast
as an empty Textual app's. When the store is plainly usable (an existing SQLite file, or a
PostgreSQL URL, with the schema at HEAD) this opens the driver's connection directly.
Anything else returns None, and the caller opens the store the normal way
(store/orm/database.py), which creates, migrates or explains in one clear line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyconsole.store.direct.address import StoreAddress, store_address
from keyconsole.store.direct.connectors import postgres_connector, sqlite_connector
from keyconsole.store.direct.dialects import POSTGRESQL, SQLITE, Dialect
from keyconsole.store.direct.key_lookup import KeyLookup
from keyconsole.store.migrations import HEAD, VERSION_TABLE


@dataclass(frozen=True)
class Driver:
    """How to reach a store with its driver alone: ``connect`` opens an autocommit connection."""

    connect: Callable[[], Any]
    dialect: Dialect
    display_name: str
    driver_error: type[Exception]
    # The file, for a SQLite store.
    sqlite_path: Path | None = None
    # Whether PostgreSQL's change feed may be followed with LISTEN (?feed=poll: it may not).
    listens: bool = True

    def lookup(self, *, remember: bool = True) -> KeyLookup:
        """A verify lookup that connects when it is first asked (and again after a failure);
        ``remember``: keep rows while provably current (not for a one-shot check)."""
        return KeyLookup(
            self.connect,
            dialect=self.dialect,
            display_name=self.display_name,
            driver_error=self.driver_error,
            sqlite_path=self.sqlite_path,
            remember=remember,
            listen=self.listens,
        )


@dataclass(frozen=True)
class DirectConnection:
    """A ready store's driver and one open connection (in autocommit) to it."""

    driver: Driver
    connection: Any

    @property
    def driver_error(self) -> type[Exception]:
        return self.driver.driver_error

    @property
    def display_name(self) -> str:
        return self.driver.display_name

    @property
    def dialect(self) -> Dialect:
        return self.driver.dialect


def find_driver(db: str | None) -> Driver | None:
    """The driver for ``db`` (as ``--db`` takes it) when it names a SQLite file or a
    PostgreSQL URL; None for anything the normal open must explain. Connects to nothing."""
    try:
        address = store_address(db)
        if address.conninfo is not None:
            return _postgres(address)
        if address.sqlite_path is not None:
            return Driver(
                sqlite_connector(address.sqlite_path), SQLITE, address.display, sqlite3.Error, address.sqlite_path
            )
    except Exception:  # noqa: BLE001 - any doubt: the normal open explains it properly
        return None
    return None


def schema_revision(connection: Any) -> str | None:
    """The store's schema revision, or None where there is no keyconsole version table."""
    try:
        row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    except Exception:  # noqa: BLE001 - each driver names "no such table" its own way
        return None
    return None if row is None else row[0]


def unusable_because(driver: Driver) -> str | None:
    """Why the store cannot be used as it stands (missing, foreign, to be migrated, newer),
    or None when it can. Raises the driver's error when the store cannot be reached."""
    found = ready_lookup(driver)
    if isinstance(found, str):
        return found
    found.close()
    return None


def ready_lookup(driver: Driver, *, remember: bool = True) -> KeyLookup | str:
    """A verify lookup on the store, serving on the connection that found it ready; or why
    it cannot be used. Raises the driver's error when the store cannot be reached."""
    if driver.sqlite_path is not None and not driver.sqlite_path.is_file():
        return f"there is no store at {driver.sqlite_path}"
    connection = driver.connect()
    problem = _schema_problem(driver, schema_revision(connection))
    if problem is not None:
        connection.close()
        return problem
    lookup = driver.lookup(remember=remember)
    lookup.adopt(connection)
    return lookup


def _schema_problem(driver: Driver, revision: str | None) -> str | None:
    if revision is None:
        return f"{driver.display_name} is not a keyconsole store"
    # Revisions are zero-padded numbers (store/migrations/versions), so text order is age.
    if revision < HEAD:
        return (
            f"the store {driver.display_name} needs migrating (schema {revision}, this keyconsole"
            f" {HEAD}): open it once with its owner's rights, e.g. keyconsole keys list --db URL"
        )
    if revision > HEAD:
        return f"the store {driver.display_name} was written by a newer keyconsole (schema {revision}); upgrade"
    return None


def open_direct(db: str | None) -> DirectConnection | None:
    """A direct connection to ``db`` if it is ready to use (schema at HEAD), or None."""
    driver = find_driver(db)
    if driver is None or (driver.sqlite_path is not None and not driver.sqlite_path.is_file()):
        return None
    try:
        connection = driver.connect()
    except Exception:  # noqa: BLE001 - the normal open explains it properly
        return None
    if schema_revision(connection) != HEAD:
        connection.close()
        return None
    return DirectConnection(driver, connection)


def open_lookup(db: str | None) -> KeyLookup | None:
    """A lookup for one check (it keeps no rows) on a direct connection to ``db`` if it is
    ready to use, or None."""
    driver = find_driver(db)
    if driver is None:
        return None
    try:
        found = ready_lookup(driver, remember=False)
    except Exception:  # noqa: BLE001 - the normal open explains it properly
        return None
    # The connection that checked the schema serves the lookups too: a one-shot
    # `keyconsole verify` connects (and on PostgreSQL authenticates) once, not twice.
    return None if isinstance(found, str) else found


def _postgres(address: StoreAddress) -> Driver:
    import psycopg

    assert address.conninfo is not None
    connect = postgres_connector(address.conninfo, address.prepare_threshold)
    return Driver(connect, POSTGRESQL, address.display, psycopg.Error, listens=address.listens)
