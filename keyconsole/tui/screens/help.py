"""Every binding of the console on one screen, read from the screens themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

_KEY_NAMES = {"question_mark": "?", "escape": "esc", "slash": "/", "delete": "del"}


def _rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding):
            keys = " / ".join(_KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(","))
            rows.append((keys, binding.description))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,enter", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Label("keyconsole keys  (escape closes)", classes="title")
            for title, bindings in self._sections:
                yield Label(title, classes="section")
                lines = [f"  {keys:<16} {description}" for keys, description in _rows(bindings)]
                yield Static("\n".join(lines), markup=False)
            yield Static(
                "\nEvery action is also in the command palette (ctrl+p).\n"
                "Copy uses OSC 52 (your terminal's clipboard, also over SSH) and the local clipboard.",
                markup=False,
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
