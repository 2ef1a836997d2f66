"""Every binding of the console on one screen, read from the screens themselves."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Label, Static

from keyconsole.tui.screens.dialog import Dialog

_KEY_NAMES = {"question_mark": "?", "escape": "esc", "slash": "/", "delete": "del"}
# Inside the dialog's border and padding at 80 columns: every binding shows at 80x24 (also
# under TERM=linux) because each section flows into as many columns as fit.
TEXT_WIDTH = 74


def _rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for binding in bindings:
        if isinstance(binding, Binding):
            keys = " / ".join(_KEY_NAMES.get(key.strip(), key.strip()) for key in binding.key.split(","))
            rows.append((keys, binding.description))
    return rows


def _columns(rows: list[tuple[str, str]], width: int = TEXT_WIDTH) -> str:
    """``rows`` as "key description" cells, flowed left to right into equal columns."""
    if not rows:
        return ""
    key_width = max(len(keys) for keys, _ in rows)
    cell = max(key_width + 1 + len(description) for _, description in rows) + 2
    per_line = max(1, width // cell)
    cells = [f"{keys:<{key_width}} {description}".ljust(cell) for keys, description in rows]
    return "\n".join("".join(cells[at:at + per_line]).rstrip() for at in range(0, len(cells), per_line))


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = """
    HelpScreen .dialog {
        width: 80;
    }
    HelpScreen .section {
        text-style: bold underline;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark,enter", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self._sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog") as dialog:
            # In the border: every line inside is for the keys.
            dialog.border_title = "keyconsole keys: escape closes; every action is also in ctrl+p"
            for title, bindings in self._sections:
                yield Label(title, classes="section", markup=False)
                yield Static(_columns(_rows(bindings)), markup=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
