"""The scopes screen: each scope with how many keys hold it; add, describe, remove."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
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
from keyconsole.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore


class ScopesScreen(Screen[None]):
    BINDINGS = [
        Binding("a", "add", "Add scope"),
        Binding("e,enter", "edit", "Describe"),
        Binding("x,delete", "remove", "Remove"),
        Binding("escape,s", "app.pop_screen", "Back to keys"),
    ]

    def __init__(self, store: KeyStore) -> None:
        super().__init__()
        self._store = store
        self._scopes: list[ScopeInfo] = []

    def compose(self) -> ComposeResult:
        yield Label("Scopes", classes="screen-title")
        yield Label("", id="scopes-hint", classes="hint")
        table: DataTable[Text] = DataTable(id="scopes-table", cursor_type="row", zebra_stripes=False)
        yield table
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Scope", width=24)
        table.add_column("Keys", width=6)
        table.add_column("Description", width=44)
        self.reload()
        table.focus()

    def reload(self) -> None:
        try:
            self._scopes = self._store.scopes.list()
        except KeyconsoleError as error:
            self.notify(str(error), severity="error")
            return
        table = self.query_one(DataTable)
        table.clear()
        for scope in self._scopes:
            # Text cells: a plain string cell would be parsed as markup.
            table.add_row(Text(scope.name), Text(str(scope.key_count)), Text(printable(scope.description)), key=scope.name)
        hint = "No scopes yet: press a to add one (for example users:read)." if not self._scopes else ""
        self.query_one("#scopes-hint", Label).update(hint)

    def _selected(self) -> ScopeInfo | None:
        table = self.query_one(DataTable)
        if not self._scopes or table.cursor_row >= len(self._scopes):
            return None
        return self._scopes[table.cursor_row]

    def action_add(self) -> None:
        self.app.push_screen(ScopeFormScreen(self._store), lambda saved: self.reload() if saved else None)

    def action_edit(self) -> None:
        scope = self._selected()
        if scope is not None:
            self.app.push_screen(ScopeFormScreen(self._store, scope), lambda saved: self.reload() if saved else None)

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

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self._store.scopes.remove(scope.name, force=True)
            except KeyconsoleError as error:
                self.notify(str(error), severity="error")
            self.reload()

        self.app.push_screen(ConfirmScreen(question, yes="Remove"), answered)
