"""What a listing of keys asks for, and the edit marker: plain values, no SQL.

Kept apart from service/keys.py so the console can draw its first screen before SQLAlchemy
is imported (console_model/direct_pages.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Final


class Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = Unchanged()
"""Marks an edit argument the caller leaves as it is (``None`` means "no expiry")."""

# Each sort and the api_keys column it orders by: the one definition of the listing's order,
# read by the ORM listing (service/keys.py) and the direct reader (store/direct/listing.py).
# In the keys table's column order, which the console's `o` follows.
SORT_COLUMNS = {
    "name": "name_folded",
    "id": "public_id",
    "status": "active",
    # Verifies in the last 24 hours (service/usage_window.py), the busiest first unless
    # descending (`keys list --sort usage`).
    "usage": "calls_24h",
    "expires": "expires_at",
    "last_used": "last_used_at",
    "created": "created_at",
}
SORTS = tuple(SORT_COLUMNS)
# On a unique column an id tie-break would only stop the store from reading names and ids
# from the filter's covering index; on any other it makes pages stable.
UNIQUE_SORTS = frozenset({"name", "id"})
# Sorts whose natural order is the largest first (``descending`` then reverses it).
LARGEST_FIRST = frozenset({"usage"})
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
    # Owned by exactly this owner (compared as names are: case and compatibility forms aside).
    owner: str | None = None

    @property
    def order(self) -> tuple[tuple[str, bool], ...]:
        """The api_keys columns this listing orders by, each with whether it is descending."""
        first = (SORT_COLUMNS[self.sort], self.descending != (self.sort in LARGEST_FIRST))
        return (first,) if self.sort in UNIQUE_SORTS else (first, ("id", self.descending))

    @property
    def is_unfiltered(self) -> bool:
        """Every key, in some order: what a reader without the filters' SQL can answer."""
        # Derived from the defaults, so a filter added to KeyQuery is counted without a word here.
        return replace(self, search=self.search or None) == KeyQuery(sort=self.sort, descending=self.descending)
