"""Verifying presented keys: the path every request of the protected API takes.

Each call gets the key's current row (one indexed lookup by public id; on SQLite a row
remembered while nobody has committed since, store/direct/remembered_rows.py; on PostgreSQL a
row remembered while the change feed is followed, store/direct/followed_rows.py), so a
deactivation, a scope change, an expiry or the end of a rotation's grace period counts on the
very next call in every process on SQLite, and within 100 ms on PostgreSQL (at once in the
process that made it). Every verdict on a known key is counted (service/usage_tally.py). What is cached: argon2's verdict on a (hash, secret) pair, and an
"ok" for as long as the row it was given for stays the same.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from keyconsole import settings, tokens
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.hash_cache import HashCheckCache, Verdict
from keyconsole.service.key_state import Reason, in_grace, is_expired
from keyconsole.service.usage_flush import UsageFlusher
from keyconsole.service.usage_tally import ACCEPTED, INACTIVE, MISSING_SCOPE, OUTCOME_OF, UsageTally
from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.followed_rows import FeedFigures
from keyconsole.store.direct.key_lookup import KeyLookup, KeyState
from keyconsole.store.direct.remembered_rows import NOT_KNOWN

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
    reason: Reason
    key_id: str | None = None
    scopes: tuple[str, ...] = ()
    # With "throttled": seconds until this key's secrets are checked again.
    retry_after: float | None = None

    def __bool__(self) -> bool:
        return self.ok


class _Seen(NamedTuple):
    """What is known of a well-formed presented key: its public id and, once its secret
    matched, the row it matched and the verdict then."""

    public_id: str
    valid_for: KeyState | None
    result: VerifyResult | None
    # Counts one accepted verify of the key (service/usage_tally.py: a counter's __next__,
    # called straight: the warm path's whole cost of counting); None when nothing is counted.
    count_accepted: Callable[[], int] | None = None


class AmbiguousKey:
    """What a request holding two different keys presents (http/verdicts.py)."""

    __slots__ = ()


AMBIGUOUS_KEY = AmbiguousKey()
_AMBIGUOUS = VerifyResult(False, Reason.AMBIGUOUS_KEY)
_MALFORMED = VerifyResult(False, Reason.MALFORMED)
_UNKNOWN = VerifyResult(False, Reason.UNKNOWN)
_INVALID = VerifyResult(False, Reason.INVALID)


class Verifier:
    """Verifies presented keys against the rows ``lookup`` reads.

    Imports no SQLAlchemy, so `keyconsole verify` can run it on a directly opened store.
    """

    def __init__(self, lookup: KeyLookup, clock: Clock = utc_now, *, usage_flush_s: float | None = None) -> None:
        """``usage_flush_s``: how often usage counts are added to the store (by default
        KEYCONSOLE_USAGE_FLUSH_S); 0 counts nothing."""
        self._now = clock
        self._lookup = lookup
        every_s = settings.usage_flush_s() if usage_flush_s is None else usage_flush_s
        self._usage: UsageTally | None = None
        if every_s > 0:
            self._usage = UsageTally(lambda: self._flusher.start())
            self._flusher = UsageFlusher(
                self._usage, lookup.add_usage, lookup.driver_error, clock, every_s=every_s, kept=settings.usage_kept()
            )
        self._local_reads = lookup.reads_locally
        self._hash_checks = HashCheckCache()
        self._last_used_written: dict[int, float] = {}
        self.after_fork_in_child()
        fork_safety.register(self)

    def after_fork_in_child(self) -> None:
        # A lock another thread held at the fork stays held forever in the child.
        self._last_used_lock = threading.Lock()
        # BLAKE2s digest of a presented key that is well formed -> what is known of it (no
        # secret kept). Threads use it unlocked: each use is one dict operation, atomic under
        # the GIL. A child starts it empty: its entries hold the parent's usage counters.
        self._seen: dict[bytes, _Seen] = {}

    def forget_remembered(self) -> None:
        """Drop the rows kept from PostgreSQL's change feed (after a change made here)."""
        self._lookup.forget_remembered()

    def feed_figures(self) -> FeedFigures | None:
        """How current the rows kept from PostgreSQL's change feed are (None on SQLite)."""
        return self._lookup.feed_figures()

    def verify(self, presented: object, required: Iterable[str] = ()) -> VerifyResult:
        return self._verify(presented, required, self._hash_checks.check, at_hand_only=False)  # type: ignore[return-value]

    def verify_if_at_hand(self, presented: object, required: Iterable[str] = ()) -> VerifyResult | None:
        """The verdict when it needs neither an argon2 run (this secret was judged before)
        nor a round trip to a database server (the row is local or kept in memory, no "last
        used" write is due), else None: an event loop answers the first kind inline and
        sends the rest to a thread."""
        return self._verify(presented, required, self._hash_checks.known, at_hand_only=True)

    def flush_usage(self) -> bool:
        """Add the usage counted so far to the store now; False when it could not."""
        return self._usage is None or self._flusher.flush()

    def close(self) -> None:
        if self._usage is not None:
            self._flusher.close()
        self._lookup.close()

    def _verify(
        self, presented: object, required: Iterable[str], check: HashCheck, *, at_hand_only: bool
    ) -> VerifyResult | None:
        if not isinstance(presented, str) or len(presented) != tokens.KEY_LENGTH:
            return _AMBIGUOUS if presented is AMBIGUOUS_KEY else _MALFORMED
        # One digest of the presented key serves every memo: the public id of a key whose
        # shape and checksum were checked before, argon2's verdict on it, and the row its
        # secret was last found valid for. BLAKE2s, not SHA-256: as secure, and Python's own
        # code for it took half the time of OpenSSL's SHA-256 when the caches are cold, as
        # they are inside a busy server.
        digest = hashlib.blake2s(presented.encode("utf-8", "surrogatepass")).digest()
        seen = self._seen.get(digest)
        if seen is None:
            parsed = tokens.parse(presented)
            if parsed is None:
                return _MALFORMED
            seen = _Seen(parsed.public_id, None, None)
            if len(self._seen) >= WELL_FORMED_ENTRIES:
                self._seen.clear()
            self._seen[digest] = seen
        public_id = seen.public_id
        away = at_hand_only and not self._local_reads
        if away:
            key = self._lookup.recall(public_id)
            if key is NOT_KNOWN:
                return None
        else:
            key = self._lookup.find(public_id)
        if key is None:
            return _UNKNOWN
        if key is seen.valid_for or key == seen.valid_for:
            # The same row this secret was found valid for: its current hash, active, these
            # scopes. Only what time and the caller change is left to check.
            result = seen.result
            count_accepted = seen.count_accepted
        else:
            result, lasting = self._judge(presented, digest, public_id, key, check)
            if result is None:
                return None
            counters = None if self._usage is None else self._usage.counters(key.key_id)
            if not result.ok:
                if counters is not None:
                    next(counters[OUTCOME_OF[result.reason]])
                return result
            count_accepted = None if counters is None else counters[ACCEPTED].__next__
            if lasting:
                self._seen[digest] = _Seen(public_id, key, result, count_accepted)
        # None first: most keys never expire, and for them the clock is not read.
        if key.expires_at is not None and is_expired(key.expires_at, self._now()):
            return self._counted(VerifyResult(False, Reason.EXPIRED, public_id, key.scopes), key.key_id, INACTIVE)
        for scope in required:
            if scope not in key.scopes:
                return self._counted(VerifyResult(False, Reason.MISSING_SCOPE, public_id, key.scopes), key.key_id, MISSING_SCOPE)
        # Checked here without the lock (nearly every call ends here) and again under it.
        last = self._last_used_written.get(key.key_id)
        if last is None or time.monotonic() - last >= LAST_USED_INTERVAL_S:
            if away:
                return None
            self._note_use(key.key_id)
        if count_accepted is not None:
            count_accepted()
        return result  # type: ignore[return-value]

    def _counted(self, result: VerifyResult, key_id: int, outcome: int) -> VerifyResult:
        if self._usage is not None:
            next(self._usage.counters(key_id)[outcome])
        return result

    def _judge(
        self, presented: str, digest: bytes, public_id: str, key: KeyState, check: HashCheck
    ) -> tuple[VerifyResult | None, bool]:
        """The verdict on the secret and on the key being active, and whether an "ok" holds
        for as long as the row stays the same (not when it was the old secret of a rotation:
        its grace period ends with time). None when only argon2 can tell and ``check`` may
        not run it."""

        def secret() -> str:
            return tokens.parse(presented).secret  # type: ignore[union-attr] # well-formed, checked above

        # The secret is checked before anything else about the key is revealed: someone who
        # knows only a public id learns nothing about its status.
        checked = key.secret_hash
        verdict = check(checked, digest, secret)
        lasting = True
        if verdict is MISMATCH and key.previous_hash is not None and in_grace(key.previous_hash_until, self._now()):
            # A rotated key's old secret keeps working until its grace period ends.
            checked = key.previous_hash
            verdict = check(checked, digest, secret)
            lasting = False
        if verdict is not MATCH:
            if verdict is None:
                return None, False
            if verdict is THROTTLED:
                return VerifyResult(False, Reason.THROTTLED, retry_after=self._hash_checks.retry_after(checked)), False
            return _INVALID, False
        if not key.active:
            return VerifyResult(False, Reason.INACTIVE, public_id, key.scopes), False
        return VerifyResult(True, Reason.OK, public_id, key.scopes), lasting

    def _note_use(self, key_id: int) -> None:
        tick = time.monotonic()
        with self._last_used_lock:
            last = self._last_used_written.get(key_id)
            if last is not None and tick - last < LAST_USED_INTERVAL_S:
                return
            self._last_used_written[key_id] = tick
        self._lookup.touch(key_id, self._now())
