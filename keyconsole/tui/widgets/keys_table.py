"""The keys table, drawn with Textual's line API: only the visible rows are built.

A DataTable keeps and measures every cell (textual#1892), so it cannot open a million
keys quickly; like Toolong, this draws each line on demand from a paged row source
(console_model/listing.py): a row not read yet is drawn as a placeholder, and the table asks for
its page (``ask_for_rows``, the screen's, which starts a worker). Drawing never waits for SQL.
Column widths are fixed per terminal width, so a reload never leaves a column drawn at an
old width. Every cell is a plain Segment: user text is never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from keyconsole.console_model.expiry_warning import expiry_words
from keyconsole.console_model.listing import KeyListing, Window
from keyconsole.console_model.usage_view import usage_cell
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.display import day, printable
from keyconsole.service.key_query import LARGEST_FIRST
from keyconsole.service.key_state import expires_within
from keyconsole.service.records import KeyInfo
from keyconsole.settings import DEFAULT_EXPIRY_WARN_DAYS


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    sort: str | None


COLUMNS = (
    Column("Name", 18, "name"),
    Column("Key id", 15, "id"),
    Column("Scopes", 13, None),
    Column("Status", 8, "status"),
    # The last day's calls in words and six bars of four hours (console_model/usage_view.py).
    Column("Usage", 11, "usage"),
    Column("Expires", 10, "expires"),
    Column("Last used", 10, "last_used"),
    Column("Created", 10, "created"),
)
GAP = 1
NAME_MIN = 14
NAME_MAX = 40
# On a narrow terminal the last columns go first (Created, Last used), never one an admin
# scans for.
COLUMNS_MIN = 6
SCROLLBAR = 2
SCOPES_COLUMN = 2
STATUS_COLUMN = 3
USAGE_COLUMN = 4
# Room to spare widens Usage first, to twelve bars of two hours.
USAGE_WIDER = 6


def _fixed_width(count: int) -> int:
    """Every column but Name, of the first ``count``, and the gaps after each."""
    return sum(column.width for column in COLUMNS[1:count]) + GAP * count


class KeysTable(ScrollView, can_focus=True):
    """Keys, one per line; the first line is the header and stays put."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "open", "Open", show=True),
    ]
    COMPONENT_CLASSES = {
        "keys-table--header",
        "keys-table--cursor",
        "keys-table--active",
        "keys-table--inactive",
        "keys-table--expired",
        "keys-table--placeholder",
    }
    DEFAULT_CSS = """
    KeysTable {
        height: 1fr;
        & > .keys-table--header { text-style: bold underline; background: $panel; }
        & > .keys-table--cursor { text-style: reverse; }
        &:focus > .keys-table--cursor { text-style: reverse bold; }
        & > .keys-table--active { color: $success; }
        & > .keys-table--inactive { color: $warning; text-style: italic; }
        & > .keys-table--expired { color: $error; text-style: strike; }
        & > .keys-table--placeholder { color: $text-muted; }
    }
    """

    cursor_row: reactive[int] = reactive(0)

    def __init__(
        self,
        listing: KeyListing,
        ask_for_rows: Callable[[int, int], None],
        open_key: Callable[[KeyInfo], None],
        *,
        clock: Clock = utc_now,
        expiry_warning: timedelta = timedelta(days=DEFAULT_EXPIRY_WARN_DAYS),
        marks: Container[str] = frozenset(),
        plain_bars: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.listing = listing
        # Enter on a key calls this at once, inside the key's own handling, so the screen it
        # opens is there before the next key arrives; a message would reach the screen only
        # after keys already queued (issue 26: Tab, Tab, Down landed on the wrong fields).
        self._open_key = open_key
        # Public ids marked for a bulk action: their names are drawn after "* ".
        self._marks = marks
        self._clock = clock
        # A key expiring within this long says so in words in Expires ("in 3d").
        self._expiry_warning = expiry_warning
        # Called at once, not through a message: a message's two hops to the screen cost the
        # End key a third of its time at a million keys (benchmarks/console.py).
        self._ask_for_rows = ask_for_rows
        self._widths = [c.width for c in COLUMNS]
        self._plain_bars = plain_bars
        # self.rich_style walks every ancestor: a third of a line's drawing when asked per line.
        self._base_style: Style | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None

    @property
    def _base(self) -> Style:
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    # -- data --------------------------------------------------------------------------------

    @property
    def _window(self) -> Window:
        return self.listing.window

    @property
    def current(self) -> KeyInfo | None:
        return self._window.get(self.cursor_row)

    def reset(self, *, cursor: int | None = None) -> None:
        """After the listing took a new window: resize, and put the cursor on ``cursor``
        (else where it was, as far as the new total allows)."""
        total = self._window.total
        self.virtual_size = Size(sum(self._widths) + GAP * len(self._widths), total + 1)
        self.cursor_row = min(self.cursor_row if cursor is None else cursor, max(0, total - 1))
        self._want_rows(self.cursor_row)
        self.refresh()

    def _visible_range(self) -> tuple[int, int]:
        first = int(self.scroll_offset.y)
        return first, first + max(1, self.size.height - 1)

    def _want_rows(self, around: int | None = None) -> None:
        first, last = self._visible_range()
        if around is not None and not first <= around <= last:
            # The cursor jumped (End, Home): read the screen it lands on, not every row
            # between there and here, which near a million keys meant a huge OFFSET.
            height = last - first
            first, last = max(0, around - height), around + height
        if not self._window.holds(first, last):
            self._ask_for_rows(first, last)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._want_rows()

    def on_resize(self) -> None:
        # As many columns as fit without scrolling sideways (80 columns: all but Created).
        room = self.size.width - SCROLLBAR
        count = len(COLUMNS)
        while count > COLUMNS_MIN and _fixed_width(count) + NAME_MIN > room:
            count -= 1
        name = min(NAME_MAX, max(NAME_MIN, room - _fixed_width(count)))
        self._widths = [name, *(column.width for column in COLUMNS[1:count])]
        # Room left once Name is at its widest goes to Usage's finer bars, then to Scopes,
        # the column most often cut.
        spare = max(0, room - _fixed_width(count) - name)
        if spare >= USAGE_WIDER:
            self._widths[USAGE_COLUMN] += USAGE_WIDER
            spare -= USAGE_WIDER
        self._widths[SCOPES_COLUMN] += spare
        self.reset()

    # -- cursor ------------------------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        total = self._window.total
        return max(0, min(row, total - 1)) if total else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._want_rows(new)
        first, last = self._visible_range()
        if new < first:
            self.scroll_to(y=new, animate=False)
        elif new >= last:
            self.scroll_to(y=new - (last - first) + 1, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        self.cursor_row += delta

    def action_page(self, direction: int) -> None:
        self.cursor_row += direction * max(1, self.size.height - 2)

    def action_jump(self, where: int) -> None:
        self.cursor_row = 0 if where == 0 else self._window.total - 1

    def action_open(self) -> None:
        if self.current is not None:
            self._open_key(self.current)

    # -- drawing -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            cells = [self._title(c) for c in COLUMNS[: len(self._widths)]]
            strip = self._strip(cells, self.get_component_rich_style("keys-table--header"), None)
        else:
            index = scroll_y + y - 1
            window = self._window
            if index >= window.total:
                return Strip.blank(width, self._base)
            base = self._base
            if index == self.cursor_row:
                base = base + self.get_component_rich_style("keys-table--cursor")
            key = window.get(index)
            if key is None:
                placeholder = self.get_component_rich_style("keys-table--placeholder")
                strip = self._strip(["…"] + [""] * (len(self._widths) - 1), base + placeholder, None)
            else:
                status_style = self.get_component_rich_style(f"keys-table--{key.status.value.lower()}")
                usage = usage_cell(window.usage_of(key), self._widths[USAGE_COLUMN], plain=self._plain_bars)
                cells = _cells(key, usage, self._clock(), self._expiry_warning)
                if key.public_id in self._marks:
                    cells[0] = "* " + cells[0]
                strip = self._strip(cells, base, status_style)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, self._base)

    def _title(self, column: Column) -> str:
        query = self._window.query
        if column.sort != query.sort:
            return column.title
        # v: the largest first, whatever a sort's natural order is.
        return column.title + (" v" if query.descending != (query.sort in LARGEST_FIRST) else " ^")

    def _strip(self, cells: list[str], style: Style, status_style: Style | None) -> Strip:
        segments = []
        # The cells of the columns shown: the first len(self._widths).
        for column, (text, width) in enumerate(zip(cells, self._widths, strict=False)):
            fitted = _fit(text, width)
            cell_style = style + status_style if status_style is not None and column == STATUS_COLUMN else style
            segments.append(Segment(fitted, cell_style))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments, sum(self._widths) + GAP * len(self._widths))


def _fit(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def _cells(key: KeyInfo, usage: str, now: datetime, expiry_warning: timedelta) -> list[str]:
    soon = key.active and expires_within(key.expires_at, now, expiry_warning)
    return [
        printable(key.name),
        key.public_id,
        ",".join(key.scopes),
        key.status.value,
        usage,
        expiry_words(key.expires_at, now) if soon and key.expires_at else day(key.expires_at, never="never"),
        day(key.last_used_at, never="never"),
        day(key.created_at),
    ]

