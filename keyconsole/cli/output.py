"""Printing for the command line: safe text for terminals, stable JSON for scripts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import click

from keyconsole.service.display import printable as safe
from keyconsole.service.display import when

__all__ = ["emit_csv", "emit_json", "note", "safe", "table", "when"]


def emit_json(payload: Any) -> None:
    # ensure_ascii: C1 controls (U+0080-U+009F) pass json.dumps raw otherwise, and a
    # terminal reading the output would act on them.
    click.echo(json.dumps(payload, indent=2, ensure_ascii=True, default=str))


def emit_csv(records: Sequence[dict[str, Any]]) -> None:
    """RFC 4180 CSV (CRLF line ends, quotes doubled) with a header row of the records' keys;
    a list is joined by spaces (scope names hold none), None is an empty field."""
    if not records:
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(records[0].keys())
    for record in records:
        writer.writerow(_csv_field(value) for value in record.values())
    click.echo(out.getvalue(), nl=False)


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    line = "  ".join
    click.echo(line(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo(line(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def note(message: str) -> None:
    """Human-facing detail on stderr, so stdout stays clean for scripts."""
    click.echo(message, err=True)
