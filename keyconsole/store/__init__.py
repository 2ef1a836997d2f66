"""The store: one SQLAlchemy engine, and the sessions and transactions that use it."""

from keyconsole.store.database import Store
from keyconsole.store.location import StoreLocation, resolve

__all__ = ["Store", "StoreLocation", "resolve"]
