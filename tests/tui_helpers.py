"""Helpers for driving the console with Textual's pilot."""

from __future__ import annotations

from keyconsole.tui.app import KeyConsoleApp
from keyconsole.tui.widgets.keys_table import KeysTable


def table_lines(app: KeyConsoleApp) -> list[str]:
    """The keys table as the admin sees it, one string per drawn line."""
    table = app.keys_screen.query_one(KeysTable)
    return [table.render_line(y).text.rstrip() for y in range(table.size.height)]


def row_of(app: KeyConsoleApp, name: str) -> str:
    return next(line for line in table_lines(app) if line.startswith(name))
