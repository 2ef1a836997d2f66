"""Synthetic keys for trying keyconsole and for benchmarks (`keyconsole demo seed`).

All demo keys share one argon2 hash of a secret that is thrown away at once, so none of
them can ever verify. Rows go in with Core bulk inserts, in batches, one transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from keyconsole import hashing, tokens
from keyconsole.errors import Conflict, InvalidInput
from keyconsole.models import ApiKey, KeyScope, Scope
from keyconsole.service import audit_log
from keyconsole.service.clock import Clock, utc_now
from keyconsole.store import Store

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
MAX_KEYS = 10_000_000


def seed(
    store: Store,
    count: int,
    *,
    actor: str,
    clock: Clock = utc_now,
    progress: Callable[[int], None] | None = None) -> int:
    """Add ``count`` demo keys; refuse a store that holds any key not made by a seed."""
    if not 1 <= count <= MAX_KEYS:
        raise InvalidInput(f"--keys takes a number from 1 to {MAX_KEYS:,}")
    now = clock()
    rng = random.Random()
    shared_hash = hashing.hash_secret(tokens.new_secret())
    with store.write() as session:
        real = session.scalar(select(func.count(ApiKey.id)).where(ApiKey.created_by != DEMO_ACTOR))
        if real:
            raise Conflict(f"the store holds {real} real key(s); demo keys go only into a store of their own")
        scope_ids = _ensure_scopes(session, now)
        # Numbered after the demo keys already there, so names stay unique across seeds.
        numbered_from = (session.scalar(select(func.count(ApiKey.id))) or 0) + 1
        done = 0
        while done < count:
            size = min(BATCH, count - done)
            keys, scope_picks = [], []
            for number in range(numbered_from + done, numbered_from + done + size):
                created = now - timedelta(days=rng.uniform(0, 720))
                name = f"{rng.choice(_TEAMS)}-{rng.choice(_PURPOSES)}-{number}"
                expires = None if rng.random() < 0.6 else created + timedelta(days=rng.choice((30, 90, 365, 730)))
                keys.append({
                    # Public ids need not be unguessable (they are shown in clear), and
                    # random.choices is several times faster than `secrets` here.
                    "public_id": tokens.PREFIX + "".join(rng.choices(tokens.ALPHABET, k=tokens.PUBLIC_ID_CHARS)),
                    "name": name,
                    "name_folded": name.casefold(),
                    "secret_hash": shared_hash,
                    "active": rng.random() > 0.15,
                    "created_at": created,
                    "updated_at": created,
                    "expires_at": expires,
                    "last_used_at": None if rng.random() < 0.3 else created + (now - created) * rng.random(),
                    "created_by": DEMO_ACTOR,
                    "version": 1,
                })
                scope_picks.append(rng.sample(scope_ids, rng.randint(1, 3)))
            # A plain executemany, then the ids read back by public id: RETURNING with
            # parameter order makes SQLAlchemy insert SQLite rows one at a time.
            session.execute(insert(ApiKey.__table__), keys)
            public_ids = [key["public_id"] for key in keys]
            found = session.execute(select(ApiKey.public_id, ApiKey.id).where(ApiKey.public_id.in_(public_ids)))
            ids: dict[str, int] = {public_id: key_id for public_id, key_id in found}
            links = [
                {"key_id": ids[public_id], "scope_id": scope_id}
                for public_id, picks in zip(public_ids, scope_picks, strict=True)
                for scope_id in picks
            ]
            session.execute(insert(KeyScope.__table__), links)
            done += size
            if progress is not None:
                progress(done)
        audit_log.record(session, at=now, actor=actor, action="demo.seed", details={"keys": count})
    return count


def _ensure_scopes(session: Session, now: datetime) -> list[int]:
    existing = {s.name: s.id for s in session.scalars(select(Scope))}
    for name, description in DEMO_SCOPES.items():
        if name not in existing:
            scope = Scope(name=name, description=description, created_at=now)
            session.add(scope)
            session.flush()
            existing[name] = scope.id
    return [existing[name] for name in DEMO_SCOPES]
