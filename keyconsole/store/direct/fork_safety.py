"""What a process forked from one that used a store must not reuse.

A connection carried across ``fork()`` is one socket (or one SQLite file handle) shared by
two processes: on PostgreSQL their messages interleave ("server sent data", one process
reading another's answer), and SQLite's documentation forbids using it in the child at all.
Pre-fork servers (gunicorn ``--preload``), a module-level store in a Django or FastAPI app,
and multiprocessing all fork after a store was used. Objects that hold connections or locks
register here, and the child resets them before it runs anything else.
"""

from __future__ import annotations

import os
import weakref
from typing import Any, Protocol


class ForkAware(Protocol):
    def after_fork_in_child(self) -> None: ...


_registered: weakref.WeakSet[Any] = weakref.WeakSet()
# PostgreSQL connections a child inherited. They are kept referenced and never closed:
# closing one would end the parent's session (psycopg itself skips that for an object from
# another process). SQLite's are closed in the child instead (store/direct/sqlite_ownership.py).
_inherited: list[Any] = []


def register(owner: ForkAware) -> None:
    _registered.add(owner)


def leave_untouched(connections: Any) -> None:
    """Keep inherited connections alive, unused, for the life of the child."""
    _inherited.extend(connections)


def _reset_in_child() -> None:
    for owner in list(_registered):
        owner.after_fork_in_child()


os.register_at_fork(after_in_child=_reset_in_child)
