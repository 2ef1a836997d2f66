"""Synthetic keys for trying keyconsole and for benchmarks (`keyconsole demo seed`).

All demo keys share one argon2 hash of a secret that is thrown away at once, so none of
them can ever verify. Rows go in with driver-level bulk inserts (store/orm/bulk.py), in batches, one transaction.
With ``usage_hours`` each key also gets that many hours of usage (migration 0012) up to the
current one, and the days they fall on: a rate from one call an hour to a thousand, a
working day's shape, and one key in 200 spiking in the current hour, so the console's Usage
column and the details' plots have something to show.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyconsole import hashing, moments, tokens
from keyconsole.errors import Conflict, InvalidInput
from keyconsole.models import ApiKey, KeyScope, KeyUsageDay, KeyUsageHour, KeyUse, Scope
from keyconsole.service import audit_log, usage_window
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.validation import fold_name
from keyconsole.store.orm import Database, name_index
from keyconsole.store.orm.bulk import BulkInsert, foreign_keys_deferred, indexes_deferred

DEMO_ACTOR = "keyconsole demo seed"
DEMO_SCOPES = {
    "users:read": "Read user profiles",
    "users:write": "Create and change users",
    "billing:read": "Read invoices and plans",
    "billing:write": "Change plans and payment methods",
    "reports:read": "Download reports",
    "admin": "Everything, including other keys' settings",
}
_TEAMS = ["checkout", "search", "mobile", "partner", "billing", "ops", "data", "support", "web", "ci"]
_PURPOSES = ["backend", "cron", "webhook", "export", "sync", "staging", "prod", "test", "batch", "edge"]
BATCH = 5_000
DATE_POOL = 4_096
_TO_ALPHABET = bytes(ord(tokens.ALPHABET[byte % len(tokens.ALPHABET)]) for byte in range(256))
KEY_COLUMNS = (
    "public_id", "name", "name_folded", "secret_hash", "active",
    "created_at", "updated_at", "expires_at", "created_by", "version",
)
MAX_KEYS = 10_000_000
# At most the hours the flush keeps by default (14 days).
MAX_USAGE_HOURS = 14 * 24
# Quieter at night, busiest in the afternoon (UTC), and noise around it.
_DAY_SHAPE = [0.3, 0.25, 0.2, 0.2, 0.25, 0.35, 0.5, 0.7, 0.9, 1.0, 1.0, 1.0,
              1.0, 1.05, 1.1, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.35]
SPIKING_ONE_IN = 200
SPIKE_TIMES = 20


def seed(
    database: Database,
    count: int,
    *,
    actor: str,
    clock: Clock = utc_now,
    progress: Callable[[int], None] | None = None,
    usage_hours: int = 0,
) -> int:
    """Add ``count`` demo keys, each used for the last ``usage_hours`` hours; refuse a store
    that holds any key not made by a seed."""
    if not 1 <= count <= MAX_KEYS:
        raise InvalidInput(f"--keys takes a number from 1 to {MAX_KEYS:,}")
    if not 0 <= usage_hours <= MAX_USAGE_HOURS:
        raise InvalidInput(f"--usage-hours takes a number from 0 to {MAX_USAGE_HOURS}")
    now = clock()
    with database.write() as session:
        real = session.scalar(select(func.count(ApiKey.id)).where(ApiKey.created_by != DEMO_ACTOR))
        if real:
            raise Conflict(f"the store holds {real} real key(s); demo keys go only into a store of their own")
        scope_ids = _ensure_scopes(session, now)
        existing = session.scalar(select(func.count(ApiKey.id))) or 0
        # Rebuilding the indexes pays off once the load at least doubles the table.
        if count >= existing:
            deferring: AbstractContextManager[None] = _all_indexes_deferred(session)
        else:
            deferring = nullcontext()
        with deferring:
            # Numbered after the demo keys already there, so names stay unique across seeds.
            numbers = range(existing + 1, existing + 1 + count)
            _insert_keys(session, numbers, scope_ids, now, progress, _DemoUsage(now, usage_hours))
        details = {"keys": count, "usage_hours": usage_hours} if usage_hours else {"keys": count}
        audit_log.record(session, at=now, actor=actor, action="demo.seed", details=details)
    database.refresh_statistics()
    return count


@contextmanager
def _all_indexes_deferred(session: Session) -> Iterator[None]:
    with (
        indexes_deferred(session, ApiKey.__table__),
        indexes_deferred(session, KeyUsageHour.__table__),
        indexes_deferred(session, KeyUsageDay.__table__),
        name_index.suspended(session.connection()),
        foreign_keys_deferred(session, KeyScope.__table__),
    ):
        yield


def _insert_keys(
    session: Session,
    numbers: range,
    scope_ids: list[int],
    now: datetime,
    progress: Callable[[int], None] | None,
    usage: _DemoUsage,
) -> None:
    rng = random.Random()
    shared_hash = hashing.hash_secret(tokens.new_secret())
    # Dates come from pools of instants: realistic spread, and the bulk insert converts
    # each distinct instant for the store only once.
    created_pool = [now - timedelta(days=rng.uniform(0, 720)) for _ in range(DATE_POOL)]
    used_ago = [timedelta(days=rng.uniform(0, 60)) for _ in range(64)]
    # Every set of 1-3 scopes, so a key's scopes are one choice instead of a sample.
    scope_sets = [list(combo) for size in (1, 2, 3) for combo in itertools.combinations(scope_ids, size)]
    key_insert = BulkInsert(session, ApiKey.__table__, KEY_COLUMNS)
    link_insert = BulkInsert(session, KeyScope.__table__, ("key_id", "scope_id"))
    use_insert = BulkInsert(session, KeyUse.__table__, ("key_id", "last_used_at"))
    for batch_start in range(0, len(numbers), BATCH):
        batch = numbers[batch_start : batch_start + BATCH]
        keys, scope_picks, last_uses, usable = [], [], [], []
        # Public ids need not be unguessable (they are shown in clear): random bytes mapped
        # onto the alphabet, a whole batch at once.
        id_chars = rng.randbytes(len(batch) * tokens.PUBLIC_ID_CHARS).translate(_TO_ALPHABET).decode("ascii")
        for offset, number in enumerate(batch):
            created = rng.choice(created_pool)
            name = f"{rng.choice(_TEAMS)}-{rng.choice(_PURPOSES)}-{number}"
            expires = None if rng.random() < 0.6 else created + timedelta(days=rng.choice((30, 90, 365, 730)))
            last_used = None if rng.random() < 0.3 else max(created, now - rng.choice(used_ago))
            active = rng.random() > 0.15
            works = active and (expires is None or expires > now)
            if works and usage.hours:
                last_used = now - timedelta(minutes=rng.uniform(0, 10))
            id_start = offset * tokens.PUBLIC_ID_CHARS
            public_id = tokens.PREFIX + id_chars[id_start : id_start + tokens.PUBLIC_ID_CHARS]
            keys.append((
                public_id, name, fold_name(name), shared_hash, active,
                created, created, expires, DEMO_ACTOR, 1,
            ))
            scope_picks.append(rng.choice(scope_sets))
            last_uses.append(last_used)
            usable.append(works)
        # The new ids are read back after the insert (RETURNING with parameter order makes
        # SQLAlchemy insert SQLite rows one at a time): every id above the largest one
        # before it, mapped by public id, so rows another writer added meanwhile are ignored.
        before = session.scalar(select(func.max(ApiKey.id))) or 0
        key_insert.run(keys)
        public_ids = [key[0] for key in keys]
        found = session.execute(select(ApiKey.public_id, ApiKey.id).where(ApiKey.id > before))
        ids: dict[str, int] = {public_id: key_id for public_id, key_id in found}
        link_insert.run([
            (ids[public_id], scope_id)
            for public_id, picks in zip(public_ids, scope_picks, strict=True)
            for scope_id in picks
        ])
        use_insert.run([
            (ids[public_id], last_used)
            for public_id, last_used in zip(public_ids, last_uses, strict=True)
            if last_used is not None
        ])
        usage.add(session, [(ids[public_id], works) for public_id, works in zip(public_ids, usable, strict=True)], rng)
        if progress is not None:
            progress(batch_start + len(keys))


class _DemoUsage:
    """Usage rows for demo keys, one bulk insert per batch of keys: its hours, and its days
    summed from them as the flush adds both (service/usage_flush.py)."""

    COLUMNS = ("accepted", "inactive", "wrong_secret")

    def __init__(self, now: datetime, hours: int) -> None:
        this_hour = moments.start_of_period(now, "hour")
        self.hours = [this_hour - timedelta(hours=ago) for ago in range(hours - 1, -1, -1)]
        self._day_of_hour = [moments.start_of_period(hour, "day") for hour in self.hours]
        self._noise = [0.5 + random.random() for _ in range(1024)]
        self._inserts: tuple[BulkInsert, BulkInsert] | None = None

    def add(self, session: Session, keys: list[tuple[int, bool]], rng: random.Random) -> None:
        """Rows for ``keys`` (id, whether it works: else its calls are refused as inactive)."""
        if not self.hours:
            return
        if self._inserts is None:
            self._inserts = (
                BulkInsert(session, KeyUsageHour.__table__, ("key_id", "hour", *self.COLUMNS)),
                BulkInsert(session, KeyUsageDay.__table__, ("key_id", "day", *self.COLUMNS)),
            )
        hour_rows, day_rows = [], []
        shape = [_DAY_SHAPE[hour.hour] for hour in self.hours]
        noise, last = self._noise, len(self.hours) - 1
        for key_id, works in keys:
            rate = 10 ** rng.uniform(0, 3)
            start = rng.randrange(len(noise))
            calls = [int(rate * factor * noise[(start + n) % len(noise)]) + 1 for n, factor in enumerate(shape)]
            if key_id % SPIKING_ONE_IN == 0:
                # SPIKE_TIMES its usual hour (service/usage_window.py), whatever the time of day.
                usual = calls[-usage_window.DAY_HOURS : -usage_window.RECENT_HOURS] or [0]
                calls[last] = max(SPIKE_TIMES * sum(usual) // len(usual), 2 * usage_window.SPIKE_MIN_CALLS)
            outcomes = [_outcomes(n, works) for n in calls]
            hour_rows.extend((key_id, hour, *counts) for hour, counts in zip(self.hours, outcomes, strict=True))
            # The hours run in order, so each day's hours are adjacent.
            for day, hours in itertools.groupby(zip(self._day_of_hour, outcomes, strict=True), key=lambda pair: pair[0]):
                day_rows.append((key_id, day, *map(sum, zip(*(counts for _, counts in hours)))))
        hours_insert, days_insert = self._inserts
        hours_insert.run(hour_rows)
        days_insert.run(day_rows)


def _outcomes(calls: int, works: bool) -> tuple[int, int, int]:
    """Accepted, refused as inactive, wrong secret: a working key's calls are accepted (and a
    call in 500 carries a wrong secret), a key that is off or expired refuses them."""
    return (calls, 0, calls // 500) if works else (0, calls, calls // 500)


def _ensure_scopes(session: Session, now: datetime) -> list[int]:
    existing = {s.name: s.id for s in session.scalars(select(Scope))}
    for name, description in DEMO_SCOPES.items():
        if name not in existing:
            scope = Scope(name=name, description=description, created_at=now)
            session.add(scope)
            session.flush()
            existing[name] = scope.id
    return [existing[name] for name in DEMO_SCOPES]
