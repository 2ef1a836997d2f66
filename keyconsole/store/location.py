"""Where the store is: ``--db URL``, else ``KEYCONSOLE_DB``, else a private SQLite file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from keyconsole.errors import InvalidStoreURL
from keyconsole.store.drivers import DEFAULT_PREPARE_THRESHOLD, split_prepare_threshold
from keyconsole.store.paths import ENV_VAR, default_path

__all__ = ["ENV_VAR", "StoreLocation", "default_path", "parse", "resolve"]


@dataclass(frozen=True)
class StoreLocation:
    url: URL
    # Only the default folder is ours to create; a folder named in --db must already exist.
    is_default: bool
    # psycopg's, from the URL's keyconsole option (store/drivers.py); not part of ``url``.
    prepare_threshold: int | None = DEFAULT_PREPARE_THRESHOLD

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite or self.url.database in (None, "", ":memory:"):
            return None
        return Path(self.url.database).expanduser()

    def display(self) -> str:
        """The URL with any password hidden: safe for headers, errors and the audit."""
        return self.url.render_as_string(hide_password=True)


def resolve(db: str | None = None) -> StoreLocation:
    """Pick the store from the option, the environment, or the default file."""
    text = db if db is not None else (os.environ.get(ENV_VAR) or None)
    if text is None:
        return StoreLocation(URL.create("sqlite", database=str(default_path())), is_default=True)
    text, prepare_threshold = split_prepare_threshold(text.strip())
    return StoreLocation(parse(text), is_default=False, prepare_threshold=prepare_threshold)


def parse(text: str) -> URL:
    """A SQLAlchemy URL, or a plain path that means a SQLite file."""
    text = text.strip()
    if "://" not in text:
        if not text:
            raise InvalidStoreURL("the store URL is empty")
        return URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise InvalidStoreURL(f"not a valid store URL: {_shown(text)}") from None
    backend, _, driver = url.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise InvalidStoreURL(f"use the psycopg driver: postgresql+psycopg://… (got {url.drivername})")
        # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise InvalidStoreURL(f"unsupported SQLite driver: {url.drivername}")
        return url
    raise InvalidStoreURL(f"unsupported store {backend!r}: use sqlite:///PATH or postgresql+psycopg://…")


def _shown(text: str) -> str:
    # A malformed URL may still hold a password; show only its scheme.
    scheme = text.split("://", 1)[0]
    return f"{scheme}://…"
