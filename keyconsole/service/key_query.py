"""What a listing of keys asks for, and the edit marker: plain values, no SQL.

Kept apart from service/keys.py so the console can draw its first screen before SQLAlchemy
is imported (see service/preview.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final


class Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged()
"""Marks an edit argument the caller leaves as it is (``None`` means "no expiry")."""

SORTS = ("name", "id", "status", "expires", "last_used", "created")
STATUS_FILTERS = ("all", "active", "inactive", "expired")


@dataclass(frozen=True, slots=True)
class KeyQuery:
    """Which keys a listing shows, and in what order."""

    status: str = "all"
    search: str | None = None
    sort: str = "name"
    descending: bool = False
    # Not yet expired, and expiring within this long from now.
    expiring_within: timedelta | None = None
    # Not used for this long (a key never used counts from its creation).
    unused_for: timedelta | None = None
