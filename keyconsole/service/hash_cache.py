"""Remembers which (stored hash, presented secret) pairs argon2 has already judged, and
bounds the argon2 work that wrong secrets can cause.

Keys are the stored hash string plus a BLAKE2s digest of the presented key (which holds the
secret): a rotation writes a new hash, so a cached answer can never vouch for a rotated
secret, and the cache holds no secret in clear. Only the hash check is cached; the caller still reads the key's row
(active, expiry, scopes) on every call. Right and wrong answers are remembered apart: only
a holder of a real secret can add a right one, so a flood of wrong secrets can never push
the real users' answers out.

Per key: after ``FAILURE_BUDGET`` wrong secrets for one stored hash within
``FAILURE_WINDOW_S``, new (uncached) secrets for that hash are refused without running
argon2 until the window moves on. A secret already judged right stays cached and keeps
working, so the key's real users are not locked out by someone guessing at its id.

In total: key ids are not secret, so a flood can spread over many keys. At most
``HASH_SLOTS`` argon2 runs go at once (one per core: each takes 19 MiB and tens of
milliseconds) and at most ``HASH_QUEUE`` more wait for a slot; a check beyond that is
refused as throttled at once, so neither memory nor the wait of a valid caller grows with
the flood.

Threads that ask about the same pair at once share one argon2 run: a server that starts
under load sees one key from dozens of threads in the same millisecond.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum

from keyconsole.hashing import secret_matches
from keyconsole.store.direct import fork_safety

FAILURE_BUDGET = 20
FAILURE_WINDOW_S = 10.0
HASH_SLOTS = os.cpu_count() or 2
HASH_QUEUE = 4 * HASH_SLOTS
# What a caller refused because every slot is taken is told to wait: about the time the
# queue takes to drain.
BUSY_RETRY_AFTER_S = 1.0


class Verdict(Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    THROTTLED = "throttled"


Entry = tuple[str, bytes]


class HashCheckCache:
    def __init__(self, max_matches: int = 100_000, max_mismatches: int = 10_000) -> None:
        # Oldest first (dicts keep insertion order); a single dict read is atomic, so the
        # hit path, taken on nearly every call, needs no lock.
        self._matches: dict[Entry, Verdict] = {}
        self._mismatches: dict[Entry, Verdict] = {}
        self._max_matches = max_matches
        self._max_mismatches = max_mismatches
        self._failures: dict[str, deque[float]] = {}
        self.after_fork_in_child()
        fork_safety.register(self)

    def after_fork_in_child(self) -> None:
        # A lock another thread held at the fork stays held forever in the child.
        self._lock = threading.Lock()
        self._running: dict[Entry, threading.Event] = {}
        self._slots = threading.Semaphore(HASH_SLOTS)
        self._queued = 0

    def known(self, stored_hash: str, digest: bytes, _secret: Callable[[], str]) -> Verdict | None:
        """The verdict if this pair was judged before; None when only argon2 can tell.
        ``digest`` is the presented key's BLAKE2s digest; ``_secret`` is not needed here."""
        entry = (stored_hash, digest)
        return self._matches.get(entry) or self._mismatches.get(entry)

    def check(self, stored_hash: str, digest: bytes, secret: Callable[[], str]) -> Verdict:
        """``secret`` gives the presented secret, asked for only when argon2 must run."""
        entry = (stored_hash, digest)
        known = self._matches.get(entry) or self._mismatches.get(entry)
        if known is not None:
            return known
        while True:
            with self._lock:
                known = self._matches.get(entry) or self._mismatches.get(entry)
                if known is not None:
                    return known
                running = self._running.get(entry)
                if running is None:
                    if self._over_budget(stored_hash, time.monotonic()) or self._queued >= HASH_QUEUE:
                        return Verdict.THROTTLED
                    running = self._running[entry] = threading.Event()
                    self._queued += 1
                    break
            # Another thread is running argon2 on this very pair: its answer is ours.
            running.wait()
        try:
            with self._slots:
                with self._lock:
                    self._queued -= 1
                verdict = Verdict.MATCH if secret_matches(stored_hash, secret()) else Verdict.MISMATCH
            with self._lock:
                if verdict is Verdict.MATCH:
                    _remember(self._matches, self._max_matches, entry, verdict)
                else:
                    _remember(self._mismatches, self._max_mismatches, entry, verdict)
                    self._failures.setdefault(stored_hash, deque()).append(time.monotonic())
        finally:
            with self._lock:
                del self._running[entry]
            running.set()
        return verdict

    def retry_after(self, stored_hash: str) -> float:
        """Seconds until a throttled check of this hash may run argon2 again."""
        now = time.monotonic()
        with self._lock:
            if self._over_budget(stored_hash, now):
                return max(self._failures[stored_hash][0] + FAILURE_WINDOW_S - now, 0.0)
        return BUSY_RETRY_AFTER_S

    def _over_budget(self, stored_hash: str, now: float) -> bool:
        recent = self._failures.get(stored_hash)
        if recent is None:
            return False
        while recent and now - recent[0] > FAILURE_WINDOW_S:
            recent.popleft()
        if not recent:
            del self._failures[stored_hash]
            return False
        return len(recent) >= FAILURE_BUDGET


def _remember(answers: dict[Entry, Verdict], limit: int, entry: Entry, verdict: Verdict) -> None:
    answers[entry] = verdict
    if len(answers) > limit:
        del answers[next(iter(answers))]
