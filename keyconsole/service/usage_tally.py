"""Verifies counted per key and outcome in memory, exactly, from any number of threads.

The verify path adds one to a counter on every verdict about a known key; a few microseconds
per verify is the whole budget, so a count is ``next()`` on an ``itertools.count``: one call
into C, atomic under the GIL, where ``n += 1`` on a shared int could lose a count between
two threads. Counters are never reset: ``take`` reads each one's value and hands on what was
added since the last take, so a count made while it reads is simply in the next.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable

from keyconsole.service.key_state import Reason
from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.key_columns import USAGE_COUNTS

# What a verify of a known key ended as, in the store's column order.
ACCEPTED, INACTIVE, MISSING_SCOPE, WRONG_SECRET, THROTTLED = range(len(USAGE_COUNTS))
# Unknown and malformed keys are not counted: an attacker must not grow the store.
OUTCOME_OF = {
    Reason.OK: ACCEPTED,
    Reason.INACTIVE: INACTIVE,
    Reason.EXPIRED: INACTIVE,
    Reason.MISSING_SCOPE: MISSING_SCOPE,
    Reason.INVALID: WRONG_SECRET,
    Reason.THROTTLED: THROTTLED,
}

Counters = tuple[itertools.count, ...]
Counts = dict[int, tuple[int, ...]]


def _value(counter: itertools.count) -> int:
    # A count cannot be read without advancing it, except through its repr: "count(N)".
    return int(repr(counter)[6:-1])


class UsageTally:
    def __init__(self, first_count: Callable[[], None]) -> None:
        # Called once, when the first key is counted (the flusher starts then: a process
        # that never verifies runs no thread).
        self._first_count = first_count
        self._counters: dict[int, Counters] = {}
        self._taken: dict[int, tuple[int, ...]] = {}
        self._lock = threading.Lock()
        fork_safety.register(self)

    def counters(self, key_id: int) -> Counters:
        """The key's counters, one per outcome: ``next(counters[ACCEPTED])`` counts one."""
        found = self._counters.get(key_id)
        if found is None:
            with self._lock:
                found = self._counters.get(key_id)
                if found is None:
                    first = not self._counters
                    found = self._counters[key_id] = tuple(itertools.count() for _ in USAGE_COUNTS)
                    if first:
                        self._first_count()
        return found

    def take(self) -> Counts:
        """What was counted since the last take, by key (keys with nothing new left out)."""
        added: Counts = {}
        for key_id, counters in list(self._counters.items()):
            now = tuple(_value(counter) for counter in counters)
            before = self._taken.get(key_id)
            if now != before:
                added[key_id] = now if before is None else tuple(a - b for a, b in zip(now, before, strict=True))
                self._taken[key_id] = now
        return added

    def give_back(self, counts: Counts) -> None:
        """Counts taken that could not be stored: the next take hands them on again."""
        for key_id, lost in counts.items():
            before = self._taken[key_id]
            self._taken[key_id] = tuple(b - n for b, n in zip(before, lost, strict=True))

    def after_fork_in_child(self) -> None:
        # The parent adds what it counted; the child starts from nothing, so its first count
        # starts its own flusher (service/verify.py forgets the counters its memo held).
        self._lock = threading.Lock()
        self._counters = {}
        self._taken = {}
