"""The console's quick views: one key (`v`) cycles through the questions an admin asks most
of a big store. Each view narrows the listing's query; a filter and a sort apply within it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from keyconsole.service.key_query import KeyQuery

UNUSED_FOR = timedelta(days=90)


@dataclass(frozen=True)
class KeyView:
    label: str
    status: str = "all"
    # Not yet expired and expiring within the console's warning window.
    expiring: bool = False
    unused_for: timedelta | None = None

    def narrowed(self, query: KeyQuery, expiry_warning: timedelta) -> KeyQuery:
        """``query`` (its filter text and sort kept) as this view asks it."""
        return replace(
            query,
            status=self.status,
            expiring_within=expiry_warning if self.expiring else None,
            unused_for=self.unused_for,
        )


VIEWS = (
    KeyView("All"),
    KeyView("Active", status="active"),
    KeyView("Inactive", status="inactive"),
    KeyView("Expired", status="expired"),
    KeyView("Expiring soon", status="active", expiring=True),
    KeyView("Unused 90 days", unused_for=UNUSED_FOR),
)
