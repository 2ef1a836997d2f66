"""A key's last day of traffic as the keys table shows it, and when it is a spike: the one
rule, SQLAlchemy-free, which the console's rows (console_model/listing.py) and the store's
count of spiking keys (service/usage.py) both follow.

The day is the current UTC hour and the 23 before it, as `keys list --sort usage` counts it.
A key spikes when one of its last two hours (the current one may have just begun) saw at
least ``SPIKE_MIN_CALLS`` verifies and ``SPIKE_FACTOR`` times its usual hour, the mean of
the 22 hours before them. Integers only, so Python and SQL cannot round apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from keyconsole import moments

DAY_HOURS = 24
RECENT_HOURS = 2
USUAL_HOURS = DAY_HOURS - RECENT_HOURS
SPIKE_FACTOR = 10
# Below this a key is quiet whatever its history: a key used twice an hour that is used 20
# times is no alarm.
SPIKE_MIN_CALLS = 100
HOUR = timedelta(hours=1)


def day_start(now: datetime) -> datetime:
    """The start of the first hour of the day that ends with ``now``'s hour."""
    return moments.start_of_period(now, "hour") - HOUR * (DAY_HOURS - 1)


def recent_start(now: datetime) -> datetime:
    """The start of the first of the last two hours."""
    return moments.start_of_period(now, "hour") - HOUR * (RECENT_HOURS - 1)


def day_series(calls_by_hour: Mapping[datetime, int], now: datetime) -> tuple[int, ...]:
    """Calls in each hour of the day, oldest first; an hour without a verify is 0."""
    first = day_start(now)
    return tuple(calls_by_hour.get(first + HOUR * n, 0) for n in range(DAY_HOURS))


def day_series_by_key(hourly_calls: Iterable[tuple[str, Any, int]], now: datetime) -> dict[str, tuple[int, ...]]:
    """``day_series`` of each key in (public id, hour as its column holds it, calls) rows.

    A page's rows name 24 hours at most: each is converted once (a page of 200 keys is 4,800
    rows, and converting each row's hour took two thirds of the read)."""
    hours: dict[str, dict[datetime, int]] = {}
    moments_of: dict[Any, datetime] = {}
    for public_id, held, calls in hourly_calls:
        hour = moments_of.get(held)
        if hour is None:
            hour = moments_of[held] = moments.from_column(held)
        hours.setdefault(public_id, {})[hour] = calls
    return {public_id: day_series(calls, now) for public_id, calls in hours.items()}


def is_spike(series: tuple[int, ...]) -> bool:
    """Whether a day's series (``day_series``) ends in a spike."""
    recent = max(series[-RECENT_HOURS:])
    return recent >= SPIKE_MIN_CALLS and recent * USUAL_HOURS >= SPIKE_FACTOR * sum(series[:-RECENT_HOURS])
