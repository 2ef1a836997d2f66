"""Usage rows written straight into a store: a day's history without a day's wait."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from keyconsole import KeyStore, moments
from keyconsole.models import ApiKey, KeyUsageHour


def add_hourly_usage(ks: KeyStore, name: str, accepted_hours_ago: Mapping[int, int], now: datetime) -> None:
    """Give the key ``name`` this many accepted verifies so many hours before ``now``'s hour."""
    public_id = ks.keys.get(name).public_id
    this_hour = moments.start_of_period(now, "hour")
    with ks.database.write() as session:
        key_id = session.scalar(select(ApiKey.id).where(ApiKey.public_id == public_id))
        for ago, accepted in accepted_hours_ago.items():
            session.add(KeyUsageHour(key_id=key_id, hour=this_hour - timedelta(hours=ago), accepted=accepted))
