"""How keyconsole connects with each driver: one set-up for the SQLAlchemy engine, the
verify hot path and the direct reads (store/direct/driver.py). Imports no SQLAlchemy.

The store URL may carry two keyconsole options for PostgreSQL. ``prepare_threshold``:
psycopg prepares a statement on the server after it ran 5 times on a connection, and a
pooler in transaction mode (PgBouncer before 1.21, or later without
``max_prepared_statements``) hands the next transaction another server connection, where
that statement does not exist ("prepared statement "_pg3_0" does not exist").
``?prepare_threshold=none`` turns preparing off; a number sets psycopg's threshold.
``feed=poll``: the change feed is followed by reading it at the bound's rate, without LISTEN,
which a transaction-mode pooler does not carry (store/direct/change_feed.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from keyconsole.errors import InvalidStoreURL
from keyconsole.store.direct.sqlite_ownership import connect_read_only_copy, is_read_only_copy

PREPARE_THRESHOLD_OPTION = "prepare_threshold"
FEED_OPTION = "feed"
FEED_MODES = ("listen", "poll")
# psycopg's own default.
DEFAULT_PREPARE_THRESHOLD: int | None = 5
POSTGRES_CONNECT_ARGS: dict[str, Any] = {"connect_timeout": 5, "application_name": "keyconsole"}
# SQLite readers and writers wait for each other this long before giving up: long enough
# that several admins and verifiers never see "database is locked", short enough to report a
# store that is truly wedged.
BUSY_TIMEOUT_S = 30
SQLITE_BUSY_TIMEOUT_MS = BUSY_TIMEOUT_S * 1000


def split_options(url: str) -> tuple[str, int | None, bool]:
    """The URL without keyconsole's own options, the prepare threshold it asks for, and
    whether the change feed may LISTEN (``feed=poll`` says it may not: a transaction-mode
    pooler, store/direct/change_feed.py)."""
    if "://" not in url or not any(option in url for option in (PREPARE_THRESHOLD_OPTION, FEED_OPTION)):
        return url, DEFAULT_PREPARE_THRESHOLD, True
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    given = {option: [value for name, value in pairs if name == option] for option in (PREPARE_THRESHOLD_OPTION, FEED_OPTION)}
    for option, values in given.items():
        if len(values) > 1 or (values and not parts.scheme.startswith("postgres")):
            raise InvalidStoreURL(f"{option} is an option for a PostgreSQL URL, given once")
    threshold, feed = given[PREPARE_THRESHOLD_OPTION], given[FEED_OPTION]
    if feed and feed[0] not in FEED_MODES:
        raise InvalidStoreURL(f"{FEED_OPTION} must be one of {', '.join(FEED_MODES)}, not {feed[0]!r}")
    rest = urlencode([(name, value) for name, value in pairs if name not in given])
    return (
        parts._replace(query=rest).geturl(),
        _parse_prepare_threshold(threshold[0]) if threshold else DEFAULT_PREPARE_THRESHOLD,
        not feed or feed[0] == "listen",
    )


def _parse_prepare_threshold(text: str) -> int | None:
    value = text.strip().lower()
    if value in ("none", "off", "never"):
        return None
    if value.isdigit():
        return int(value)
    raise InvalidStoreURL(f"{PREPARE_THRESHOLD_OPTION} must be 'none' or a whole number, not {text!r}")


def error_line(error: BaseException) -> str:
    """A driver's error as one line for the user, with the fix where keyconsole knows it."""
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    if "prepared statement" in line and '"_pg3_' in line:
        line += f" (behind a transaction-mode pooler such as PgBouncer, add ?{PREPARE_THRESHOLD_OPTION}=none to the store URL)"
    return line


def postgres_connect_args(prepare_threshold: int | None) -> dict[str, Any]:
    return {**POSTGRES_CONNECT_ARGS, "prepare_threshold": prepare_threshold}


def configure_sqlite(connection: sqlite3.Connection) -> None:
    """Every keyconsole SQLite connection, the engine's included: transactions are begun
    explicitly (the engine begins writers with BEGIN IMMEDIATE, store/orm/engine.py), waits for
    a lock up to the busy timeout, and keeps foreign keys."""
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def sqlite_connector(path: Path) -> Callable[[], sqlite3.Connection]:
    """Autocommit connections to an existing SQLite file, usable from any thread (a read-only
    copy opened immutable, store/direct/sqlite_ownership.py). Never creates one: a file missing for a
    moment (being replaced) is an error to report, not an empty store to make."""

    def connect() -> sqlite3.Connection:
        if is_read_only_copy(path):
            connection = connect_read_only_copy(path)
        else:
            connection = sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, check_same_thread=False)
        configure_sqlite(connection)
        return connection

    return connect


def postgres_connector(conninfo: str, prepare_threshold: int | None) -> Callable[[], Any]:
    """Autocommit psycopg connections; ``conninfo`` is a libpq URI or key=value string."""
    import psycopg

    def connect() -> Any:
        return psycopg.connect(conninfo, autocommit=True, **postgres_connect_args(prepare_threshold))

    return connect
