"""Shows a new key once. Closing is deliberate: enter on "Done", never a stray escape."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static

from keyconsole.service.display import printable
from keyconsole.service.records import IssuedKey
from keyconsole.tui.clipboard import copy_key, forget
from keyconsole.tui.screens.dialog import Dialog


class RevealKeyScreen(Dialog[None]):
    DEFAULT_CSS = """
    RevealKeyScreen .secret {
        border: double $success;
        padding: 0 1;
        text-style: bold;
        width: 100%;
    }
    RevealKeyScreen .warning {
        width: 100%;
        color: $warning;
        text-style: bold;
        margin-top: 1;
    }
    """
    BINDINGS = [
        Binding("c", "copy", "Copy"),
        Binding("escape", "refuse_escape", "Close with enter", show=False),
    ]

    def __init__(self, issued: IssuedKey, verb: str = "created") -> None:
        super().__init__()
        self._key = issued.key
        self._info = issued.info
        self._verb = verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Content(f"Key {self._verb}: {printable(self._info.name)}"), classes="title")
            yield Static(Content(self._key), id="secret", classes="secret")
            yield Label(
                "This is the only time this key is shown. Copy it (c) or select it now;"
                " keyconsole keeps only a hash and cannot show it again.",
                classes="warning",
            )
            if self._info.rotation_grace_until is not None:
                until = self._info.rotation_grace_until.strftime("%Y-%m-%d %H:%M")
                yield Label(f"The old secret keeps working until {until} UTC.", classes="note")
            yield Label("", id="copy-status", classes="note")
            with Horizontal(classes="buttons"):
                yield Button("Copy (c)", id="copy")
                yield Button("Done, I have stored it", id="done", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#done", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self._close()

    def action_copy(self) -> None:
        report = copy_key(self.app, self._key, self.app.clipboard_wiper)  # type: ignore[attr-defined]
        self.query_one("#copy-status", Label).update(f"Copied: {report.describe()}.")

    def action_refuse_escape(self) -> None:
        self.notify("The key will not be shown again: press enter on Done once you have stored it.")

    def _close(self) -> None:
        forget(self.app)
        self._key = ""
        self.dismiss(None)
