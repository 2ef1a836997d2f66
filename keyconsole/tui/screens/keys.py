"""The keys screen: the table an admin lives in, with the filter and the store's state."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from keyconsole.errors import KeyconsoleError
from keyconsole.service.display import printable
from keyconsole.service.key_query import SORTS, KeyQuery
from keyconsole.service.records import IssuedKey, KeyInfo, ScopeInfo
from keyconsole.tui import screens
from keyconsole.tui.widgets.key_bar import KeyBar
from keyconsole.tui.widgets.key_rows import PAGE, KeyRows, is_whole_answer
from keyconsole.tui.widgets.keys_table import KeysTable

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.service.preview import KeysPreview
    from keyconsole.tui.screens.key_form import FormResult
    from keyconsole.tui.key_store_opening import KeyStoreOpening


class KeysScreen(Screen[None]):
    # Keys typed while the console is still starting belong to the table, not the hidden filter.
    AUTO_FOCUS = "KeysTable"
    BINDINGS = [
        Binding("a", "add", "Add"),
        Binding("/", "filter", "Filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("d", "toggle_active", "On/off"),
        Binding("r", "rotate", "Rotate"),
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

    def __init__(self, opening: KeyStoreOpening, poll_seconds: float, preview: KeysPreview | None = None) -> None:
        super().__init__()
        self._opening = opening
        self._poll_seconds = poll_seconds
        self._preview = preview
        self._display_name = preview.display_name if preview is not None else opening.store().display_name
        self._rows = KeyRows(opening)
        self._marker: str | None = None
        self._has_scopes = True

    @property
    def _store(self) -> KeyStore:
        # Before a background opening ends this waits for it (tui/key_store_opening.py).
        return self._opening.store()

    def compose(self) -> ComposeResult:
        yield Static("", id="store-info")
        yield Static("", id="banner")
        yield Input(placeholder="filter by name, key id or scope (escape clears)", id="filter", classes="filter")
        yield Static("", id="empty-hint", classes="hint")
        yield KeysTable(self._rows, id="keys")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#banner").display = False
        if self._preview is None:
            self._store_ready()
            return
        self._rows.show_first_page(self._rows.query, self._preview.first_page)
        self._has_scopes = self._preview.has_scopes
        self.table.reset()
        self._describe()
        # Opened after the first screen is drawn: its import would hold the GIL meanwhile.
        self.call_after_refresh(self._opening.start, lambda: self.post_message(self.StoreOpened()))

    @on(StoreOpened)
    def _store_opened(self) -> None:
        error = self._opening.error()
        if error is not None:
            # The command line reports it (cli/main.py), as it would have without the preview.
            self.app.exit(return_code=1)
            return
        # The page is read again, with the store's change marker: a change made since the
        # preview's read would otherwise go unseen until the next one.
        self._store_ready()

    def _store_ready(self) -> None:
        # The first screen needs the first page, not the count of a million keys.
        self.reload(self._rows.query, first_page=True)
        self.set_interval(self._poll_seconds, self.poll)

    # -- loading -----------------------------------------------------------------------------

    @property
    def table(self) -> KeysTable:
        return self.query_one(KeysTable)

    def reload(
        self,
        query: KeyQuery | None = None,
        *,
        keep: str | None = None,
        marker: str | None = None,
        first_page: bool = False,
    ) -> None:
        """Read the keys again; ``first_page`` (opening, clearing the filter) shows the first
        page at once and counts in the background."""
        current = self.table.current if self.is_mounted else None
        keep = keep or (current.public_id if current is not None else None)
        try:
            # The poll has just read the marker; reading it again would be a second query.
            self._marker = marker if marker is not None else self._store.audit.change_marker()
            if first_page and query is not None:
                if not self._rows.reload_first_page(query):
                    self._count_matches(query)
            else:
                self._rows.reload(query)
            self._has_scopes = bool(self._store.scopes.names()) if self._rows.total == 0 else True
        except KeyconsoleError as error:
            self._show_failure(error)
            return
        self._clear_failure()
        self.table.reset(keep=keep)
        self._describe()

    @work(thread=True, exclusive=True, group="count")
    def _count_matches(self, query: KeyQuery) -> None:
        try:
            total = self._store.keys.count(query)
        except KeyconsoleError as error:
            self.app.call_from_thread(self._show_failure, error)
            return
        self.app.call_from_thread(self._settle_count, query, total)

    def _settle_count(self, query: KeyQuery, total: int) -> None:
        if self._rows.settle_total(query, total):
            current = self.table.current
            self.table.reset(keep=current.public_id if current is not None else None)
            self._describe()

    @work(thread=True, exclusive=True, group="filter")
    def _filter(self, query: KeyQuery) -> None:
        """A filter keystroke, answered off the UI thread: typing never waits for a scan of a
        big store, and a newer keystroke cancels this one's answer (exclusive worker)."""
        worker = get_current_worker()
        try:
            first = self._store.keys.list(query, limit=PAGE)
            if worker.is_cancelled:
                return
            self.app.call_from_thread(self._show_first_page, query, first)
            if is_whole_answer(first):
                return
            total = self._store.keys.count(query)
        except KeyconsoleError as error:
            self.app.call_from_thread(self._show_failure, error)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._settle_count, query, total)

    def _show_first_page(self, query: KeyQuery, first: list[KeyInfo]) -> None:
        current = self.table.current
        self._rows.show_first_page(query, first)
        self._clear_failure()
        self.table.reset(keep=current.public_id if current is not None else None)
        self._describe()

    def poll(self) -> None:
        """Cheap check for changes by other admins or the CLI; reload only when there are."""
        try:
            marker = self._store.audit.change_marker()
        except KeyconsoleError as error:
            self._show_failure(error)
            return
        if marker != self._marker or self.query_one("#banner").display:
            self.reload(marker=marker)

    def _describe(self) -> None:
        query = self._rows.query
        total = self._rows.total
        noun = "key" if total == 1 else "keys"
        counted = f"{total:,} {noun}" if self._rows.exact else f"{total:,}+ keys (counting…)"
        shown = counted + (f" matching {printable(query.search)!r}" if query.search else "")
        info = f"keyconsole  {printable(self._display_name)}  {shown}  sorted by {query.sort}"
        self.query_one("#store-info", Static).update(Content(info))
        hint = self.query_one("#empty-hint", Static)
        if total:
            hint.display = False
            return
        hint.display = True
        if query.search or query.status != "all":
            hint.update("No key matches the filter. Press escape to clear it.")
        elif not self._has_scopes:
            hint.update("No scopes yet. Press s to define the scopes your API checks (e.g. users:read), then a to add a key.")
        else:
            hint.update("No keys yet. Press a to add one.")

    def _show_failure(self, error: Exception) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Content(f"Store unavailable: {error}. Retrying every {self._poll_seconds:g} s."))
        banner.display = True

    def _clear_failure(self) -> None:
        self.query_one("#banner").display = False

    @on(KeysTable.Failed)
    def _table_failed(self, event: KeysTable.Failed) -> None:
        self._show_failure(event.error)

    # -- filter and sort ---------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter(replace(self._rows.query, search=event.value or None))

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.value = ""
            box.display = False
            self.reload(replace(self._rows.query, search=None), first_page=True)
            self.table.focus()

    def action_sort(self) -> None:
        following = SORTS[(SORTS.index(self._rows.query.sort) + 1) % len(SORTS)]
        self.reload(replace(self._rows.query, sort=following, descending=False))

    def action_reverse(self) -> None:
        self.reload(replace(self._rows.query, descending=not self._rows.query.descending))

    def action_reload(self) -> None:
        self.reload()

    # -- key actions -------------------------------------------------------------------------

    def _scopes_or_none(self) -> list[ScopeInfo] | None:
        try:
            return self._store.scopes.list()
        except KeyconsoleError as error:
            self._show_failure(error)
            return None

    def action_add(self) -> None:
        scopes = self._scopes_or_none()
        if scopes is None:
            return
        if not scopes:
            self.notify("Define a scope first: press s, then a.", severity="warning")
            return
        self.app.push_screen(screens.KeyFormScreen(self._store, scopes), self.form_done)

    @on(KeysTable.Opened)
    def _open(self, event: KeysTable.Opened) -> None:
        scopes = self._scopes_or_none()
        if scopes is None:
            return
        try:
            fresh = self._store.keys.get(event.key.public_id)
        except KeyconsoleError as error:
            self.notify(str(error), severity="error")
            self.reload()
            return
        self.app.push_screen(screens.KeyFormScreen(self._store, scopes, fresh), self.form_done)

    def form_done(self, result: FormResult) -> None:
        if isinstance(result, IssuedKey):
            self.reload(keep=result.info.public_id)
            self.app.push_screen(screens.RevealKeyScreen(result, "created"))
        elif isinstance(result, KeyInfo):
            self.reload(keep=result.public_id)
            self.notify(Content(f"Saved {printable(result.name)}: {result.status.value}"))

    def action_toggle_active(self) -> None:
        key = self.table.current
        if key is None:
            return
        verb = "Deactivate" if key.active else "Activate"
        consequence = "It stops working at once, everywhere." if key.active else "It works again at once."
        question = Content(f"{verb} {printable(key.name)} ({key.public_id})? {consequence}")

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                info = self._store.keys.set_active(key.public_id, not key.active, expected_version=key.version)
            except KeyconsoleError as error:
                self.notify(str(error), severity="error")
                self.reload()
                return
            self.reload(keep=info.public_id)
            self.notify(Content(f"{printable(info.name)} is now {info.status.value}"))

        self.app.push_screen(screens.ConfirmScreen(question, yes=verb), answered)

    def action_rotate(self) -> None:
        key = self.table.current
        if key is None:
            return

        def chosen(grace: timedelta | None) -> None:
            if grace is None:
                return
            try:
                issued = self._store.keys.rotate(key.public_id, grace=grace, expected_version=key.version)
            except KeyconsoleError as error:
                self.notify(str(error), severity="error")
                self.reload()
                return
            self.reload(keep=issued.info.public_id)
            self.app.push_screen(screens.RevealKeyScreen(issued, "rotated"))

        self.app.push_screen(screens.RotateScreen(key), chosen)

    def action_scopes(self) -> None:
        self.app.push_screen(screens.ScopesScreen(self._store), lambda _: self.reload())

    def action_audit(self) -> None:
        self.app.push_screen(screens.AuditScreen(self._store))

    def action_audit_key(self) -> None:
        key = self.table.current
        self.app.push_screen(screens.AuditScreen(self._store, None if key is None else key.public_id))
