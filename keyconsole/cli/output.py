"""Printing for the command line: safe text for terminals, stable JSON for scripts."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import click


def safe(text: str) -> str:
    """User text as the terminal should show it: control and format characters escaped.

    Names are validated on the way in, but a store can be written by other tools; a
    terminal must never receive an escape sequence from stored text.
    """
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else f"\\u{ord(ch):04x}" for ch in text
    )


def when(moment: datetime | None, *, never: str = "-") -> str:
    return never if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def emit_json(payload: Any) -> None:
    # ensure_ascii: C1 controls (U+0080-U+009F) pass json.dumps raw otherwise, and a
    # terminal reading the output would act on them.
    click.echo(json.dumps(payload, indent=2, ensure_ascii=True, default=str))


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
