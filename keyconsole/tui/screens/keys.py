"""The keys screen: the table an admin lives in, with the filter and the store's state.

Rows reach the table one way: an action asks the listing for a load (console_model/listing.py),
one exclusive store call reads it (`_read_rows`, through tui/store_client.py like every
other), and `_rows_read` shows each window it hands back. Scrolling to rows not read yet asks
the page reader for their page (`_ask_for_rows`, tui/page_reader.py). The UI thread never
runs SQL.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from functools import partial
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from keyconsole.console_model.key_views import VIEWS
from keyconsole.console_model.listing import KeyListing, Loading, Page, PageRead, Window
from keyconsole.errors import KeyconsoleError
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.display import middle_cut, printable
from keyconsole.service.key_query import SORTS, KeyQuery
from keyconsole.service.records import IssuedKey, KeyInfo
from keyconsole.settings import DEFAULT_EXPIRY_WARN_DAYS
from keyconsole.tui import screens
from keyconsole.tui.key_changes import KeyChanges
from keyconsole.tui.marks import Marks
from keyconsole.tui.page_reader import PageReader
from keyconsole.tui.store_client import READ_ONLY
from keyconsole.tui.widgets.busy_note import BusyNote
from keyconsole.tui.widgets.key_bar import KeyBar
from keyconsole.tui.widgets.keys_table import KeysTable
from keyconsole.tui.widgets.screen_title import Hint

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.tui.screens.key_form import FormResult
    from keyconsole.tui.store_client import StoreClient


# The fewest characters of the store's name the header keeps beside the sort, and beside
# the counts and warnings alone (which are never cut).
STORE_NAME_MIN = 20
STORE_NAME_LEAST = 10
# Rows are read again at least this often: expiry words count minutes, and a key expires
# with nobody changing anything.
TIME_RECHECK = timedelta(minutes=1)
CHANGING_ACTIONS = frozenset({"add", "toggle_active", "rotate", "delete", "mark"})
CHANGING_KEYS = frozenset({"a", "d", "r", "x", "space"})


class KeysScreen(Screen[None]):
    DEFAULT_CSS = """
    KeysScreen #store-info {
        height: 1;
        padding: 0 1;
        background: $primary-background;
        text-style: bold;
    }
    KeysScreen #banner {
        height: auto;
        padding: 0 1;
        background: $error;
        color: $text;
        text-style: bold;
    }
    """
    # Keys typed while the console is still starting belong to the table, not the hidden filter.
    AUTO_FOCUS = "KeysTable"
    BINDINGS = [
        Binding("a", "add", "Add"),
        Binding("/", "filter", "Filter"),
        Binding("v", "view", "View"),
        Binding("i", "details", "Details", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("d", "toggle_active", "On/off"),
        Binding("space", "mark", "Mark", show=False),
        Binding("r", "rotate", "Rotate"),
        Binding("x", "delete", "Delete", show=False),
        Binding("o", "sort", "Sort", show=False),
        Binding("O", "reverse", "Reverse sort", show=False),
        Binding("s", "scopes", "Scopes"),
        Binding("l", "audit", "Audit", show=False),
        Binding("L", "audit_key", "Audit of key", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("question_mark", "app.help", "Help"),
        Binding("q", "app.quit", "Quit"),
    ]

    class StoreOpened(Message):
        """The store opening in the background is open, or has failed to open."""

    class RowsRead(Message):
        def __init__(self, window: Window, marker: str | None) -> None:
            super().__init__()
            self.window = window
            self.marker = marker

    class HeaderCounted(Message):
        """The header's counts over the whole store: keys expiring soon, keys spiking."""

        def __init__(self, expiring: int, spiking: int, marker: str) -> None:
            super().__init__()
            self.expiring = expiring
            self.spiking = spiking
            self.marker = marker

    class PageArrived(Message):
        def __init__(self, read: PageRead, page: Page) -> None:
            super().__init__()
            self.read = read
            self.page = page

    class ReadFailed(Message):
        def __init__(self, error: KeyconsoleError, page: PageRead | None = None) -> None:
            super().__init__()
            self.error = error
            self.page = page

    def __init__(
        self,
        store: StoreClient,
        poll_seconds: float,
        listing: KeyListing | None = None,
        *,
        clock: Clock = utc_now,
        expiry_warning: timedelta = timedelta(days=DEFAULT_EXPIRY_WARN_DAYS),
        plain_bars: bool = False,
    ) -> None:
        super().__init__()
        self._plain_bars = plain_bars
        self._store = store
        self._poll_seconds = poll_seconds
        self._clock = clock
        self._expiry_warning = expiry_warning
        self._view = 0
        self._marks = Marks()
        self._changes = KeyChanges(self, store, self._marks, self.load_rows)
        # Active keys expiring within the warning window, keys spiking (service/usage_window.py),
        # and the change marker they were counted at.
        self._expiring = 0
        self._spiking = 0
        self._counted_marker: str | None = None
        # A listing whose first window was read before the app started (tui/app.py: open_app).
        self._listing = listing if listing is not None else KeyListing()
        self._shown_before_open = listing is not None
        # The store's change marker as of the rows shown (service/audit_log.py).
        self._marker: str | None = None
        # When the rows shown were read: what they say of expiry ages with the clock.
        self._read_at: datetime | None = None
        self._page_reader = PageReader(lambda: self._store.wait().keys, self._page_read)
        # Whether the store's role may only read (store/direct/grants.py): the keys that would change
        # it are then hidden from the key bar, and pressing one says why.
        self._read_only = False

    def compose(self) -> ComposeResult:
        yield Static("", id="store-info")
        yield Static("", id="banner")
        yield Input(placeholder="filter by name, key id or scope (escape clears)", id="filter")
        yield Hint("", id="empty-hint")
        yield KeysTable(
            self._listing,
            self._ask_for_rows,
            self._open,
            clock=self._clock,
            expiry_warning=self._expiry_warning,
            marks=self._marks,
            plain_bars=self._plain_bars,
            id="keys",
        )
        yield BusyNote()
        yield KeyBar()

    def on_resize(self) -> None:
        self._describe()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#banner").display = False
        self.table.reset()
        self._describe()
        if not self._shown_before_open:
            self._store_ready()
            return
        # Opened after the first screen is drawn: its import would hold the GIL meanwhile.
        self.call_after_refresh(self._store.opening.start, lambda: self.post_message(self.StoreOpened()))

    def on_unmount(self) -> None:
        self._page_reader.stop()

    @on(StoreOpened)
    def _store_opened(self) -> None:
        if self._store.opening.error() is not None:
            # The command line reports it (cli/main.py), as it would have without the preview.
            self.app.exit(return_code=1)
            return
        # Read again, with the store's change marker: a change made since the first read
        # would otherwise go unseen until the next one.
        self._store_ready()

    def _store_ready(self) -> None:
        self._store.call(
            self,
            lambda store: store.access.may_change(),
            self._rights_known,
            doing="checking this role's rights",
        )
        # Textual, SQLAlchemy and the store's metadata live as long as the console: moved out
        # of the collector's sight, a full collection no longer walks them (a 40-55 ms stall of
        # the UI thread at a random moment, benchmarks/console.py).
        gc.freeze()
        self.load_rows()
        self.set_interval(self._poll_seconds, self.poll)

    def _rights_known(self, may_change: bool) -> None:
        self._read_only = not may_change
        self.refresh_bindings()
        self._describe()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self._read_only and action in CHANGING_ACTIONS)

    def on_key(self, event: events.Key) -> None:
        # A hidden binding does nothing when pressed; say why instead.
        if self._read_only and event.key in CHANGING_KEYS:
            event.stop()
            self._explain_read_only()

    def _explain_read_only(self) -> None:
        self.notify(READ_ONLY, severity="warning")

    @property
    def table(self) -> KeysTable:
        return self.query_one(KeysTable)

    # -- the one path for rows ---------------------------------------------------------------

    def load_rows(self, query: KeyQuery | None = None, *, keep: str | None = None) -> None:
        """Read ``query`` (by default the current one) again; the cursor stays on ``keep``
        (by default the key under it) when that key is still near."""
        current = self.table.current
        keep = keep or (current.public_id if current is not None else None)
        # The cursor's position means something only in the order it was in.
        same_order = query is None or query == self._listing.query
        loading = self._listing.load(query, keep=keep, around=self.table.cursor_row if same_order else 0)
        # Exclusive: a newer load (a keystroke in the filter, a sort) cancels this one, and
        # the listing drops any window of it that still arrives (KeyListing.take).
        self._store.call(
            self, partial(self._read_rows, loading), failed=self._failed_to_read, group="rows", exclusive=True
        )

    def _read_rows(self, loading: Loading, store: KeyStore) -> None:
        worker = get_current_worker()
        # Read before the rows: a change landing in between is seen by the next poll.
        marker = store.audit.change_marker()
        for window in loading.windows(store.keys):
            if worker.is_cancelled:
                return
            self.post_message(self.RowsRead(window, marker))
        # After the rows, and only when the store changed or time passed (a poll): not on
        # every filter keystroke.
        if marker != self._counted_marker and not worker.is_cancelled:
            expiring = 0
            if self._expiry_warning:
                expiring = store.keys.count(KeyQuery(status="active", expiring_within=self._expiry_warning))
            self.post_message(self.HeaderCounted(expiring, store.usage.spiking(), marker))

    def _failed_to_read(self, error: KeyconsoleError) -> None:
        self.post_message(self.ReadFailed(error))

    @on(HeaderCounted)
    def _header_counted(self, event: HeaderCounted) -> None:
        self._expiring, self._spiking, self._counted_marker = event.expiring, event.spiking, event.marker
        self._describe()

    @on(RowsRead)
    def _rows_read(self, event: RowsRead) -> None:
        if not self._listing.take(event.window):
            return
        self._marker = event.marker
        self._read_at = self._clock()
        self._clear_failure()
        self.table.reset(cursor=event.window.kept_at)
        self._describe()

    def _ask_for_rows(self, first: int, last: int) -> None:
        read = self._listing.page_wanted(first, last)
        if read is not None:
            self._page_reader.ask(read)

    def _page_read(self, read: PageRead, outcome: Page | KeyconsoleError) -> None:
        # On the page reader's thread: post_message is safe from any thread.
        if isinstance(outcome, KeyconsoleError):
            self.post_message(self.ReadFailed(outcome, read))
        else:
            self.post_message(self.PageArrived(read, outcome))

    @on(PageArrived)
    def _page_arrived(self, event: PageArrived) -> None:
        if self._listing.take_page(event.read, event.page):
            self.table.refresh()

    @on(ReadFailed)
    def _read_failed(self, event: ReadFailed) -> None:
        if event.page is not None:
            self._listing.page_ended(event.page)
        banner = self.query_one("#banner", Static)
        banner.update(Content(f"Store unavailable: {event.error}. Retrying every {self._poll_seconds:g} s."))
        banner.display = True

    def _clear_failure(self) -> None:
        self.query_one("#banner").display = False

    def poll(self) -> None:
        """Cheap check for changes by other admins or the CLI; reload only when there are,
        or when time alone has changed what the rows say (a key expired, "in 3m" is now
        "in 2m"), which no change marker shows."""
        aged = self._read_at is not None and self._clock() - self._read_at >= TIME_RECHECK
        if aged:
            self._counted_marker = None  # count the expiring and spiking keys again too
        shown, reload = self._marker, aged or bool(self.query_one("#banner").display)

        def changed(marker: str | None) -> None:
            if marker != shown or reload:
                self.load_rows()

        self._store.call(
            self,
            lambda store: store.audit.change_marker(),
            changed,
            failed=self._failed_to_read,
            group="poll",
            exclusive=True,
        )

    def _describe(self) -> None:
        window = self._listing.window
        query, total = window.query, window.total
        noun = "key" if total == 1 else "keys"
        counted = f"{total:,} {noun}" if window.exact else f"{total:,}+ keys (counting…)"
        if self._view:
            counted = f"{VIEWS[self._view].label}: {counted}"
        shown = counted + (f" matching {printable(query.search)!r}" if query.search else "")
        rest = f"  {shown}"
        if self._expiring:
            verb = "expires" if self._expiring == 1 else "expire"
            days = self._expiry_warning.days
            rest += f"  {self._expiring:,} {verb} within {days} day{'' if days == 1 else 's'}"
        if self._spiking:
            rest += f"  {self._spiking:,} spiking"
        if self._marks:
            rest += f"  {len(self._marks)} marked"
        if self._read_only:
            rest += "  read-only"
        width = self.size.width - len("keyconsole  ") - 2
        # The sort, which the table's own header also shows (^ or v), gives way first; then a
        # long store path is cut in its middle; the counts and warnings never are.
        sort = f"  sorted by {query.sort}"
        if width - len(rest) - len(sort) >= STORE_NAME_MIN:
            rest = f"  {shown}{sort}{rest[len(shown) + 2:]}"
        store = middle_cut(printable(self._store.display_name), max(STORE_NAME_LEAST, width - len(rest)))
        self.query_one("#store-info", Static).update(Content(f"keyconsole  {store}{rest}"))
        hint = self.query_one("#empty-hint", Hint)
        if total:
            hint.display = False
            return
        hint.display = True
        if query.search:
            hint.update("No key matches the filter. Press escape to clear it.")
        elif self._view:
            hint.update(f"No key in the {VIEWS[self._view].label} view. Press v for the next view.")
        elif not window.any_scope:
            hint.update("No scopes yet. Press s to define the scopes your API checks (e.g. users:read), then a to add a key.")
        else:
            hint.update("No keys yet. Press a to add one.")

    # -- filter and sort ---------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.load_rows(replace(self._listing.query, search=event.value or None))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.load_rows(replace(self._listing.query, search=None))
            self.table.focus()
        elif self._marks:
            self._marks.clear()
            self.table.refresh()
            self._describe()

    def action_mark(self) -> None:
        key = self.table.current
        if key is None:
            return
        self._marks.toggle(key)
        self.table.action_cursor(1)
        self.table.refresh()
        self._describe()

    def action_details(self) -> None:
        key = self.table.current
        if key is not None:
            self.app.push_screen(screens.KeyDetailsScreen(self._store, key))

    def action_view(self) -> None:
        self._view = (self._view + 1) % len(VIEWS)
        self.load_rows(VIEWS[self._view].narrowed(self._listing.query, self._expiry_warning))

    def action_sort(self) -> None:
        query = self._listing.query
        following = SORTS[(SORTS.index(query.sort) + 1) % len(SORTS)]
        self.load_rows(replace(query, sort=following, descending=False))

    def action_reverse(self) -> None:
        query = self._listing.query
        self.load_rows(replace(query, descending=not query.descending))

    def action_reload(self) -> None:
        self.load_rows()

    # -- key actions -------------------------------------------------------------------------

    def action_add(self) -> None:
        if not self._listing.window.any_scope:
            self.notify("Define a scope first: press s, then a.", severity="warning")
            return
        self.app.push_screen(screens.KeyFormScreen(self._store), self.form_done)

    def _open(self, key: KeyInfo) -> None:
        if self._read_only:
            # A role that may only read opens the key's details, never the form that edits it.
            self.app.push_screen(screens.KeyDetailsScreen(self._store, key))
            return
        # The row as last read: if the key has changed since, saving says so (StaleEdit).
        self.app.push_screen(screens.KeyFormScreen(self._store, key), self.form_done)

    def form_done(self, result: FormResult) -> None:
        if isinstance(result, IssuedKey):
            self.load_rows(keep=result.info.public_id)
            self.app.push_screen(screens.RevealKeyScreen(result, "created"))
        elif isinstance(result, KeyInfo):
            self.load_rows(keep=result.public_id)
            self.notify(Content(f"Saved {printable(result.name)}: {result.status.value}"))

    def action_toggle_active(self) -> None:
        if self._marks:
            self._changes.switch_marked()
        elif (key := self.table.current) is not None:
            self._changes.toggle(key)

    def action_rotate(self) -> None:
        if (key := self.table.current) is not None:
            self._changes.rotate(key)

    def action_delete(self) -> None:
        """Delete the marked keys, or the one under the cursor: inactive keys only."""
        self._changes.delete(self.table.current)

    def action_scopes(self) -> None:
        self.app.push_screen(screens.ScopesScreen(self._store, read_only=self._read_only), lambda _: self.load_rows())

    def action_audit(self) -> None:
        self.app.push_screen(screens.AuditScreen(self._store))

    def action_audit_key(self) -> None:
        key = self.table.current
        self.app.push_screen(screens.AuditScreen(self._store, None if key is None else key.public_id))
