"""Remembers which (stored hash, presented secret) pairs argon2 has already judged.

Keys are the stored hash string plus a SHA-256 of the presented secret: a rotation writes
a new hash, so a cached answer can never vouch for a rotated secret, and the cache holds
no secret in clear. Only the hash check is cached; the caller still reads the key's row
(active, expiry, scopes) on every call.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from keyconsole.hashing import secret_matches


class HashCheckCache:
    def __init__(self, max_entries: int = 100_000) -> None:
        self._max = max_entries
        self._answers: OrderedDict[tuple[str, bytes], bool] = OrderedDict()
        self._lock = threading.Lock()

    def matches(self, stored_hash: str, secret: str) -> bool:
        entry = (stored_hash, hashlib.sha256(secret.encode()).digest())
        with self._lock:
            answer = self._answers.get(entry)
            if answer is not None:
                self._answers.move_to_end(entry)
                return answer
        answer = secret_matches(stored_hash, secret)
        with self._lock:
            self._answers[entry] = answer
            if len(self._answers) > self._max:
                self._answers.popitem(last=False)
        return answer
