"""Add a scope, or change a scope's description."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from keyconsole.service.records import ScopeInfo
from keyconsole.tui.screens.dialog import Dialog
from keyconsole.tui.widgets.busy_note import BusyNote
from keyconsole.tui.widgets.field_error import FieldError

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.tui.store_client import StoreClient


class ScopeFormScreen(Dialog[bool]):
    """Dismisses True when something was saved."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, store: StoreClient, scope: ScopeInfo | None = None) -> None:
        super().__init__()
        self._store = store
        self._scope = scope

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Add scope" if self._scope is None else f"Edit scope {self._scope.name}", classes="title")
            yield Label("Name", classes="field-label")
            yield Input(
                "" if self._scope is None else self._scope.name,
                # The rule goes in the box, not the label: a long label wraps over many lines at 80x24.
                placeholder="e.g. users:read (lower case, digits and _ . : -)",
                id="scope-name",
                disabled=self._scope is not None,
            )
            yield Label("Description", classes="field-label")
            yield Input("" if self._scope is None else self._scope.description, id="scope-description")
            yield FieldError(id="scope-error")
            yield BusyNote()
            with Horizontal(classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#scope-description" if self._scope else "#scope-name", Input).focus()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        if self.query_one(BusyNote).is_busy:
            return
        description = self.query_one("#scope-description", Input).value
        name = self.query_one("#scope-name", Input).value
        scope = self._scope

        def write(store: KeyStore) -> object:
            scopes = store.scopes
            return scopes.add(name, description) if scope is None else scopes.describe(scope.name, description)

        self._store.call(
            self,
            write,
            lambda _: self.dismiss(True),
            doing="saving the scope",
            failed=lambda error: self.query_one("#scope-error", FieldError).show(str(error)),
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
