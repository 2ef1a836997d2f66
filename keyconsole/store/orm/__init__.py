"""The store through SQLAlchemy: one engine, and the sessions and transactions that use it."""

from keyconsole.store.orm.database import Database
from keyconsole.store.orm.location import StoreLocation, resolve

__all__ = ["Database", "StoreLocation", "resolve"]
