"""Remembers which (stored hash, presented secret) pairs argon2 has already judged, and
bounds the argon2 work a flood of wrong secrets can cause.

Keys are the stored hash string plus a SHA-256 of the presented secret: a rotation writes
a new hash, so a cached answer can never vouch for a rotated secret, and the cache holds
no secret in clear. Only the hash check is cached; the caller still reads the key's row
(active, expiry, scopes) on every call.

Flood bound: after ``FAILURE_BUDGET`` wrong secrets for one stored hash within
``FAILURE_WINDOW_S``, new (uncached) secrets for that hash are refused without running
argon2 until the window moves on. A secret already judged right stays cached and keeps
working, so the key's real users are not locked out by someone guessing at its id; only a
secret this process has never seen waits out the flood.

Threads that ask about the same pair at once share one argon2 run: a server that starts
under load sees one key from dozens of threads in the same millisecond, and each run costs
19 MiB and tens of milliseconds.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from enum import Enum

from keyconsole.hashing import secret_matches
from keyconsole.store import fork_safety

FAILURE_BUDGET = 20
FAILURE_WINDOW_S = 10.0


class Verdict(Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    THROTTLED = "throttled"


class HashCheckCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._max = max_entries
        # Oldest first (dicts keep insertion order); a single dict read is atomic, so the
        # hit path, taken on nearly every call, needs no lock.
        self._answers: dict[tuple[str, bytes], Verdict] = {}
        self._failures: dict[str, deque[float]] = {}
        self.after_fork_in_child()
        fork_safety.register(self)

    def after_fork_in_child(self) -> None:
        # A lock another thread held at the fork stays held forever in the child.
        self._lock = threading.Lock()
        self._running: dict[tuple[str, bytes], threading.Event] = {}

    def check(self, stored_hash: str, secret: str) -> Verdict:
        entry = (stored_hash, hashlib.sha256(secret.encode()).digest())
        known = self._answers.get(entry)
        if known is not None:
            return known
        while True:
            with self._lock:
                known = self._answers.get(entry)
                if known is not None:
                    return known
                running = self._running.get(entry)
                if running is None:
                    if self._over_budget(stored_hash, time.monotonic()):
                        return Verdict.THROTTLED
                    running = self._running[entry] = threading.Event()
                    break
            # Another thread is running argon2 on this very pair: its answer is ours.
            running.wait()
        try:
            verdict = Verdict.MATCH if secret_matches(stored_hash, secret) else Verdict.MISMATCH
            with self._lock:
                self._answers[entry] = verdict
                if len(self._answers) > self._max:
                    del self._answers[next(iter(self._answers))]
                if verdict is Verdict.MISMATCH:
                    self._failures.setdefault(stored_hash, deque()).append(time.monotonic())
        finally:
            with self._lock:
                del self._running[entry]
            running.set()
        return verdict

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
