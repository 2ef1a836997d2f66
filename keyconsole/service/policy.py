"""The store's key lifetime policy: a maximum lifetime (GitLab requires expiry within 365
days; the CIS benchmark asks for rotation every 90) and whether every key must expire.

With a maximum lifetime a new or rotated key gets it as its default expiry, and a later
expiry is refused. Stored in the store (one row, migration 0008), audited when it changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from keyconsole.errors import InvalidInput, PolicyViolation
from keyconsole.models import LifetimePolicy
from keyconsole.service import audit_log
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.display import when
from keyconsole.service.key_query import UNCHANGED, Unchanged
from keyconsole.store.orm import Database


@dataclass(frozen=True)
class Policy:
    max_lifetime: timedelta | None = None
    require_expiry: bool = False

    def describe(self) -> str:
        lifetime = "no maximum lifetime" if self.max_lifetime is None else f"keys live at most {self.max_lifetime.days} days"
        return f"{lifetime}; an expiry is {'required' if self.require_expiry else 'optional'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "max_lifetime_days": None if self.max_lifetime is None else self.max_lifetime.days,
            "require_expiry": self.require_expiry,
        }

    def expiry_for(self, asked: datetime | None, now: datetime, *, default_when_none: bool) -> datetime | None:
        """The expiry a key made (or changed) at ``now`` gets: ``asked`` if the policy allows
        it; for none asked, the policy's default when ``default_when_none`` (a new key), else
        a refusal if the policy wants one. Raises PolicyViolation."""
        latest = None if self.max_lifetime is None else now + self.max_lifetime
        if asked is None:
            if latest is not None and default_when_none:
                return latest
            if latest is not None or self.require_expiry:
                raise PolicyViolation(f"the policy requires an expiry ({self.describe()})")
            return None
        if latest is not None and asked > latest:
            days = self.max_lifetime.days  # type: ignore[union-attr]
            raise PolicyViolation(f"the policy lets keys live at most {days} days: expire by {when(latest)} UTC or sooner")
        return asked


def read_policy(session: Session) -> Policy:
    row = session.get(LifetimePolicy, 1)
    if row is None or row.max_lifetime_seconds is None:
        return Policy(None, bool(row and row.require_expiry))
    return Policy(timedelta(seconds=row.max_lifetime_seconds), row.require_expiry)


class PolicyService:
    def __init__(self, database: Database, actor: str, clock: Clock = utc_now) -> None:
        self._database = database
        self._actor = actor
        self._now = clock

    def show(self) -> Policy:
        with self._database.read() as session:
            return read_policy(session)

    def set(
        self,
        *,
        max_lifetime: timedelta | None | Unchanged = UNCHANGED,
        require_expiry: bool | Unchanged = UNCHANGED,
    ) -> Policy:
        if isinstance(max_lifetime, timedelta) and max_lifetime < timedelta(days=1):
            raise InvalidInput("a maximum lifetime is at least one day (e.g. 90d, 365d)")
        with self._database.write() as session:
            row = session.get(LifetimePolicy, 1, with_for_update=True)
            assert row is not None, "migration 0008 creates the policy row"
            before = read_policy(session)
            if not isinstance(max_lifetime, Unchanged):
                row.max_lifetime_seconds = None if max_lifetime is None else int(max_lifetime.total_seconds())
            if not isinstance(require_expiry, Unchanged):
                row.require_expiry = require_expiry
            session.flush()
            after = read_policy(session)
            if after != before:
                audit_log.record(
                    session, at=self._now(), actor=self._actor, action="policy.set",
                    details={"before": before.to_json(), "after": after.to_json()},
                )
            return after
