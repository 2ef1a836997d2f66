"""When a key's coming expiry is worth a warning, and how the warning reads."""

from __future__ import annotations

from datetime import datetime, timedelta


def expires_soon(expires_at: datetime | None, now: datetime, window: timedelta) -> bool:
    return expires_at is not None and now < expires_at <= now + window


def expiry_words(expires_at: datetime, now: datetime) -> str:
    """How soon, in words a narrow column holds: ``in 3d``, ``in 5h``, ``in 12m``."""
    left = expires_at - now
    if left >= timedelta(days=1):
        return f"in {left.days}d"
    if left >= timedelta(hours=1):
        return f"in {left.seconds // 3600}h"
    return f"in {max(1, left.seconds // 60)}m"
