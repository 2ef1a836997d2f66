"""When a key's coming expiry is worth a warning, and how the warning reads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from keyconsole.errors import InvalidInput

ENV_VAR = "KEYCONSOLE_EXPIRY_WARN_DAYS"
DEFAULT_DAYS = 14


def warning_window(environ: Mapping[str, str] | None = None) -> timedelta:
    """``KEYCONSOLE_EXPIRY_WARN_DAYS`` (default 14) as a duration; 0 turns warnings off."""
    text = (os.environ if environ is None else environ).get(ENV_VAR, "").strip()
    if not text:
        return timedelta(days=DEFAULT_DAYS)
    if not text.isdigit() or int(text) > 3650:
        raise InvalidInput(f"{ENV_VAR} must be a whole number of days from 0 to 3650, not {text!r}")
    return timedelta(days=int(text))


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
