"""What every modal dialog of the console shares: centred, bordered, a title or a question,
notes, and a row of buttons at the bottom right. Each dialog subclasses it and adds only its
own rules, so no screen depends on a rule it cannot see (the app's stylesheet keeps only
what is global: the background and the highlights that must survive NO_COLOR)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

T = TypeVar("T")


class Dialog(ModalScreen[T]):
    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog .dialog {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        padding: 0 1;
        border: heavy $accent;
        background: $surface;
    }
    Dialog .title {
        text-style: bold;
        width: 100%;
    }
    Dialog .question {
        width: 100%;
        margin: 1 0;
    }
    Dialog .field-label {
        text-style: bold;
        padding-top: 1;
    }
    Dialog .note {
        color: $text-muted;
        height: auto;
        width: 100%;
    }
    Dialog .buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    Dialog .buttons .note {
        width: 1fr;
    }
    Dialog .buttons Button {
        margin-left: 1;
    }
    """
