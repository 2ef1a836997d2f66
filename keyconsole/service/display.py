"""Showing stored text on a terminal: literally, and never as an escape sequence."""

from __future__ import annotations

import unicodedata
from datetime import datetime


def printable(text: str) -> str:
    """User text with control and format characters shown as ``\\uXXXX``.

    Names are validated on the way in, but a store can be written by other tools; the
    terminal must never receive an escape sequence (or a bidi override) from stored text.
    """
    if text.isprintable() and not any(unicodedata.category(ch) == "Cf" for ch in text):
        return text
    return "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else f"\\u{ord(ch):04x}" for ch in text
    )


def when(moment: datetime | None, *, never: str = "-") -> str:
    return never if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def day(moment: datetime | None, *, never: str = "-") -> str:
    return never if moment is None else moment.strftime("%Y-%m-%d")


def audit_actor(db_role: str | None, os_user: str) -> str:
    """Who an audit event names: the database role PostgreSQL recorded, and the OS user the
    client reported (self-reported: anyone can set it), labelled so."""
    return os_user if db_role is None else f"{db_role} (os user {os_user}, self-reported)"


def middle_cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, an ellipsis in its middle: both ends of a
    long path or URL say more than either alone."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = width // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")
