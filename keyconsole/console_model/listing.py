"""The keys table's one source of rows: a listing of one query, read a page at a time.

Textual-free. The console asks for a load on its UI thread (cheap: no SQL), reads it in one
worker thread (:meth:`Loading.windows`), and takes each window the worker hands back on the
UI thread (:meth:`KeyListing.take`). Only rows near the viewport are ever held, so a store
of a million keys costs what a store of a hundred does; the total is counted only when the
first page came back full (a short first page is its own count). Usage is read with each
page, for its keys only: the last day's calls per hour of the rows held.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from keyconsole.service import usage_window
from keyconsole.service.key_query import KeyQuery
from keyconsole.service.records import KeyInfo

PAGE = 200
# Rows kept at most; past it a page read replaces what was held.
HELD_MAX = PAGE * 10


class KeyPages(Protocol):
    """Where pages come from: the store's listing (service/keys.py) or a direct read
    (console_model/direct_pages.py). Both raise KeyconsoleError when the store cannot be read."""

    def list(self, query: KeyQuery = ..., *, limit: int | None = None, offset: int = 0) -> list[KeyInfo]: ...

    def count(self, query: KeyQuery = ...) -> int: ...

    def any_scope(self) -> bool: ...

    def last_day_usage(self, public_ids: Sequence[str]) -> dict[str, tuple[int, ...]]: ...


# The last day's calls per hour (service/usage_window.py) of the keys read that were used in it.
Usage = Mapping[str, tuple[int, ...]]
NO_USE = (0,) * usage_window.DAY_HOURS


@dataclass(frozen=True)
class Page:
    """Rows read, by position, and the usage of their keys."""

    rows: dict[int, KeyInfo]
    usage: dict[str, tuple[int, ...]]

    @classmethod
    def read(cls, pages: KeyPages, start: int, keys: list[KeyInfo]) -> Page:
        return cls(
            {start + offset: key for offset, key in enumerate(keys)},
            pages.last_day_usage([key.public_id for key in keys]),
        )


@dataclass(frozen=True)
class Window:
    """What the table shows of one load: the rows read so far (by position), the total
    (a lower bound while ``exact`` is False), and where the cursor should go."""

    generation: int
    query: KeyQuery
    rows: Mapping[int, KeyInfo] = field(default_factory=dict)
    usage: Usage = field(default_factory=dict)
    total: int = 0
    exact: bool = True
    any_scope: bool = True
    # The position of the key the load was asked to keep the cursor on, if it was read.
    kept_at: int | None = None

    def get(self, index: int) -> KeyInfo | None:
        return self.rows.get(index)

    def usage_of(self, key: KeyInfo) -> tuple[int, ...]:
        return self.usage.get(key.public_id, NO_USE)

    def with_page(self, page: Page) -> Window:
        """This window with ``page``'s rows too (only those, when keeping both would hold too many)."""
        if len(self.rows) + len(page.rows) > HELD_MAX:
            return replace(self, rows=page.rows, usage=page.usage)
        return replace(self, rows={**self.rows, **page.rows}, usage={**self.usage, **page.usage})

    def index_of(self, public_id: str) -> int | None:
        return next((index for index, row in self.rows.items() if row.public_id == public_id), None)

    def holds(self, first: int, last: int) -> bool:
        """Whether every row from ``first`` to ``last`` (inclusive, as far as the total goes) is read."""
        return all(index in self.rows for index in range(first, min(last, self.total - 1) + 1))


@dataclass(frozen=True)
class PageRead:
    """Rows ``start`` onwards of a load, for the rows the table wanted and did not have."""

    generation: int
    query: KeyQuery
    start: int
    stop: int
    total: int

    def read(self, pages: KeyPages) -> Page:
        """Read the page (in a worker). Near the end it reads backwards from the end of the
        index: an OFFSET near a million walks the whole index, the reversed order a page."""
        if self.start > self.total // 2:
            flipped = replace(self.query, descending=not self.query.descending)
            found = pages.list(flipped, limit=self.stop - self.start, offset=self.total - self.stop)
            found.reverse()
        else:
            found = pages.list(self.query, limit=self.stop - self.start, offset=self.start)
        return Page.read(pages, self.start, found)


@dataclass(frozen=True)
class Loading:
    """One asked-for load; :meth:`windows` reads it."""

    generation: int
    query: KeyQuery
    keep: str | None
    around: int

    def windows(self, pages: KeyPages) -> Iterator[Window]:
        """The window to show (the first page, and the page around the cursor when it is
        further down), then, when the first page came back full, the same with its count."""
        first = pages.list(self.query, limit=PAGE)
        page = Page.read(pages, 0, first)
        exact = len(first) < PAGE
        window = Window(
            self.generation,
            self.query,
            page.rows,
            page.usage,
            total=len(first),
            exact=exact,
            any_scope=bool(first) or pages.any_scope(),
        )
        if exact:
            yield self._kept(window)
            return
        # The count may take a while on a big store (160 ms at a million keys): first show
        # the first page, with the total marked as a lower bound.
        if self.around < PAGE:
            yield self._kept(window)
        total = pages.count(self.query)
        counted = replace(window, total=total, exact=True)
        if self.around >= PAGE and total > PAGE:
            # The cursor was further down (an edit, a toggle, a poll): read its page too, so
            # the admin stays where they were.
            start = max(0, min(self.around, total - 1) - PAGE // 2)
            read = PageRead(self.generation, self.query, start, min(total, start + PAGE), total)
            counted = counted.with_page(read.read(pages))
        yield self._kept(counted)

    def _kept(self, window: Window) -> Window:
        if self.keep is None:
            return window
        return replace(window, kept_at=window.index_of(self.keep))


class KeyListing:
    """The listing the table draws. Its methods run on the UI thread and read no SQL; the
    reads are :meth:`Loading.windows` and :meth:`PageRead.rows`, run by a worker."""

    def __init__(self, query: KeyQuery = KeyQuery()) -> None:
        self.window = Window(0, query)
        # The query asked for last: while its load is read, ``window`` still shows the old one.
        self.query = query
        self._asked = 0
        # The page being read: a scroll and a cursor move often want the same rows at once.
        self._reading: PageRead | None = None

    def load(self, query: KeyQuery | None = None, *, keep: str | None = None, around: int = 0) -> Loading:
        """Ask for ``query`` (the current one by default) to be read again; any window of an
        earlier load that arrives later is dropped."""
        self._asked += 1
        if query is not None:
            self.query = query
        return Loading(self._asked, self.query, keep, around)

    def take(self, window: Window) -> bool:
        """Show ``window`` if it belongs to the latest load; whether it was taken."""
        if window.generation != self._asked:
            return False
        if window.generation == self.window.generation:
            # The counted follow-up of the shown window: keep the pages read meanwhile.
            window = replace(
                window, rows={**self.window.rows, **window.rows}, usage={**self.window.usage, **window.usage}
            )
        self.window = window
        return True

    def page_wanted(self, first: int, last: int) -> PageRead | None:
        """What to read so rows ``first..last`` (inclusive) can be drawn, or None if held."""
        window = self.window
        if window.holds(first, last):
            return None
        last = min(last, window.total - 1)
        reading = self._reading
        if reading is not None and reading.generation == window.generation and reading.start <= first <= last < reading.stop:
            return None
        span = last - first + 1
        # Scrolling on from held rows reads a whole page ahead; a jump (End, a far cursor)
        # reads the screen it lands on and a screen around it, which shows sooner.
        size = PAGE if first - 1 in window.rows or last + 1 in window.rows else min(PAGE, span * 2)
        start = max(0, first - (size - span) // 2)
        self._reading = PageRead(window.generation, window.query, start, min(window.total, start + size), window.total)
        return self._reading

    def page_ended(self, read: PageRead) -> None:
        """``read`` is over (taken, or failed): its rows may be asked for again."""
        if self._reading == read:
            self._reading = None

    def take_page(self, read: PageRead, page: Page) -> bool:
        """Add a page read for the shown window; whether it still belongs to it."""
        self.page_ended(read)
        window = self.window
        if read.generation != window.generation or read.query != window.query:
            return False
        self.window = window.with_page(page)
        return True
