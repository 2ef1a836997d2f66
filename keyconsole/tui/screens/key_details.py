"""Everything about one key, one key away (`i`): what the table cuts, its usage over the last
day and month, and its last changes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Label, Sparkline, Static

from keyconsole.console_model.expiry_warning import expiry_words
from keyconsole.console_model.usage_view import series, summary
from keyconsole.scan.findings import why_switched_off
from keyconsole.service.clock import utc_now
from keyconsole.service.display import audit_actor, printable, when
from keyconsole.service.key_state import Status
from keyconsole.service.records import AuditEntry, KeyInfo
from keyconsole.tui.screens.dialog import Dialog
from keyconsole.tui.widgets.busy_note import BusyNote

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore
    from keyconsole.service.usage import KeyUsage
    from keyconsole.tui.store_client import StoreClient

EVENTS = 8


def _facts(key: KeyInfo, why_off: str | None = None) -> str:
    now = utc_now()
    expires = "never"
    if key.expires_at is not None:
        expires = when(key.expires_at)
        if key.expires_at > now:
            expires += f" ({expiry_words(key.expires_at, now)})"
    status = key.status.value
    if why_off and key.status is Status.INACTIVE:
        status += f" ({printable(why_off)})"
    rows = [
        ("Name", printable(key.name)),
        ("Key id", key.public_id),
        ("Status", status),
        ("Scopes", ", ".join(key.scopes)),
        ("Owner", printable(key.owner or "-")),
        ("Note", printable(key.note or "-")),
        ("Created", f"{when(key.created_at)} by {printable(key.created_by)}"),
        ("Updated", when(key.updated_at)),
        ("Last used", when(key.last_used_at, never="never")),
        ("Expires", expires),
    ]
    if key.rotation_grace_until is not None:
        rows.append(("Old secret", f"works until {when(key.rotation_grace_until)} (rotation grace)"))
    return "\n".join(f"{label:<11}{value}" for label, value in rows)


def _event_line(event: AuditEntry) -> str:
    details = json.dumps(event.details, ensure_ascii=False, separators=(", ", ": "), default=str)
    who = audit_actor(event.db_role, event.actor)
    return printable(f"{when(event.at)}  {event.action:<15} {who}  {details}")


class _Details(NamedTuple):
    key: KeyInfo
    day: KeyUsage
    month: KeyUsage
    events: list[AuditEntry]


class KeyDetailsScreen(Dialog[None]):
    BINDINGS = [
        Binding("escape,i,q", "close", "Close"),
    ]

    def __init__(self, store: StoreClient, key: KeyInfo) -> None:
        super().__init__()
        self._store = store
        self._key = key

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Label(Content(f"Key {self._key.public_id}"), classes="title")
            yield Static(Content(_facts(self._key)), id="facts")
            yield Label("Usage, last 24 hours", classes="field-label")
            yield Static("", id="usage-day")
            yield Sparkline([], id="plot-day")
            yield Label("Usage, last 30 days", classes="field-label")
            yield Static("", id="usage-month")
            yield Sparkline([], id="plot-month")
            yield Label("Last changes (newest first)", classes="field-label")
            yield Static("", id="events")
            yield BusyNote()
            yield Label("escape closes; enter on the table edits the key", classes="note")

    def on_mount(self) -> None:
        public_id = self._key.public_id

        def read(store: KeyStore) -> _Details:
            key = store.keys.get(public_id)
            day = store.usage.of_key(key, since=timedelta(hours=23), by="hour")
            month = store.usage.of_key(key, since=timedelta(days=29), by="day")
            events = store.audit.query(key_public_id=public_id, limit=EVENTS)
            return _Details(key, day, month, events)

        self._store.call(self, read, self._show, doing="reading the key, its usage and its audit")

    def _show(self, found: _Details) -> None:
        key, events = found.key, found.events
        now = utc_now()
        for period, usage, periods in (("day", found.day, 24), ("month", found.month, 30)):
            self.query_one(f"#usage-{period}", Static).update(summary(usage))
            self.query_one(f"#plot-{period}", Sparkline).data = series(usage, periods, now)
        self.query_one("#facts", Static).update(Content(_facts(key, why_switched_off(events))))
        lines = [_event_line(event) for event in events] or ["no audit events"]
        self.query_one("#events", Static).update(Content("\n".join(lines)))

    def action_close(self) -> None:
        self.dismiss(None)
