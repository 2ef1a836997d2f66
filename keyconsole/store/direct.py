"""Open a store without importing SQLAlchemy, for the two reads that cannot wait for it.

Importing SQLAlchemy alone takes about 0.2 s on a 2-core machine: `keyconsole verify` runs
as one process per check in scripts, and the console's first screen should appear as fast
as an empty Textual app's. When the store is plainly usable (an existing SQLite file, or a
PostgreSQL URL, with the schema at HEAD) this opens the driver's connection directly.
Anything else returns None, and the caller opens the store the normal way
(store/database.py), which creates, migrates or explains in one clear line.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keyconsole.store.drivers import postgres_connector, split_prepare_threshold, sqlite_connector
from keyconsole.store.key_lookup import KeyLookup
from keyconsole.store.migrations import HEAD, VERSION_TABLE
from keyconsole.store.paths import ENV_VAR, default_path

_SQLITE_URL = re.compile(r"sqlite(\+pysqlite)?:///(?P<path>[^?]+)")
_POSTGRES_URL = re.compile(r"(postgresql|postgres)(\+psycopg)?://(?P<rest>.+)")


@dataclass(frozen=True)
class DirectStore:
    """A ready store's driver: ``connection`` is open (in autocommit), ``connect`` makes more."""

    connect: Callable[[], Any]
    connection: Any
    dialect: str
    display_name: str
    driver_error: type[Exception]


def open_direct(db: str | None) -> DirectStore | None:
    """A direct connection to ``db`` (as ``--db`` takes it) if it is ready to use, or None."""
    text = (db if db is not None else os.environ.get(ENV_VAR) or "").strip()
    try:
        if not text:
            return _sqlite(default_path())
        if "://" not in text:
            return _sqlite(Path(text).expanduser())
        if match := _SQLITE_URL.fullmatch(text):
            return _sqlite(Path(match["path"]).expanduser())
        if match := _POSTGRES_URL.fullmatch(text):
            return _postgres("postgresql://" + match["rest"])
    except Exception:  # noqa: BLE001 - any doubt: the normal open explains it properly
        return None
    return None


def open_lookup(db: str | None) -> KeyLookup | None:
    """A verify lookup on a direct connection to ``db``, or None."""
    direct = open_direct(db)
    if direct is None:
        return None
    lookup = KeyLookup(
        direct.connect, dialect=direct.dialect, display_name=direct.display_name, driver_error=direct.driver_error
    )
    # The connection that checked the schema serves the lookups too: a one-shot
    # `keyconsole verify` connects (and on PostgreSQL authenticates) once, not twice.
    lookup.adopt(direct.connection)
    return lookup


def _sqlite(path: Path) -> DirectStore | None:
    if not path.is_file():
        return None
    # As SQLAlchemy renders the URL (store/location.py), so the console's header is the same
    # before and after the store opens.
    return _checked(sqlite_connector(path), "sqlite", f"sqlite:///{path}", sqlite3.Error)


def _postgres(url: str) -> DirectStore | None:
    import psycopg

    conninfo, prepare_threshold = split_prepare_threshold(url)
    connect = postgres_connector(conninfo, prepare_threshold)
    return _checked(connect, "postgresql", _without_password(conninfo), psycopg.Error)


def _without_password(conninfo: str) -> str:
    authority, slash, rest = conninfo.removeprefix("postgresql://").partition("/")
    userinfo, at, host = authority.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return f"postgresql+psycopg://{userinfo}{at}{host}{slash}{rest}"


def _checked(connect: Any, dialect: str, shown: str, driver_error: type[Exception]) -> DirectStore | None:
    """The store, if its schema is the one this keyconsole writes."""
    connection = connect()
    try:
        row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    except BaseException:
        connection.close()
        raise
    if row is None or row[0] != HEAD:
        connection.close()
        return None
    return DirectStore(connect, connection, dialect, shown, driver_error)
