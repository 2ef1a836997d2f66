"""How a key's coming expiry reads in a narrow column (when it is worth a warning:
service/key_state.py, expires_within)."""

from __future__ import annotations

from datetime import datetime, timedelta


def expiry_words(expires_at: datetime, now: datetime) -> str:
    """How soon, in words a narrow column holds: ``in 3d``, ``in 5h``, ``in 12m``."""
    left = expires_at - now
    if left >= timedelta(days=1):
        return f"in {left.days}d"
    if left >= timedelta(hours=1):
        return f"in {left.seconds // 3600}h"
    return f"in {max(1, left.seconds // 60)}m"
