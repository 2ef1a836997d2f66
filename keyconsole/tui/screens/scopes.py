"""The scopes screen: each scope with how many keys hold it; add, describe, remove."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Label

from keyconsole.errors import KeyconsoleError
from keyconsole.service.display import printable
from keyconsole.service.records import ScopeInfo
from keyconsole.tui.screens.confirm import ConfirmScreen
from keyconsole.tui.screens.scope_form import ScopeFormScreen
from keyconsole.tui.store_client import READ_ONLY
from keyconsole.tui.widgets.busy_note import BusyNote
from keyconsole.tui.widgets.key_bar import KeyBar
from keyconsole.tui.widgets.screen_title import Hint, ScreenTitle

if TYPE_CHECKING:
    from keyconsole.tui.store_client import StoreClient


class ScopesScreen(Screen[None]):
    BINDINGS = [
        Binding("a", "add", "Add scope"),
        Binding("e,enter", "edit", "Describe"),
        Binding("x,delete", "remove", "Remove"),
        Binding("escape,s", "app.pop_screen", "Back to keys"),
    ]

    def __init__(self, store: StoreClient, *, read_only: bool = False) -> None:
        super().__init__()
        self._store = store
        self._read_only = read_only
        self._scopes: list[ScopeInfo] = []

    def compose(self) -> ComposeResult:
        yield ScreenTitle("Scopes")
        yield Hint("", id="scopes-hint")
        table: DataTable[Text] = DataTable(id="scopes-table", cursor_type="row", zebra_stripes=False)
        yield table
        yield BusyNote()
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Scope", width=24)
        table.add_column("Keys", width=6)
        table.add_column("Description", width=44)
        self.read_scopes()
        table.focus()

    def read_scopes(self) -> None:
        self._store.call(self, lambda store: store.scopes.list(), self._show_scopes, doing="reading scopes")

    def _show_scopes(self, scopes: list[ScopeInfo]) -> None:
        self._scopes = scopes
        table = self.query_one(DataTable)
        table.clear()
        for scope in self._scopes:
            # Text cells: a plain string cell would be parsed as markup.
            table.add_row(Text(scope.name), Text(str(scope.key_count)), Text(printable(scope.description)), key=scope.name)
        hint = "No scopes yet: press a to add one (for example users:read)." if not self._scopes else ""
        self.query_one("#scopes-hint", Hint).update(hint)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (self._read_only and action in ("add", "edit", "remove"))

    def on_key(self, event: events.Key) -> None:
        if self._read_only and event.key in ("a", "e", "enter", "x", "delete"):
            event.stop()
            self.notify(READ_ONLY, severity="warning")

    def _selected(self) -> ScopeInfo | None:
        table = self.query_one(DataTable)
        if not self._scopes or table.cursor_row >= len(self._scopes):
            return None
        return self._scopes[table.cursor_row]

    def action_add(self) -> None:
        self.app.push_screen(ScopeFormScreen(self._store), lambda saved: self.read_scopes() if saved else None)

    def action_edit(self) -> None:
        scope = self._selected()
        if scope is not None:
            self.app.push_screen(ScopeFormScreen(self._store, scope), lambda saved: self.read_scopes() if saved else None)

    def action_remove(self) -> None:
        scope = self._selected()
        if scope is None:
            return
        if scope.key_count:
            question = Content(
                f"{scope.key_count} key(s) hold {scope.name}. Remove it from them too, then delete it?"
            )
        else:
            question = Content(f"Delete the scope {scope.name}?")

        def failed(error: KeyconsoleError) -> None:
            self.notify(str(error), severity="error")
            self.read_scopes()

        def answered(yes: bool | None) -> None:
            if yes:
                self._store.call(
                    self,
                    lambda store: store.scopes.remove(scope.name, force=True),
                    lambda _: self.read_scopes(),
                    doing=f"removing {scope.name}",
                    failed=failed,
                )

        self.app.push_screen(ConfirmScreen(question, yes="Remove"), answered)
