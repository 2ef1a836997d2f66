"""Consistent copies of a SQLite store, in and out, through SQLite's online backup API.

A restore writes the backup's pages into the live file as one write transaction: every
connection that has the store open, in any process, sees the restored keys at its next read
(and the commit watch sees the commit), which a file moved over the store cannot give
(store/direct/key_lookup.py, the file check).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from keyconsole.errors import Conflict, InvalidInput, StoreUnavailable
from keyconsole.store.direct.connectors import error_line, sqlite_connector
from keyconsole.store.direct.sqlite_ownership import is_sqlite_file
from keyconsole.store.migrations import HEAD, VERSION_TABLE


def copy_out(store: Path, target: Path) -> None:
    """Write a consistent copy of ``store`` to the new file ``target`` (private to its owner)."""
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Conflict(f"{target} exists already; name a new file") from None
    except OSError as error:
        raise InvalidInput(f"cannot create {target}: {error.strerror}") from None
    os.close(descriptor)
    try:
        with closing(_connect(store)) as source, closing(sqlite3.connect(target)) as copy:
            source.backup(copy)
            # A file on its own: nothing of it may wait in a -wal beside it.
            copy.execute("PRAGMA journal_mode = DELETE").fetchone()
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def backup_revision(backup: Path) -> str:
    """The schema revision of the keyconsole store in the file ``backup``; refuses anything
    else, and a backup newer than this keyconsole."""
    try:
        is_sqlite = is_sqlite_file(backup)
    except sqlite3.Error as error:
        raise InvalidInput(f"cannot read {backup}: {error_line(error)}") from None
    if not is_sqlite:
        raise InvalidInput(f"{backup} is not a keyconsole backup (not a SQLite database)")
    uri = backup.resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            row = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
    except sqlite3.Error:
        row = None
    if row is None:
        raise InvalidInput(f"{backup} is not a keyconsole backup (no keyconsole schema in it)")
    revision = str(row[0])
    if revision > HEAD:
        raise InvalidInput(f"{backup} was written by a newer keyconsole (schema {revision}); upgrade first")
    return revision


def copy_in(backup: Path, store: Path) -> None:
    """Replace the contents of the live ``store`` with those of ``backup``, in one transaction."""
    uri = backup.resolve().as_uri() + "?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as source, closing(_connect(store)) as live:
        try:
            source.backup(live)
        except sqlite3.Error as error:
            raise StoreUnavailable(f"cannot restore into {store}: {error}".splitlines()[0]) from None


def _connect(store: Path) -> sqlite3.Connection:
    if not store.is_file():
        raise StoreUnavailable(f"there is no store at {store}")
    return sqlite_connector(store)()
