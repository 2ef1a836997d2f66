"""The audit screen: who did what and when, newest first, optionally for one key."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label

from keyconsole.service.display import audit_actor, printable, when
from keyconsole.service.records import AuditEntry
from keyconsole.tui.widgets.busy_note import BusyNote
from keyconsole.tui.widgets.kept_keys import KeptKeys
from keyconsole.tui.widgets.key_bar import KeyBar
from keyconsole.tui.widgets.screen_title import ScreenTitle

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.tui.store_client import StoreClient

LIMIT = 500


class AuditTable(DataTable[Text]):
    """The events; arrows pressed before they arrive move the cursor once they do."""

    def __init__(self) -> None:
        super().__init__(id="audit-table", cursor_type="row")
        self.kept = KeptKeys(self)

    def on_key(self, event: events.Key) -> None:
        self.kept.keep(event)

    def fill(self, rows: list[tuple[Text, ...]]) -> None:
        self.clear()
        for row in rows:
            self.add_row(*row)
        for key in self.kept.release():
            self.kept.run_own_binding(key)


class AuditScreen(Screen[None]):
    BINDINGS = [
        Binding("/", "filter", "Filter by key"),
        Binding("escape", "back", "Back / clear"),
    ]

    def __init__(self, store: StoreClient, key_ref: str | None = None) -> None:
        super().__init__()
        self._store = store
        self._key_ref = key_ref

    def compose(self) -> ComposeResult:
        yield ScreenTitle("Audit log (newest first)", id="audit-title")
        yield Input(placeholder="key name or id, enter to filter", id="audit-filter")
        yield AuditTable()
        yield BusyNote()
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(AuditTable)
        for title, width in (("When (UTC)", 16), ("Who", 28), ("Action", 14), ("Key", 20), ("Details", 60)):
            table.add_column(title, width=width)
        self.query_one("#audit-filter", Input).display = False
        self.read_events()
        table.focus()

    def read_events(self) -> None:
        key_ref = self._key_ref
        table = self.query_one(AuditTable)
        table.kept = KeptKeys(table)

        def read(store: KeyStore) -> list[AuditEntry]:
            public_id = None if key_ref is None else store.keys.get(key_ref).public_id
            return store.audit.query(key_public_id=public_id, limit=LIMIT)

        self._store.call(self, read, self._show_events, doing="reading the audit log")

    def _show_events(self, entries: list[AuditEntry]) -> None:
        rows = []
        for entry in entries:
            key = "" if entry.key_public_id is None else f"{printable(entry.key_name or '')} ({entry.key_public_id})"
            details = json.dumps(entry.details, ensure_ascii=False, separators=(", ", ": "))
            cells = (when(entry.at), audit_actor(entry.db_role, entry.actor), entry.action, key, details)
            rows.append(tuple(Text(printable(cell)) for cell in cells))
        self.query_one(AuditTable).fill(rows)
        title = "Audit log (newest first)" + ("" if self._key_ref is None else f" for {printable(self._key_ref)}")
        self.query_one("#audit-title", ScreenTitle).update(Content(title))

    def action_filter(self) -> None:
        box = self.query_one("#audit-filter", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#audit-filter")
    def _filter(self, event: Input.Submitted) -> None:
        self._key_ref = event.value.strip() or None
        self.read_events()
        self.query_one(AuditTable).focus()

    def action_back(self) -> None:
        box = self.query_one("#audit-filter", Input)
        if box.display:
            box.display = False
            box.value = ""
            self._key_ref = None
            self.read_events()
            self.query_one(AuditTable).focus()
        else:
            self.app.pop_screen()
