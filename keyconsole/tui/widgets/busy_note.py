"""One line that says what the console is waiting for from the store, while it waits."""

from __future__ import annotations

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static


class BusyNote(Static):
    """Hidden while nothing is pending. Several calls may be pending at once: the line names
    the latest and stays until the last one ends. It shows only once a call has taken
    SHOW_AFTER: most calls end sooner, and showing and hiding a line would reflow the screen
    twice for nothing (and flicker)."""

    SHOW_AFTER = 0.1

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
        self._showing: Timer | None = None

    @property
    def is_busy(self) -> bool:
        return self._pending > 0

    def begin(self, doing: str) -> None:
        self._pending += 1
        self.update(Content(f"… {doing}"))
        if self._showing is None and not self.has_class("-busy"):
            self._showing = self.set_timer(self.SHOW_AFTER, self._show)

    def _show(self) -> None:
        self._showing = None
        self.set_class(self.is_busy, "-busy")

    def end(self) -> None:
        self._pending = max(0, self._pending - 1)
        if self._pending:
            return
        if self._showing is not None:
            self._showing.stop()
            self._showing = None
        self.remove_class("-busy")
