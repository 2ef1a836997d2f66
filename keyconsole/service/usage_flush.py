"""Adding a verifying process's usage counts to the store: every few seconds, at each UTC
hour's start, when its verifier closes (`keyconsole serve` on SIGTERM) and when the process
exits normally. A process killed outright, or ended by ``os._exit`` (a child of
multiprocessing's "fork" start method), loses what it counted since the last addition, at
most ``KEYCONSOLE_USAGE_FLUSH_S`` (10 s by default); closing the store first adds it. A forked
child adds only what it counts itself, with its own thread, started by its first count.

Counts taken in one interval are added to the hour and the day the interval began in; the
thread wakes at each hour's start, so an interval never spans two hours (but for the
moment it takes to wake). A store that cannot take them (down, busy, a role that may not
write) keeps them for the next try; the log says so once. Rows past their keeping are
deleted by the first addition of each hour, in the same transaction.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from keyconsole import moments
from keyconsole.errors import KeyconsoleError
from keyconsole.service.clock import Clock
from keyconsole.service.usage_tally import Counts, UsageTally
from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.duty_thread import DutyThread
from keyconsole.store.direct.usage_writes import DAYS, HOURS

log = logging.getLogger("keyconsole.usage")

Write = Callable[[Mapping[tuple[str, str], datetime], Counts, Mapping[tuple[str, str], datetime] | None], None]
HOUR = timedelta(hours=1)


class UsageFlusher:
    def __init__(
        self,
        tally: UsageTally,
        write: Write,
        driver_error: type[Exception],
        clock: Clock,
        *,
        every_s: float,
        kept: tuple[timedelta, timedelta],
    ) -> None:
        self._tally = tally
        self._write = write
        self._driver_error = driver_error
        self._now = clock
        self._every_s = every_s
        self._hours_kept, self._days_kept = kept
        self._duty = DutyThread("keyconsole-usage", self._run)
        self._reset()
        fork_safety.register(self)
        atexit.register(_flush_at_exit, weakref.ref(self))

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._interval_start = self._now()
        self._pruned_hour: datetime | None = None
        self._failing = False

    @property
    def started(self) -> bool:
        return self._duty.started

    def start(self) -> None:
        """Start the thread that adds the counts (called once, at the first count)."""
        if not self._duty.started:
            with self._lock:
                self._interval_start = self._now()
            self._duty.start()

    def flush(self) -> bool:
        """Add what was counted since the last addition; False when the store could not
        take it (it is kept for the next)."""
        with self._lock:
            now = self._now()
            start, self._interval_start = self._interval_start, now
            counts = self._tally.take()
            if not counts:
                return True
            hour, day = moments.start_of_period(start, "hour"), moments.start_of_period(start, "day")
            this_hour = moments.start_of_period(now, "hour")
            prune = None
            if self._pruned_hour != this_hour:
                prune = {HOURS: this_hour - self._hours_kept, DAYS: moments.start_of_period(now, "day") - self._days_kept}
            try:
                self._write({HOURS: hour, DAYS: day}, counts, prune)
            except (self._driver_error, KeyconsoleError) as error:
                self._tally.give_back(counts)
                if not self._failing:
                    self._failing = True
                    log.warning("cannot add usage counts to the store (kept for the next try): %s", error)
                return False
            if prune is not None:
                self._pruned_hour = this_hour
            self._failing = False
            return True

    def close(self) -> None:
        """Stop the thread and add what is left."""
        self._duty.stop(join_s=5)
        self.flush()

    def after_fork_in_child(self) -> None:
        # The thread stays with the parent (store/direct/duty_thread.py), which adds what it
        # counted; the child starts anew.
        self._reset()

    def _run(self) -> None:
        while True:
            now = self._now()
            until_next_hour = (moments.start_of_period(now, "hour") + HOUR - now).total_seconds()
            if not self._duty.pause(min(self._every_s, until_next_hour + 0.001)):
                return
            self.flush()


def _flush_at_exit(flusher: weakref.ref[UsageFlusher]) -> None:
    alive = flusher()
    if alive is not None and alive.started:  # only a flusher that counted
        alive.flush()
