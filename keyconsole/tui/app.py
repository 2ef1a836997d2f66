"""The console app and `make_app`, the one factory the CLI and the tests both use."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from keyconsole.service.api import KeyStore
from keyconsole.tui.clipboard import LocalClipboardWiper, clear_after_seconds
from keyconsole.tui.screens.audit import AuditScreen
from keyconsole.tui.screens.help import HelpScreen
from keyconsole.tui.screens.key_form import KeyFormScreen
from keyconsole.tui.screens.keys import KeysScreen
from keyconsole.tui.screens.reveal import RevealKeyScreen
from keyconsole.tui.screens.scopes import ScopesScreen
from keyconsole.tui.widgets.choice import ScopeChecklist
from keyconsole.tui.widgets.keys_table import KeysTable

POLL_SECONDS = 3.0


def stylesheet_path() -> Path:
    """keyconsole.tcss: inside the installed package, or at the root of a source checkout."""
    packaged = Path(__file__).resolve().parent.parent / "keyconsole.tcss"
    return packaged if packaged.is_file() else packaged.parent.parent / "keyconsole.tcss"


class KeyConsoleApp(App[None]):
    TITLE = "keyconsole"
    CSS_PATH = stylesheet_path()
    BINDINGS = [Binding("question_mark", "help", "Help", show=False)]

    def __init__(self, store: KeyStore, *, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.store = store
        self._poll_seconds = poll_seconds
        self.clipboard_wiper = LocalClipboardWiper(clear_after_seconds())

    def on_mount(self) -> None:
        self.push_screen(KeysScreen(self.store, self._poll_seconds))

    def on_unmount(self) -> None:
        self.clipboard_wiper.wipe_all()

    @property
    def keys_screen(self) -> KeysScreen:
        return next(s for s in self.screen_stack if isinstance(s, KeysScreen))

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(
            HelpScreen(
                [
                    ("Keys table", [*KeysScreen.BINDINGS, *KeysTable.BINDINGS]),
                    ("Key form (Name, Scopes, Active, Expires)", [*KeyFormScreen.BINDINGS, *ScopeChecklist.BINDINGS]),
                    ("New key (shown once)", [*RevealKeyScreen.BINDINGS, Binding("enter", "", "Done: close")]),
                    ("Scopes screen", ScopesScreen.BINDINGS),
                    ("Audit screen", AuditScreen.BINDINGS),
                ]
            )
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        keys = self.keys_screen
        yield SystemCommand("Add key", "Create a key and show it once", keys.action_add)
        yield SystemCommand("Filter keys", "By name, key id or scope", keys.action_filter)
        yield SystemCommand("Deactivate / activate key", "The selected key", keys.action_toggle_active)
        yield SystemCommand("Rotate key", "A new secret for the selected key", keys.action_rotate)
        yield SystemCommand("Sort keys", "By the next column", keys.action_sort)
        yield SystemCommand("Scopes", "List, add, describe and remove scopes", keys.action_scopes)
        yield SystemCommand("Audit log", "Who changed what, newest first", keys.action_audit)
        yield SystemCommand("Reload", "Read the store again", keys.action_reload)
        yield SystemCommand("Keys help", "Every key binding", self.action_help)


def make_app(store: KeyStore, *, poll_seconds: float = POLL_SECONDS) -> KeyConsoleApp:
    return KeyConsoleApp(store, poll_seconds=poll_seconds)
