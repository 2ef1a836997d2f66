"""Confirm a rotation and choose how long the old secret keeps working."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from keyconsole.service.display import printable
from keyconsole.service.records import KeyInfo
from keyconsole.tui.screens.dialog import Dialog

GRACE_CHOICES = (
    ("now", timedelta(0), "Stop the old secret now"),
    ("1h", timedelta(hours=1), "Keep the old secret for 1 hour"),
    ("24h", timedelta(hours=24), "Keep the old secret for 24 hours"),
    ("7d", timedelta(days=7), "Keep the old secret for 7 days"),
)


class RotateScreen(Dialog[timedelta | None]):
    """Dismisses with the grace period chosen, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, key: KeyInfo) -> None:
        super().__init__()
        self._key = key

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(f"Rotate {printable(self._key.name)} ({self._key.public_id})?"), classes="title")
            yield Label("A new secret is made and shown once. Choose, then enter:", classes="note")
            yield OptionList(*(Option(text, id=ident) for ident, _, text in GRACE_CHOICES), id="grace")
            yield Label("escape cancels; nothing changes until you choose.", classes="note")

    def on_mount(self) -> None:
        self.query_one("#grace", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        grace = next(delta for ident, delta, _ in GRACE_CHOICES if ident == event.option.id)
        self.dismiss(grace)

    def action_cancel(self) -> None:
        self.dismiss(None)
