"""Verifying presented keys: the path every request of the protected API takes.

Each call reads the key's current row (one indexed lookup by public id), so a deactivation,
a scope change, an expiry or the end of a rotation's grace period counts on the very next
call in every process. Only argon2's verdict on a (hash, secret) pair is cached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from keyconsole import tokens
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.hash_cache import HashCheckCache, Verdict
from keyconsole.store import fork_safety
from keyconsole.store.key_lookup import KeyLookup, KeyState

# Enum member lookups cost a fraction of a microsecond each on Python 3.11; the hot path
# compares against these module names instead.
MATCH, MISMATCH, THROTTLED = Verdict.MATCH, Verdict.MISMATCH, Verdict.THROTTLED

# "Last used" is written at most this often per key and process: a write on every call
# would serialise all verifiers on the store's write lock.
LAST_USED_INTERVAL_S = 60.0
# Anyone can make well-formed keys (the checksum is public): the memo of them is bounded.
WELL_FORMED_ENTRIES = 100_000
HashCheck = Callable[[str, bytes, Callable[[], str]], "Verdict | None"]


class VerifyResult(NamedTuple):
    """Truthy when the key is valid; ``reason`` says why not.

    A named tuple because one is built on every request: it is the cheapest immutable record.
    """

    ok: bool
    reason: str
    key_id: str | None = None
    scopes: tuple[str, ...] = ()
    # With "throttled": seconds until this key's secrets are checked again.
    retry_after: float | None = None

    def __bool__(self) -> bool:
        return self.ok


_MALFORMED = VerifyResult(False, "malformed")
_UNKNOWN = VerifyResult(False, "unknown")
_INVALID = VerifyResult(False, "invalid")


class Verifier:
    """Verifies presented keys against the rows ``lookup`` reads.

    Imports no SQLAlchemy, so `keyconsole verify` can run it on a directly opened store.
    """

    def __init__(self, lookup: KeyLookup, clock: Clock = utc_now) -> None:
        self._now = clock
        self._lookup = lookup
        self._hash_checks = HashCheckCache()
        self._last_used_written: dict[int, float] = {}
        # SHA-256 of a presented key that is well formed -> its public id (no secret kept).
        self._well_formed: dict[bytes, str] = {}
        self.after_fork_in_child()
        fork_safety.register(self)

    def after_fork_in_child(self) -> None:
        # A lock another thread held at the fork stays held forever in the child.
        self._last_used_lock = threading.Lock()

    def verify(self, presented: object, required: Iterable[str] = ()) -> VerifyResult:
        return self._verify(presented, required, self._hash_checks.check)  # type: ignore[return-value]

    def verify_if_judged(self, presented: object, required: Iterable[str] = ()) -> VerifyResult | None:
        """The verdict when it needs no argon2 run (this secret was judged before), else
        None: an event loop answers the first kind inline and sends the rest to a thread."""
        return self._verify(presented, required, self._hash_checks.known)

    def close(self) -> None:
        self._lookup.close()

    def _verify(self, presented: object, required: Iterable[str], check: HashCheck) -> VerifyResult | None:
        if not isinstance(presented, str) or len(presented) != tokens.KEY_LENGTH:
            return _MALFORMED
        # One digest of the presented key serves both caches: the public id of a key whose
        # shape and checksum were checked before, and argon2's verdict on it.
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        public_id = self._well_formed.get(digest)
        if public_id is None:
            parsed = tokens.parse(presented)
            if parsed is None:
                return _MALFORMED
            public_id = parsed.public_id
            if len(self._well_formed) >= WELL_FORMED_ENTRIES:
                self._well_formed.clear()
            self._well_formed[digest] = public_id
        key = self._lookup.find(public_id)
        if key is None:
            return _UNKNOWN

        def secret() -> str:
            return tokens.parse(presented).secret  # type: ignore[union-attr] # well-formed, checked above

        # The secret is checked before anything else about the key is revealed: someone who
        # knows only a public id learns nothing about its status.
        checked = key.secret_hash
        verdict = check(checked, digest, secret)
        if verdict is MISMATCH and key.previous_hash is not None and self._in_grace(key):
            # A rotated key's old secret keeps working until its grace period ends.
            checked = key.previous_hash
            verdict = check(checked, digest, secret)
        if verdict is not MATCH:
            if verdict is None:
                return None
            if verdict is THROTTLED:
                return VerifyResult(False, "throttled", retry_after=self._hash_checks.retry_after(checked))
            return _INVALID
        if not key.active:
            return VerifyResult(False, "inactive", public_id, key.scopes)
        if key.expires_at is not None and key.expires_at <= self._now():
            return VerifyResult(False, "expired", public_id, key.scopes)
        for scope in required:
            if scope not in key.scopes:
                return VerifyResult(False, "missing_scope", public_id, key.scopes)
        # Checked here without the lock (nearly every call ends here) and again under it.
        last = self._last_used_written.get(key.key_id)
        if last is None or time.monotonic() - last >= LAST_USED_INTERVAL_S:
            self._note_use(key.key_id)
        return VerifyResult(True, "ok", public_id, key.scopes)

    def _in_grace(self, key: KeyState) -> bool:
        until = key.previous_hash_until
        return until is not None and until > self._now()

    def _note_use(self, key_id: int) -> None:
        tick = time.monotonic()
        with self._last_used_lock:
            last = self._last_used_written.get(key_id)
            if last is not None and tick - last < LAST_USED_INTERVAL_S:
                return
            self._last_used_written[key_id] = tick
        self._lookup.touch(key_id, self._now())
