"""How a moment is kept in a column: naive UTC. The one conversion, both ways, for the ORM
(models.UTCDateTime) and the driver-level reads and writes (store/direct/key_lookup.py,
store/direct/listing.py). Imports no SQLAlchemy.

SQLite has no time zones, and comparing aware with naive values raises; storing naive UTC
everywhere keeps both backends and every comparison the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# How SQLAlchemy's SQLite dialect writes a datetime, so raw writes sort and compare with its.
SQLITE_TEXT = "%Y-%m-%d %H:%M:%S.%f"


def to_column(moment: datetime) -> datetime:
    """An aware moment as a column holds it."""
    if moment.tzinfo is None:
        raise ValueError("keyconsole stores aware datetimes only")
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_column(value: Any) -> datetime:
    """A column's value, aware: SQLite's driver hands back text, psycopg a naive datetime."""
    naive = datetime.fromisoformat(value) if isinstance(value, str) else value
    return naive.replace(tzinfo=UTC)


def maybe_from_column(value: Any) -> datetime | None:
    return None if value is None else from_column(value)


def start_of_period(moment: datetime, period: str) -> datetime:
    """The start of the UTC hour (``period`` "hour") or day ("day") ``moment`` falls in: the
    periods usage is counted in (migration 0012)."""
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour if period == "hour" else hour.replace(hour=0)
