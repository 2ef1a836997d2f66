"""A window onto the store's keys: the table asks for rows, this fetches them in pages.

Only the rows near the viewport are ever held, so a store of a million keys costs what a
store of a hundred does. Sorting and filtering happen in the store.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from keyconsole.service.key_query import KeyQuery
from keyconsole.service.records import KeyInfo

if TYPE_CHECKING:
    from keyconsole.service.keys import KeyService
    from keyconsole.tui.key_store_opening import KeyStoreOpening

PAGE = 200


def is_whole_answer(first: list[KeyInfo]) -> bool:
    """A first page that came back short holds every match: its length is the count."""
    return len(first) < PAGE


class KeyRows:
    def __init__(self, opening: KeyStoreOpening, query: KeyQuery = KeyQuery()) -> None:
        self._opening = opening
        self.query = query
        self.total = 0
        # False while ``total`` is only a lower bound: a filter's first page came back full
        # and its count is still being made (see reload_first_page).
        self.exact = True
        self._rows: dict[int, KeyInfo] = {}

    def reload(self, query: KeyQuery | None = None) -> None:
        """Count again and forget cached rows (after a change, a new filter or sort)."""
        if query is not None:
            self.query = query
        self.total = self._keys.count(self.query)
        self.exact = True
        self._rows.clear()

    def reload_first_page(self, query: KeyQuery) -> bool:
        """Read only the first page (see :meth:`show_first_page`)."""
        return self.show_first_page(query, self._keys.list(query, limit=PAGE))

    def show_first_page(self, query: KeyQuery, first: list[KeyInfo]) -> bool:
        """Show ``first`` (the first page of ``query``), counted only when it came back short
        (then its length is the count): counting every match of a common filter in a
        million keys takes far longer than showing the first screen of them.

        Returns whether ``total`` is exact; if not, count and hand it to :meth:`settle_total`.
        """
        self.query = query
        self._rows = dict(enumerate(first))
        self.total = len(first)
        self.exact = is_whole_answer(first)
        return self.exact

    def settle_total(self, query: KeyQuery, total: int) -> bool:
        """Take a count made meanwhile, unless the query has changed since."""
        if query != self.query:
            return False
        self.total, self.exact = total, True
        return True

    @property
    def _keys(self) -> KeyService:
        return self._opening.store().keys

    def get(self, index: int) -> KeyInfo | None:
        return self._rows.get(index)

    def fetch(self, first: int, last: int) -> None:
        """Make rows ``first..last`` (inclusive) available, fetching one page if needed."""
        if not self._opening.is_open:
            # Drawing must not wait for the store: rows past the first page come when it has
            # opened and the screen reloads.
            return
        last = min(last, self.total - 1)
        if first > last or all(i in self._rows for i in range(first, last + 1)):
            return
        start = max(0, first - (PAGE - (last - first + 1)) // 2)
        stop = min(self.total, start + PAGE)
        if len(self._rows) > PAGE * 10:
            self._rows.clear()
        if start > self.total // 2:
            # Near the end, read backwards from the end of the index: OFFSET near a
            # million would walk the whole index, the reversed order walks only a page.
            flipped = replace(self.query, descending=not self.query.descending)
            rows = self._keys.list(flipped, limit=stop - start, offset=self.total - stop)
            rows.reverse()
        else:
            rows = self._keys.list(self.query, limit=stop - start, offset=start)
        for offset, row in enumerate(rows):
            self._rows[start + offset] = row

    def index_of(self, public_id: str) -> int | None:
        for index, row in self._rows.items():
            if row.public_id == public_id:
                return index
        return None
