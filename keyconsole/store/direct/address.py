"""What ``--db`` names: a SQLite file or a PostgreSQL server, parsed without SQLAlchemy.

The one reading of a store's address, for the engine (store/orm/location.py), the verify hot
path and the direct reads (store/direct/driver.py), and the one way its password is hidden, so the
console's header, errors and the audit name a store the same way whichever path opened it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from keyconsole import settings
from keyconsole.errors import InvalidStoreURL
from keyconsole.store.direct.connectors import DEFAULT_PREPARE_THRESHOLD, split_options
from keyconsole.store.direct.paths import default_path

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# A libpq keyword/value string (`host=db dbname=keys password=…`) starts with a keyword.
_KEYWORD_VALUE = re.compile(r"\s*[A-Za-z_]+\s*=")
# A password in a URL's query (libpq takes password and sslpassword there too).
_QUERY_PASSWORD = re.compile(r"([?&](?:ssl)?password=)[^&#]*", re.IGNORECASE)


@dataclass(frozen=True)
class StoreAddress:
    dialect: str
    # Only the default folder is ours to create; a folder named in --db must already exist.
    is_default: bool = False
    # The file, for SQLite; None for an in-memory database.
    sqlite_path: Path | None = None
    # A libpq URI (postgresql://…) without keyconsole's own options, for PostgreSQL.
    conninfo: str | None = None
    prepare_threshold: int | None = DEFAULT_PREPARE_THRESHOLD
    # Whether the change feed may LISTEN (not through a transaction-mode pooler: ?feed=poll).
    listens: bool = True

    @property
    def display(self) -> str:
        """The address as SQLAlchemy renders it, any password hidden: safe for headers,
        errors and the audit."""
        if self.conninfo is not None:
            return "postgresql+psycopg://" + without_password(self.conninfo).removeprefix("postgresql://")
        return f"sqlite:///{self.sqlite_path}" if self.sqlite_path is not None else "sqlite://"


def store_address(db: str | None) -> StoreAddress:
    """Read ``--db`` (else ``KEYCONSOLE_DB``, else the private default file).

    Raises InvalidStoreURL for text that cannot name a store; never shows a password.
    """
    text = db if db is not None else settings.store_url()
    if text is None:
        return StoreAddress(SQLITE, is_default=True, sqlite_path=default_path())
    text = text.strip()
    if not text:
        raise InvalidStoreURL("the store URL is empty")
    if "://" not in text:
        if _KEYWORD_VALUE.match(text):
            return _keyword_value_address(text)
        return StoreAddress(SQLITE, sqlite_path=Path(text).expanduser())
    scheme, _, rest = text.partition("://")
    backend, _, driver = scheme.lower().partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "psycopg"):
            raise InvalidStoreURL(f"use the psycopg driver: postgresql+psycopg://… (got {scheme})")
        conninfo, prepare_threshold, listens = split_options(f"postgresql://{rest}")
        return StoreAddress(POSTGRESQL, conninfo=conninfo, prepare_threshold=prepare_threshold, listens=listens)
    if backend == "sqlite":
        if driver not in ("", "pysqlite"):
            raise InvalidStoreURL(f"unsupported SQLite driver: {scheme}")
        if "?" in rest:
            raise InvalidStoreURL("a SQLite store URL takes no options: sqlite:///PATH")
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy reads them.
        path = rest.removeprefix("/")
        memory = path in ("", ":memory:")
        return StoreAddress(SQLITE, sqlite_path=None if memory else Path(path).expanduser())
    raise InvalidStoreURL(f"unsupported store {backend!r}: use sqlite:///PATH or postgresql+psycopg://…")


def _keyword_value_address(text: str) -> StoreAddress:
    """A libpq keyword/value string, as the URI libpq reads the same way (every keyword
    in its query). Never a SQLite file named after it, password and all."""
    try:
        from psycopg.conninfo import conninfo_to_dict
    except ModuleNotFoundError:
        raise InvalidStoreURL("PostgreSQL support is not installed: pip install 'keyconsole[postgres]'") from None
    try:
        parameters = conninfo_to_dict(text)
    except Exception:  # noqa: BLE001 - psycopg's message may quote the text, password included
        raise InvalidStoreURL(
            "not a store: text with keyword=value is read as a libpq connection string"
            " (host=… dbname=… user=…), and this one has an unknown keyword or bad quoting"
        ) from None
    query = urlencode(sorted((name, str(value)) for name, value in parameters.items()), quote_via=quote)
    return StoreAddress(POSTGRESQL, conninfo=f"postgresql://?{query}")


def without_password(url: str) -> str:
    """``url`` with any password, in its user part or its query, shown as ***."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority, slash, tail = rest.partition("/")
    if "?" in authority:  # postgresql://?host=…: no path before the query
        authority, query = authority.split("?", 1)
        slash, tail = "", "?" + query + (slash + tail if slash else "")
    userinfo, at, host = authority.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    tail = _QUERY_PASSWORD.sub(r"\1***", tail)
    return f"{scheme}://{userinfo}{at}{host}{slash}{tail}"
