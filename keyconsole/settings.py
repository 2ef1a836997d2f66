"""keyconsole's environment variables: each read here, each with one rule for a bad value
(one line naming the variable and what it takes, exit 2), so no module reads os.environ
itself and no bad value is quietly replaced by a default.

- ``KEYCONSOLE_DB``: the store, when ``--db`` is not given (docs/store.md).
- ``KEYCONSOLE_EXPIRY_WARN_DAYS``: days before an expiry the console warns (default 14; 0 off).
- ``KEYCONSOLE_CLIPBOARD_CLEAR_S``: seconds until a copied key is wiped from the local
  clipboard (default 30; 0 keeps it).
- ``KEYCONSOLE_DEBUG``: any value shows a traceback instead of the one-line error.
- ``KEYCONSOLE_USAGE_FLUSH_S``: seconds between two additions of a verifying process's usage
  counts to the store (default 10; a crash loses at most that much; 0 counts nothing).
- ``KEYCONSOLE_USAGE_HOURS_KEPT_DAYS`` / ``KEYCONSOLE_USAGE_DAYS_KEPT_DAYS``: how long hourly
  and daily usage rows are kept (default 14 and 400 days).

And two that are not keyconsole's own: ``TERM=linux`` or ``NO_COLOR`` (set and not empty,
no-color.org) draw the keys table's usage bars in plain characters.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TypeVar

from keyconsole.errors import InvalidInput

STORE_URL = "KEYCONSOLE_DB"
EXPIRY_WARN_DAYS = "KEYCONSOLE_EXPIRY_WARN_DAYS"
CLIPBOARD_CLEAR_S = "KEYCONSOLE_CLIPBOARD_CLEAR_S"
DEBUG = "KEYCONSOLE_DEBUG"
USAGE_FLUSH_S = "KEYCONSOLE_USAGE_FLUSH_S"
USAGE_HOURS_KEPT_DAYS = "KEYCONSOLE_USAGE_HOURS_KEPT_DAYS"
USAGE_DAYS_KEPT_DAYS = "KEYCONSOLE_USAGE_DAYS_KEPT_DAYS"

DEFAULT_EXPIRY_WARN_DAYS = 14
DEFAULT_CLIPBOARD_CLEAR_S = 30.0
_MAX_EXPIRY_WARN_DAYS = 3650
_MAX_CLIPBOARD_CLEAR_S = 86_400.0
DEFAULT_USAGE_FLUSH_S = 10.0
_MAX_USAGE_FLUSH_S = 3600.0
DEFAULT_USAGE_HOURS_KEPT_DAYS = 14
DEFAULT_USAGE_DAYS_KEPT_DAYS = 400
_MAX_USAGE_KEPT_DAYS = 36_500

T = TypeVar("T")


class InvalidSetting(InvalidInput):
    """An environment variable keyconsole reads holds a value it cannot take: exit 2."""


def store_url(environ: Mapping[str, str] | None = None) -> str | None:
    return _text(STORE_URL, environ) or None


def expiry_warning(environ: Mapping[str, str] | None = None) -> timedelta:
    days = _read(
        EXPIRY_WARN_DAYS, environ, DEFAULT_EXPIRY_WARN_DAYS, _whole_number(_MAX_EXPIRY_WARN_DAYS),
        f"a whole number of days from 0 to {_MAX_EXPIRY_WARN_DAYS}",
    )
    return timedelta(days=days)


def clipboard_clear_s(environ: Mapping[str, str] | None = None) -> float:
    return _read(
        CLIPBOARD_CLEAR_S, environ, DEFAULT_CLIPBOARD_CLEAR_S, _seconds_up_to(_MAX_CLIPBOARD_CLEAR_S),
        f"a number of seconds from 0 to {_MAX_CLIPBOARD_CLEAR_S:g} (0 keeps the key)",
    )


def usage_flush_s(environ: Mapping[str, str] | None = None) -> float:
    return _read(
        USAGE_FLUSH_S, environ, DEFAULT_USAGE_FLUSH_S, _seconds_up_to(_MAX_USAGE_FLUSH_S),
        f"a number of seconds from 0 to {_MAX_USAGE_FLUSH_S:g} (0 counts nothing)",
    )


def usage_kept(environ: Mapping[str, str] | None = None) -> tuple[timedelta, timedelta]:
    """How long hourly and daily usage rows are kept."""
    takes = f"a whole number of days from 1 to {_MAX_USAGE_KEPT_DAYS}"
    hours = _read(USAGE_HOURS_KEPT_DAYS, environ, DEFAULT_USAGE_HOURS_KEPT_DAYS, _days, takes)
    days = _read(USAGE_DAYS_KEPT_DAYS, environ, DEFAULT_USAGE_DAYS_KEPT_DAYS, _days, takes)
    return timedelta(days=hours), timedelta(days=days)


def plain_bars(environ: Mapping[str, str] | None = None) -> bool:
    """Whether bars are drawn in ASCII: the Linux console's font lacks the block elements,
    and without colour a low bar and a blank look too alike."""
    return _text("TERM", environ) == "linux" or bool(_text("NO_COLOR", environ))


def debug(environ: Mapping[str, str] | None = None) -> bool:
    return bool(_text(DEBUG, environ))


def _text(name: str, environ: Mapping[str, str] | None) -> str:
    return (os.environ if environ is None else environ).get(name, "").strip()


def _read(name: str, environ: Mapping[str, str] | None, default: T, parse: Callable[[str], T | None], takes: str) -> T:
    text = _text(name, environ)
    if not text:
        return default
    value = parse(text)
    if value is None:
        raise InvalidSetting(f"{name} must be {takes}, not {text!r}")
    return value


def _whole_number(most: int) -> Callable[[str], int | None]:
    def parse(text: str) -> int | None:
        return int(text) if text.isdigit() and int(text) <= most else None

    return parse


def _days(text: str) -> int | None:
    days = _whole_number(_MAX_USAGE_KEPT_DAYS)(text)
    return days if days else None


def _seconds_up_to(most: float) -> Callable[[str], float | None]:
    def parse(text: str) -> float | None:
        try:
            seconds = float(text)
        except ValueError:
            return None
        return seconds if 0 <= seconds <= most else None

    return parse
