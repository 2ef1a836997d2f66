"""The store: one SQLAlchemy engine, and the sessions and transactions that use it.

The names below are imported on first use, so store/key_lookup.py and store/direct.py can be
used without importing SQLAlchemy (see `keyconsole verify`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from keyconsole.store.database import Database
    from keyconsole.store.location import StoreLocation, resolve

__all__ = ["Database", "StoreLocation", "resolve"]


def __getattr__(name: str) -> Any:
    if name == "Database":
        from keyconsole.store.database import Database

        return Database
    if name in ("StoreLocation", "resolve"):
        from keyconsole.store import location

        return getattr(location, name)
    raise AttributeError(name)
