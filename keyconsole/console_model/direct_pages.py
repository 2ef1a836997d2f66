"""A page source for the keys table that needs no SQLAlchemy: a direct connection's reads.

Opening a KeyStore means importing SQLAlchemy, about 0.3 s on a 2-core machine, as long
again as an empty Textual app takes to start. The console's first screen needs only the
first page of keys, which a direct read (store/direct/driver.py) gives in milliseconds; the store
opens in the background meanwhile (tui/key_store_opening.py). The pages come out as the
listing's (console_model/listing.py) do: the same order definition (KeyQuery.order) and the same
status and grace rules (service/records.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from keyconsole.errors import StoreUnavailable
from keyconsole.service import usage_window
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.key_query import KeyQuery
from keyconsole.service.records import KeyInfo, grace_until, key_info
from keyconsole.store.direct.driver import DirectConnection, open_direct
from keyconsole.store.direct.listing import count_keys, has_scopes, read_hourly_calls, read_keys


class DirectKeyPages:
    """Every key, in any sort, without filters: a KeyPages (console_model/listing.py) for a ready store."""

    def __init__(self, direct: DirectConnection, clock: Clock = utc_now) -> None:
        self._direct = direct
        self._now = clock

    @classmethod
    def open(cls, db: str | None, clock: Clock = utc_now) -> DirectKeyPages | None:
        """Pages of the store at ``db`` (as ``--db`` takes it), or None when the store is not
        plainly ready: then the normal open creates, migrates or explains."""
        direct = open_direct(db)
        return None if direct is None else cls(direct, clock)

    @property
    def display_name(self) -> str:
        return self._direct.display_name

    def list(self, query: KeyQuery = KeyQuery(), *, limit: int | None = None, offset: int = 0) -> list[KeyInfo]:
        if not query.is_unfiltered:
            raise ValueError("a direct read lists every key; filters need the store's listing")
        now = self._now()
        with self._reading():
            rows = read_keys(self._direct, query.order, limit=limit, offset=offset, usage_since=usage_window.day_start(now))
        return [key_info(row, row.scopes, grace_until(row.has_previous_hash, row.previous_hash_until), now) for row in rows]

    def count(self, query: KeyQuery = KeyQuery()) -> int:
        if not query.is_unfiltered:
            raise ValueError("a direct read counts every key; filters need the store's listing")
        with self._reading():
            return count_keys(self._direct)

    def last_day_usage(self, public_ids: Sequence[str]) -> dict[str, tuple[int, ...]]:
        now = self._now()
        with self._reading():
            found = read_hourly_calls(self._direct, public_ids, usage_window.day_start(now))
        return usage_window.day_series_by_key(found, now)

    def any_scope(self) -> bool:
        with self._reading():
            return has_scopes(self._direct)

    def close(self) -> None:
        self._direct.connection.close()

    @contextmanager
    def _reading(self) -> Iterator[None]:
        # The driver's error as StoreUnavailable, as the store's own listing raises it.
        try:
            yield
        except self._direct.driver_error as error:
            raise StoreUnavailable(f"cannot read {self._direct.display_name}: {type(error).__name__}") from None
