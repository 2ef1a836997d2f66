"""Engines tuned for keyconsole: SQLite in WAL with a busy timeout, PostgreSQL via psycopg 3."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event

from keyconsole.errors import StoreUnavailable
from keyconsole.store.direct.connectors import BUSY_TIMEOUT_S, configure_sqlite, error_line, postgres_connect_args
from keyconsole.store.direct.sqlite_ownership import connect_read_only_copy, is_read_only_copy, is_sqlite_file
from keyconsole.store.orm.location import StoreLocation

# Marks a transaction that will write: on SQLite it must take the write lock up front.
WRITE_OPTION = "keyconsole_write"
# How long an admin's change waits for a row another session holds locked on PostgreSQL
# before it gives up and names the holder (store/orm/database.py); SQLite waits its busy timeout.
LOCK_WAIT_S = 5


def make_engine(location: StoreLocation) -> Engine:
    if location.is_sqlite:
        return _sqlite_engine(location)
    try:
        engine = create_engine(
            location.url,
            pool_pre_ping=True,
            connect_args=postgres_connect_args(location.prepare_threshold),
        )
        event.listen(engine, "begin", _begin_postgres_transaction)
        return engine
    except ModuleNotFoundError:
        raise StoreUnavailable(
            "PostgreSQL support is not installed: pip install 'keyconsole[postgres]'"
        ) from None


def _sqlite_engine(location: StoreLocation) -> Engine:
    path = location.sqlite_path
    if path is not None:
        prepare_sqlite_file(path, create_folder=location.is_default)
    if path is not None and is_read_only_copy(path):
        engine = create_engine(location.url, creator=lambda: connect_read_only_copy(path))
    else:
        engine = create_engine(location.url, connect_args={"timeout": BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", _begin_sqlite_transaction)
    return engine


def prepare_sqlite_file(path: Path, *, create_folder: bool) -> None:
    """Refuse what is not a store; create a new store file private to its owner."""
    folder = path.parent
    if not folder.is_dir():
        if not create_folder:
            raise StoreUnavailable(f"the folder {folder} does not exist")
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _check_sqlite_header(path)
    except OSError as err:
        raise StoreUnavailable(f"cannot create the store {path}: {err.strerror}") from None
    else:
        os.close(fd)


def _check_sqlite_header(path: Path) -> None:
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a folder, not a keyconsole store")
    if not os.access(path, os.R_OK):
        raise StoreUnavailable(f"cannot read the store {path}: permission denied")
    try:
        is_sqlite = is_sqlite_file(path)
    except sqlite3.Error as err:
        raise StoreUnavailable(f"cannot read the store {path}: {error_line(err)}") from None
    if not is_sqlite:
        raise StoreUnavailable(f"{path} is not a keyconsole store (not a SQLite database)")


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # With the driver's own transaction handling off, SQLAlchemy's "begin" event below (the
    # documented recipe) lets writers take the lock with BEGIN IMMEDIATE instead of failing
    # on upgrade.
    configure_sqlite(dbapi_connection)


def enable_wal(engine: Engine) -> None:
    """Switch a keyconsole SQLite store to WAL (it persists in the file).

    Called only once the file is known to be ours: switching writes the file header, and a
    file that is not a store must be left untouched. WAL lets verifiers read while an
    admin writes.
    """
    # On the raw connection: SQLAlchemy would open a transaction, and inside one SQLite
    # refuses to change the journal mode.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()
    except sqlite3.OperationalError:
        # A read-only file cannot switch modes; reads still work, writes report read-only.
        pass
    finally:
        connection.close()


def _begin_postgres_transaction(connection: Any) -> None:
    if connection.get_execution_options().get(WRITE_OPTION, False):
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_WAIT_S}s'")


def _begin_sqlite_transaction(connection: Any) -> None:
    writes = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
