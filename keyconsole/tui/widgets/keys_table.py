"""The keys table, drawn with Textual's line API: only the visible rows are built.

A DataTable keeps and measures every cell (textual#1892), so it cannot open a million
keys quickly; like Toolong, this draws each line on demand from a paged row source.
Column widths are fixed per terminal width, so a reload never leaves a column drawn at an
old width. Every cell is a plain Segment: user text is never parsed as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from keyconsole.service.display import day, printable
from keyconsole.service.records import KeyInfo
from keyconsole.tui.widgets.key_rows import KeyRows


@dataclass(frozen=True)
class Column:
    title: str
    width: int
    sort: str | None


COLUMNS = (
    Column("Name", 18, "name"),
    Column("Key id", 15, "id"),
    Column("Scopes", 16, None),
    Column("Status", 8, "status"),
    Column("Expires", 10, "expires"),
    Column("Last used", 10, "last_used"),
    Column("Created", 10, "created"),
)
GAP = 1
NAME_MAX = 40


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
    }
    DEFAULT_CSS = """
    KeysTable { height: 1fr; }
    """

    cursor_row: reactive[int] = reactive(0)

    class Opened(Message):
        """The admin pressed enter on a key."""

        def __init__(self, key: KeyInfo) -> None:
            super().__init__()
            self.key = key

    class Failed(Message):
        """Reading rows from the store failed; the screen shows why."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, rows: KeyRows, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows
        self._widths = [c.width for c in COLUMNS]

    # -- data --------------------------------------------------------------------------------

    @property
    def current(self) -> KeyInfo | None:
        return self.rows.get(self.cursor_row)

    def reset(self, *, keep: str | None = None) -> None:
        """After `rows.reload()`: resize, and keep the cursor on ``keep`` when it is near."""
        self.virtual_size = Size(sum(self._widths) + GAP * len(self._widths), self.rows.total + 1)
        cursor = min(self.cursor_row, max(0, self.rows.total - 1))
        self._load(cursor)
        if keep is not None:
            found = self.rows.index_of(keep)
            if found is not None:
                cursor = found
        self.cursor_row = cursor
        self.refresh()

    def _visible_range(self) -> tuple[int, int]:
        first = int(self.scroll_offset.y)
        return first, first + max(1, self.size.height - 1)

    def _load(self, around: int | None = None) -> None:
        first, last = self._visible_range()
        if around is not None and not first <= around <= last:
            # The cursor jumped (End, Home): read the screen it lands on, not every row
            # between there and here, which near a million keys meant a huge OFFSET.
            height = last - first
            first, last = max(0, around - height), around + height
        try:
            self.rows.fetch(first, last)
        except Exception as error:  # noqa: BLE001 - shown by the screen, never a crash
            self.post_message(self.Failed(error))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._load()

    def on_resize(self) -> None:
        fixed = sum(c.width for c in COLUMNS[1:]) + GAP * len(COLUMNS)
        scrollbar = 2
        name = min(NAME_MAX, max(COLUMNS[0].width, self.size.width - fixed - scrollbar))
        self._widths = [name, *(c.width for c in COLUMNS[1:])]
        self.reset()

    # -- cursor ------------------------------------------------------------------------------

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, self.rows.total - 1)) if self.rows.total else 0

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._load(new)
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
        self.cursor_row = 0 if where == 0 else self.rows.total - 1

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    # -- drawing -----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            cells = [self._title(c) for c in COLUMNS]
            strip = self._strip(cells, self.get_component_rich_style("keys-table--header"), None)
        else:
            index = scroll_y + y - 1
            key = self.rows.get(index) if index < self.rows.total else None
            if key is None:
                return Strip.blank(width, self.rich_style)
            base = self.rich_style
            if index == self.cursor_row:
                base = base + self.get_component_rich_style("keys-table--cursor")
            status_style = self.get_component_rich_style(f"keys-table--{key.status.value.lower()}")
            strip = self._strip(_cells(key), base, status_style)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, self.rich_style)

    def _title(self, column: Column) -> str:
        if column.sort != self.rows.query.sort:
            return column.title
        return column.title + (" v" if self.rows.query.descending else " ^")

    def _strip(self, cells: list[str], style: Style, status_style: Style | None) -> Strip:
        segments = []
        for column, (text, width) in enumerate(zip(cells, self._widths, strict=True)):
            fitted = _fit(text, width)
            cell_style = style + status_style if status_style is not None and column == 3 else style
            segments.append(Segment(fitted, cell_style))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments, sum(self._widths) + GAP * len(self._widths))


def _fit(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return set_cell_size(text, width)
    return set_cell_size(text, width - 1) + "…"


def _cells(key: KeyInfo) -> list[str]:
    return [
        printable(key.name),
        key.public_id,
        ",".join(key.scopes),
        key.status.value,
        day(key.expires_at, never="never"),
        day(key.last_used_at, never="never"),
        day(key.created_at),
    ]

