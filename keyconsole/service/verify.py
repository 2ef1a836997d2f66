"""Verifying presented keys: the path every request of the protected API takes.

Each call reads the key's current row (one indexed lookup by public id), so a deactivation,
a scope change, an expiry or the end of a rotation's grace period counts on the very next
call in every process. Only argon2's verdict on a (hash, secret) pair is cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.exc import DBAPIError

from keyconsole import tokens
from keyconsole.models import ApiKey
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.hash_cache import HashCheckCache, Verdict
from keyconsole.store import Store
from keyconsole.store.key_lookup import KeyLookup, KeyState

# "Last used" is written at most this often per key and process: a write on every call
# would serialise all verifiers on the store's write lock.
LAST_USED_INTERVAL_S = 60.0


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Truthy when the key is valid; ``reason`` says why not."""

    ok: bool
    reason: str
    key_id: str | None = None
    scopes: tuple[str, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.ok


class Verifier:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self._engine = store.engine
        self._now = clock
        self._lookup = KeyLookup(store)
        self._hash_checks = HashCheckCache()
        self._last_used_written: dict[int, float] = {}
        self._last_used_lock = threading.Lock()
        self._touch = (
            update(ApiKey)
            .where(ApiKey.id == bindparam("key_id"))
            .values(last_used_at=bindparam("now"))
            .execution_options(synchronize_session=False)
        )

    def verify(self, presented: object, required: Iterable[str] = ()) -> VerifyResult:
        parsed = tokens.parse(presented) if isinstance(presented, str) else None
        if parsed is None:
            return VerifyResult(False, "malformed")
        key = self._lookup.find(parsed.public_id)
        if key is None:
            return VerifyResult(False, "unknown")
        now = self._now()
        # The secret is checked before anything else about the key is revealed: someone who
        # knows only a public id learns nothing about its status.
        verdict = self._secret_verdict(parsed.secret, key, now)
        if verdict is not Verdict.MATCH:
            return VerifyResult(False, "throttled" if verdict is Verdict.THROTTLED else "invalid")
        held = tuple(sorted(key.scopes))
        if not key.active:
            return VerifyResult(False, "inactive", parsed.public_id, held)
        if key.expires_at is not None and key.expires_at <= now:
            return VerifyResult(False, "expired", parsed.public_id, held)
        if not key.scopes.issuperset(required):
            return VerifyResult(False, "missing_scope", parsed.public_id, held)
        self._note_use(key.key_id, now)
        return VerifyResult(True, "ok", parsed.public_id, held)

    def _secret_verdict(self, secret: str, key: KeyState, now: datetime) -> Verdict:
        verdict = self._hash_checks.check(key.secret_hash, secret)
        previous, until = key.previous_hash, key.previous_hash_until
        if verdict is Verdict.MISMATCH and previous is not None and until is not None and until > now:
            return self._hash_checks.check(previous, secret)
        return verdict

    def _note_use(self, key_id: int, now: datetime) -> None:
        tick = time.monotonic()
        with self._last_used_lock:
            last = self._last_used_written.get(key_id)
            if last is not None and tick - last < LAST_USED_INTERVAL_S:
                return
            self._last_used_written[key_id] = tick
        try:
            with self._engine.begin() as conn:
                conn.execute(self._touch, {"key_id": key_id, "now": now})
        except DBAPIError:
            # "Last used" is a convenience: a read-only or busy store must not fail a valid key.
            pass
