"""The audit screen: who did what and when, newest first, optionally for one key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label

from keyconsole.service.display import audit_actor, printable, when
from keyconsole.service.records import AuditEntry
from keyconsole.tui.store_calls import call_store
from keyconsole.tui.widgets.busy_note import BusyNote
from keyconsole.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:
    from keyconsole.tui.key_store_opening import KeyStoreOpening

LIMIT = 500


class AuditScreen(Screen[None]):
    BINDINGS = [
        Binding("/", "filter", "Filter by key"),
        Binding("escape", "back", "Back / clear"),
    ]

    def __init__(self, opening: KeyStoreOpening, key_ref: str | None = None) -> None:
        super().__init__()
        self._opening = opening
        self._key_ref = key_ref

    def compose(self) -> ComposeResult:
        yield Label("Audit log (newest first)", id="audit-title", classes="screen-title")
        yield Input(placeholder="key name or id, enter to filter", id="audit-filter", classes="filter")
        table: DataTable[Text] = DataTable(id="audit-table", cursor_type="row")
        yield table
        yield BusyNote()
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("When (UTC)", 16), ("Who", 28), ("Action", 14), ("Key", 20), ("Details", 60)):
            table.add_column(title, width=width)
        self.query_one("#audit-filter", Input).display = False
        self.read_events()
        table.focus()

    def read_events(self) -> None:
        key_ref = self._key_ref

        def read() -> list[AuditEntry]:
            store = self._opening.wait_for_store()
            public_id = None if key_ref is None else store.keys.get(key_ref).public_id
            return store.audit.query(key_public_id=public_id, limit=LIMIT)

        call_store(self, read, self._show_events, doing="reading the audit log")

    def _show_events(self, events: list[AuditEntry]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for event in events:
            key = "" if event.key_public_id is None else f"{printable(event.key_name or '')} ({event.key_public_id})"
            details = json.dumps(event.details, ensure_ascii=False, separators=(", ", ": "))
            table.add_row(*(Text(printable(cell)) for cell in (when(event.at), audit_actor(event.db_role, event.actor), event.action, key, details)))
        title = "Audit log (newest first)" + ("" if self._key_ref is None else f" for {printable(self._key_ref)}")
        self.query_one("#audit-title", Label).update(Content(title))

    def action_filter(self) -> None:
        box = self.query_one("#audit-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#audit-filter")
    def _filter(self, event: Input.Submitted) -> None:
        self._key_ref = event.value.strip() or None
        self.read_events()
        self.query_one(DataTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#audit-filter", Input)
        if box.display:
            box.display = False
            box.value = ""
            self._key_ref = None
            self.read_events()
            self.query_one(DataTable).focus()
        else:
            self.app.pop_screen()
