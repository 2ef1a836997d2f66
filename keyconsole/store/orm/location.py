"""Where the store is, as SQLAlchemy names it: the URL of a StoreAddress (store/direct/address.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from keyconsole.errors import InvalidStoreURL
from keyconsole.store.direct.address import SQLITE, StoreAddress, store_address

__all__ = ["StoreLocation", "resolve"]


@dataclass(frozen=True)
class StoreLocation:
    address: StoreAddress
    url: URL

    @property
    def is_default(self) -> bool:
        return self.address.is_default

    @property
    def is_sqlite(self) -> bool:
        return self.address.dialect == SQLITE

    @property
    def sqlite_path(self) -> Path | None:
        return self.address.sqlite_path

    @property
    def prepare_threshold(self) -> int | None:
        return self.address.prepare_threshold

    def display(self) -> str:
        """The URL with any password hidden: safe for headers, errors and the audit."""
        return self.address.display


def resolve(db: str | None = None) -> StoreLocation:
    """Pick the store from the option, the environment, or the default file."""
    address = store_address(db)
    if address.conninfo is None:
        path = address.sqlite_path
        return StoreLocation(address, URL.create("sqlite", database=None if path is None else str(path)))
    try:
        url = make_url("postgresql+psycopg://" + address.conninfo.removeprefix("postgresql://"))
    except (ArgumentError, ValueError):
        # A malformed URL may still hold a password; show only its scheme.
        raise InvalidStoreURL("not a valid store URL: postgresql://…") from None
    return StoreLocation(address, url)
