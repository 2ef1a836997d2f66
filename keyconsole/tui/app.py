"""The console app, and its factories: `open_app` (what `keyconsole` runs, tested too) and
`make_app` (on a store a test has opened)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from keyconsole import settings
from keyconsole.console_model.direct_pages import DirectKeyPages
from keyconsole.console_model.listing import KeyListing
from keyconsole.errors import KeyconsoleError
from keyconsole.service.clock import Clock, utc_now
from keyconsole.tui import screens
from keyconsole.tui.key_store_opening import KeyStoreOpening
from keyconsole.tui.screens.keys import KeysScreen
from keyconsole.tui.store_client import StoreClient
from keyconsole.tui.widgets.keys_table import KeysTable

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.tui.clipboard import LocalClipboardWiper

POLL_SECONDS = 3.0
SWITCH_INTERVAL_S = 0.001


def stylesheet_path() -> Path:
    """keyconsole.tcss: inside the installed package, or at the root of a source checkout."""
    packaged = Path(__file__).resolve().parent.parent / "keyconsole.tcss"
    return packaged if packaged.is_file() else packaged.parent.parent / "keyconsole.tcss"


class KeyConsoleApp(App[None]):
    TITLE = "keyconsole"
    CSS_PATH = stylesheet_path()
    BINDINGS = [Binding("question_mark", "help", "Help", show=False)]

    def __init__(
        self,
        opening: KeyStoreOpening,
        *,
        listing: KeyListing | None = None,
        poll_seconds: float = POLL_SECONDS,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__()
        # The one way every screen reaches the store (tui/store_client.py).
        self.store_client = StoreClient(opening)
        self._listing = listing
        self._clock = clock
        # Read before the app starts: a bad value is one line from the command line.
        self._expiry_warning = settings.expiry_warning()
        self._plain_bars = settings.plain_bars()
        self._poll_seconds = poll_seconds
        self._clipboard_wiper: LocalClipboardWiper | None = None
        self._switch_interval = sys.getswitchinterval()

    @property
    def clipboard_wiper(self) -> LocalClipboardWiper:
        # Made at the first copy: a session that copies nothing never loads pyperclip.
        if self._clipboard_wiper is None:
            from keyconsole.tui.clipboard import LocalClipboardWiper

            self._clipboard_wiper = LocalClipboardWiper(settings.clipboard_clear_s())
        return self._clipboard_wiper

    @property
    def store_error(self) -> BaseException | None:
        """Why a store opening in the background failed (the app has then exited)."""
        return self.store_client.opening.error()

    def on_mount(self) -> None:
        # The store is read on worker threads: handing the GIL over every 1 ms instead of
        # Python's 5 lets a page read start while the UI thread is still drawing (the End key
        # at a million keys: 16-18 ms instead of 18-21, benchmarks/console.py).
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.push_screen(
            KeysScreen(
                self.store_client,
                self._poll_seconds,
                self._listing,
                clock=self._clock,
                expiry_warning=self._expiry_warning,
                plain_bars=self._plain_bars,
            )
        )

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        if self._clipboard_wiper is not None:
            self._clipboard_wiper.wipe_all()
        self.store_client.opening.close()

    @property
    def keys_screen(self) -> KeysScreen:
        return next(s for s in self.screen_stack if isinstance(s, KeysScreen))

    def action_help(self) -> None:
        if isinstance(self.screen, screens.HelpScreen):
            return
        # Loaded with the form it belongs to, not for the first screen (tui/screens/__init__.py).
        from keyconsole.tui.widgets.choice import ScopeChecklist

        self.push_screen(
            screens.HelpScreen(
                [
                    ("Keys table", [*KeysScreen.BINDINGS, *KeysTable.BINDINGS]),
                    (
                        "Key form (Name, Scopes, Active, Expires, Owner, Note)",
                        [*screens.KeyFormScreen.BINDINGS, *ScopeChecklist.BINDINGS],
                    ),
                    ("New key (shown once)", [*screens.RevealKeyScreen.BINDINGS, Binding("enter", "", "Done: close")]),
                    ("Key details", screens.KeyDetailsScreen.BINDINGS),
                    ("Scopes screen", screens.ScopesScreen.BINDINGS),
                    ("Audit screen", screens.AuditScreen.BINDINGS),
                ]
            )
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        keys = self.keys_screen
        yield SystemCommand("Add key", "Create a key and show it once", keys.action_add)
        yield SystemCommand("Filter keys", "By name, key id or scope", keys.action_filter)
        yield SystemCommand("Deactivate / activate key", "The selected key", keys.action_toggle_active)
        yield SystemCommand("Key details", "Every scope, owner, note and the last changes", keys.action_details)
        yield SystemCommand("Rotate key", "A new secret for the selected key", keys.action_rotate)
        yield SystemCommand("Delete key", "The selected key, if inactive", keys.action_delete)
        yield SystemCommand("Sort keys", "By the next column", keys.action_sort)
        yield SystemCommand("Scopes", "List, add, describe and remove scopes", keys.action_scopes)
        yield SystemCommand("Audit log", "Who changed what, newest first", keys.action_audit)
        yield SystemCommand("Reload", "Read the store again", keys.action_reload)
        yield SystemCommand("Keys help", "Every key binding", self.action_help)


def open_app(db: str | None, *, poll_seconds: float = POLL_SECONDS) -> KeyConsoleApp:
    """The console on the store at ``db`` (as ``--db`` takes it), closed when the app ends.

    A ready store's first page is read before the app starts, through a direct connection
    (console_model/direct_pages.py), while the store opens in the background afterwards. Any other
    store (new, to migrate, or unusable) is opened here first, so its error is raised before
    the console starts.
    """
    first = first_window_read_directly(db)
    if first is not None:
        listing, display_name = first
        return KeyConsoleApp(
            KeyStoreOpening.in_background(db, display_name), listing=listing, poll_seconds=poll_seconds
        )
    from keyconsole.service.api import KeyStore

    return KeyConsoleApp(KeyStoreOpening.opened(KeyStore(db), owned=True), poll_seconds=poll_seconds)


def first_window_read_directly(db: str | None) -> tuple[KeyListing, str] | None:
    pages = DirectKeyPages.open(db)
    if pages is None:
        return None
    listing = KeyListing()
    try:
        # Only the first window: the count of a full first page waits for the store.
        listing.take(next(listing.load().windows(pages)))
    except KeyconsoleError:
        return None
    finally:
        pages.close()
    return listing, pages.display_name


def make_app(store: KeyStore, *, poll_seconds: float = POLL_SECONDS, clock: Clock = utc_now) -> KeyConsoleApp:
    """The console on an open store, which stays open when the app ends."""
    return KeyConsoleApp(KeyStoreOpening.opened(store), poll_seconds=poll_seconds, clock=clock)
