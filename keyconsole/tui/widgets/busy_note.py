"""One line that says what the console is waiting for from the store, while it waits."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class BusyNote(Static):
    """Hidden while nothing is pending. Several calls may be pending at once: the line names
    the latest and stays until the last one ends."""

    DEFAULT_CSS = """
    BusyNote {
        height: 1;
        width: 100%;
        color: $text-warning;
        display: none;
    }
    BusyNote.-busy {
        display: block;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._pending = 0

    @property
    def is_busy(self) -> bool:
        return self._pending > 0

    def begin(self, doing: str) -> None:
        self._pending += 1
        self.update(Content(f"… {doing}"))
        self.add_class("-busy")

    def end(self) -> None:
        self._pending = max(0, self._pending - 1)
        self.set_class(self._pending > 0, "-busy")
