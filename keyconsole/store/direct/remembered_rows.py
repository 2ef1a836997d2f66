"""Rows of a SQLite store remembered for as long as nobody commits.

Each row is kept with the commit marker (store/direct/commit_watch.py) read before the query that
fetched it, and is given back only while the marker is still the same: no connection, in
any process, has committed since, so the row is still what the store holds. Nothing is
remembered where no watch can be trusted.

The watch reads what SQLite maps for a connection the watch holds, which closes only once no
thread can still be reading through it (store/direct/commit_watch.py): letting go of the
watch is how it is closed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.commit_watch import CommitWatch, watch_commits

# Rows remembered; unknown ids count too, so a flood of them cannot grow it.
ENTRIES = 10_000
NOT_KNOWN = object()
_UNUSABLE = object()


class RememberedRows:
    def __init__(self, connect: Callable[[], Any], driver_error: type[Exception]) -> None:
        self._connect = connect
        self._driver_error = driver_error
        self._lock = threading.Lock()
        self._reset()
        fork_safety.register(self)

    def _reset(self) -> None:
        self._watch: CommitWatch | object | None = None  # None: not opened yet
        self._rows: dict[str, tuple[bytes, Any]] = {}

    def recall(self, key: str) -> Any:
        """The row kept for ``key`` if nothing was committed since it was read, else NOT_KNOWN."""
        kept = self._rows.get(key)
        if kept is not None and kept[0] == self.marker():
            return kept[1]
        return NOT_KNOWN

    def marker(self) -> bytes | None:
        """The commit marker now, None where there is no watch. Read it before the query
        whose row is then given to ``keep``."""
        watch = self._watch
        if watch is None:
            watch = self._open()
        if not isinstance(watch, CommitWatch):
            return None
        return watch.marker()

    def keep(self, key: str, marker: bytes | None, row: Any) -> None:
        if marker is None:
            return
        if len(self._rows) >= ENTRIES:
            self._rows.clear()
        self._rows[key] = (marker, row)

    def close(self) -> None:
        with self._lock:
            self._reset()

    def after_fork_in_child(self) -> None:
        # The parent's connection holds the file for the parent only (its locks stay there),
        # and the child lets go of it at once (store/direct/sqlite_ownership.py).
        self._lock = threading.Lock()
        self._reset()

    def _open(self) -> CommitWatch | object | None:
        with self._lock:
            if self._watch is not None:
                return self._watch
            try:
                connection = self._connect()
            except self._driver_error:
                return _UNUSABLE  # for this call; the lookup itself reports the store
            try:
                watch = watch_commits(connection)
            except self._driver_error:
                watch = None  # a store SQLite opens but cannot read: every lookup asks it
            self._watch = _UNUSABLE if watch is None else watch
            return self._watch
