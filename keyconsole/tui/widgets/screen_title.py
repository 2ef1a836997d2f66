"""The title line and the hint of a full screen (the keys, scopes and audit screens)."""

from __future__ import annotations

from textual.widgets import Label, Static


class ScreenTitle(Label):
    DEFAULT_CSS = """
    ScreenTitle {
        padding: 0 1;
        text-style: bold;
        background: $primary-background;
        width: 100%;
    }
    """


class Hint(Static):
    DEFAULT_CSS = """
    Hint {
        padding: 1 2;
        color: $text-muted;
    }
    """
