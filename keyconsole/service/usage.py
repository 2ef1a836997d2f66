"""Reading per-key usage (migration 0012) for the CLI and the console: how many verifies each
key saw per UTC hour or day, by outcome, as verifying processes added them
(service/usage_flush.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from keyconsole import moments
from keyconsole.service import usage_window
from keyconsole.errors import InvalidInput
from keyconsole.models import ApiKey, KeyUsageDay, KeyUsageHour
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.keys import KeyService
from keyconsole.service.records import KeyInfo
from keyconsole.store.direct.key_columns import USAGE_COUNTS
from keyconsole.store.orm import Database

__all__ = ["PERIODS", "USAGE_COUNTS", "KeyUsage", "UsagePeriod", "UsageService"]

Period = Literal["hour", "day"]
PERIODS: tuple[Period, ...] = ("hour", "day")


@dataclass(frozen=True, slots=True)
class UsagePeriod:
    start: datetime
    # One count per outcome, in USAGE_COUNTS order.
    counts: tuple[int, ...]

    @property
    def calls(self) -> int:
        return sum(self.counts)

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "calls": self.calls, **dict(zip(USAGE_COUNTS, self.counts, strict=True))}


@dataclass(frozen=True, slots=True)
class KeyUsage:
    public_id: str
    name: str
    by: Period
    since: datetime
    # Periods with at least one verify, oldest first.
    periods: tuple[UsagePeriod, ...]

    @property
    def totals(self) -> tuple[int, ...]:
        """One total per outcome, in USAGE_COUNTS order."""
        return tuple(sum(period.counts[n] for period in self.periods) for n in range(len(USAGE_COUNTS)))

    def to_json(self) -> dict[str, Any]:
        totals = self.totals
        return {
            "id": self.public_id,
            "name": self.name,
            "by": self.by,
            "since": self.since.isoformat(),
            "calls": sum(totals),
            **dict(zip(USAGE_COUNTS, totals, strict=True)),
            "periods": [period.to_json() for period in self.periods],
        }


class UsageService:
    def __init__(self, database: Database, keys: KeyService, clock: Clock = utc_now) -> None:
        self._database = database
        self._keys = keys
        self._now = clock

    def of_keys(self, refs: Sequence[str] = (), *, since: timedelta = timedelta(days=7), by: Period = "day") -> list[KeyUsage]:
        """Usage since ``since`` ago (from the start of that hour or day), per ``by``: of the
        keys named (each one, used or not, in the order given), or else of every key used in
        that time, the busiest first."""
        return self._read([self._keys.get(ref) for ref in refs], since, by)

    def of_key(self, key: KeyInfo, *, since: timedelta, by: Period) -> KeyUsage:
        """``of_keys`` for one key already read."""
        (usage,) = self._read([key], since, by)
        return usage

    def spiking(self) -> int:
        """How many keys spike now (service/usage_window.py): the keys table's header says it."""
        now = self._now()
        recent_start = usage_window.recent_start(now)
        recent = KeyUsageHour.calls()
        earlier = aliased(KeyUsageHour)
        usual = (
            select(func.coalesce(func.sum(earlier.calls()), 0))
            .where(
                earlier.key_id == KeyUsageHour.key_id,
                earlier.hour >= usage_window.day_start(now),
                earlier.hour < recent_start,
            )
            .scalar_subquery()
        )
        # Each busy recent hour weighed against its key's usual hour, counted once per key: no
        # GROUP BY, which SQLite's planner answered by scanning every row by key.
        statement = select(func.count(KeyUsageHour.key_id.distinct())).where(
            KeyUsageHour.hour >= recent_start,
            recent >= usage_window.SPIKE_MIN_CALLS,
            recent * usage_window.USUAL_HOURS >= usage_window.SPIKE_FACTOR * usual,
        )
        with self._database.read() as session:
            return session.scalar(statement) or 0

    def _read(self, named: list[KeyInfo], since: timedelta, by: Period) -> list[KeyUsage]:
        if by not in PERIODS:
            raise InvalidInput(f"usage is kept by hour or by day, not {by!r}")
        if since <= timedelta(0):
            raise InvalidInput("--since must be a positive duration, e.g. 7d")
        start = moments.start_of_period(self._now() - since, by)
        model = KeyUsageHour if by == "hour" else KeyUsageDay
        period = getattr(model, by)  # the table's period column is named after it
        statement = (
            select(ApiKey.public_id, ApiKey.name, period, *(getattr(model, count) for count in USAGE_COUNTS))
            .join(ApiKey, ApiKey.id == model.key_id)
            .where(period >= start)
            .order_by(ApiKey.public_id, period)
        )
        if named:
            statement = statement.where(ApiKey.public_id.in_([key.public_id for key in named]))
        found: dict[str, tuple[str, list[UsagePeriod]]] = {}
        with self._database.read() as session:
            for public_id, name, began, *counts in session.execute(statement):
                found.setdefault(public_id, (name, []))[1].append(UsagePeriod(began, tuple(counts)))
        if named:
            return [
                KeyUsage(key.public_id, key.name, by, start, tuple(found.get(key.public_id, ("", []))[1]))
                for key in named
            ]
        used = [KeyUsage(public_id, name, by, start, tuple(periods)) for public_id, (name, periods) in found.items()]
        return sorted(used, key=lambda usage: (-sum(usage.totals), usage.public_id))
