"""The error shown under a form field."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Label


class FieldError(Label):
    """Hidden while it has nothing to say (at 80x24 every line counts); ``show`` is the one
    place that decides whether it is on screen. The message is shown literally."""

    DEFAULT_CSS = """
    FieldError {
        color: $error;
        text-style: bold;
        width: 100%;
        height: auto;
        display: none;
    }
    FieldError.-shown {
        display: block;
    }
    """

    def show(self, message: str) -> None:
        self.update(Content(message))
        self.set_class(bool(message), "-shown")
