"""Rows of a PostgreSQL store remembered while the process follows its change feed.

A row is given back only while the feed's lease holds (store/direct/change_feed.py: read
less than ``BOUND_S`` ago), and is dropped when an entry naming its key arrives. A row whose
query began before a change must never outlive that change: a fill is tagged with the count
of drops read before its query and kept only if nothing was dropped meanwhile (an entry
applied, or a change made by this very process, which drops every row at once). When the
lease has lapsed (the feed cannot be read, the thread is late), every lookup reads the store,
which answers or fails closed: nothing is answered from memory beyond the bound.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.change_feed import BOUND_S, FeedFollower
from keyconsole.store.direct.remembered_rows import ENTRIES, NOT_KNOWN


class FeedFigures(NamedTuple):
    """How current a process's rows are, for /metrics."""

    # Seconds since the last read of the feed was sent; None before the first.
    staleness_s: float | None
    # Times the lease had lapsed when a read of the feed came back.
    lease_lapses: int
    # Lookups answered from memory (counted without a lock: close, not exact).
    remembered_hits: int


class FollowedRows:
    def __init__(self, connect: Callable[[], Any], driver_error: type[Exception], *, listen: bool) -> None:
        self._follower = FeedFollower(connect, driver_error, self, listen=listen)
        self._lock = threading.Lock()
        self._reset()
        fork_safety.register(self)

    def _reset(self) -> None:
        self._rows: dict[str, Any] = {}
        self.position = 0
        # Bumped whenever rows are dropped: a fill whose query began before keeps nothing.
        self._drops = 0
        # Until when (time.monotonic()) remembered rows may be given back.
        self._valid_until = 0.0
        self._confirmed_at: float | None = None
        self.hits = 0
        self.lapses = 0

    # -- the verify path ----------------------------------------------------------------------

    def recall(self, key: str) -> Any:
        """The row kept for ``key`` while the lease holds, else NOT_KNOWN."""
        if time.monotonic() >= self._valid_until:
            self._follower.start()
            return NOT_KNOWN
        row = self._rows.get(key, NOT_KNOWN)
        if row is not NOT_KNOWN:
            self.hits += 1
        return row

    def marker(self) -> int | None:
        """Read before the query whose row goes to ``keep``: None while the lease has lapsed
        (nothing is kept then)."""
        return self._drops if time.monotonic() < self._valid_until else None

    def keep(self, key: str, marker: int | None, row: Any) -> None:
        if marker is None:
            return
        with self._lock:
            # Rows dropped since the query began: the row read may predate what dropped them.
            if self._drops != marker:
                return
            if len(self._rows) >= ENTRIES:
                self._rows.clear()
            self._rows[key] = row

    def figures(self) -> FeedFigures:
        confirmed = self._confirmed_at
        return FeedFigures(None if confirmed is None else time.monotonic() - confirmed, self.lapses, self.hits)

    # -- the follower's side ------------------------------------------------------------------

    def start_from(self, position: int) -> None:
        """Forget every row; the feed is followed from ``position``."""
        with self._lock:
            self._rows.clear()
            self._drops += 1
            self.position = position

    def forget(self) -> None:
        """Drop every row, and any fill under way."""
        with self._lock:
            self._rows.clear()
            self._drops += 1

    def apply(self, entries: list[tuple[int, str | None]], sent_at: float) -> None:
        """Drop the rows ``entries`` name and renew the lease from ``sent_at``, when the read
        that found them was sent."""
        with self._lock:
            if entries:
                self._drops += 1
            for seq, public_ids in entries:
                if public_ids is None:
                    self._rows.clear()
                else:
                    for public_id in public_ids.split(" "):
                        self._rows.pop(public_id, None)
                self.position = seq
            if self._confirmed_at is not None and sent_at >= self._valid_until:
                self.lapses += 1
            self._valid_until = sent_at + BOUND_S
            self._confirmed_at = sent_at

    def close(self) -> None:
        self._follower.stop()
        with self._lock:
            self._valid_until = 0.0
            self._rows.clear()

    def after_fork_in_child(self) -> None:
        self._lock = threading.Lock()
        self._reset()
