"""Rules for what users type: names, descriptions, dates and durations.

Shared by the CLI and the console (which checks as you type), so both refuse the same
things with the same words.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta

from keyconsole.errors import InvalidInput
from keyconsole.tokens import is_public_id

MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_OWNER = 100
MAX_NOTE = 500
SCOPE_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.:\-]{0,63}")
# Control characters, format characters (bidi overrides, zero-width joiners), unassigned,
# private-use and surrogates: none of them is printable, and several can make one name
# look like another in a table.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cn", "Co", "Cs", "Zl", "Zp"}
_DURATION_RE = re.compile(r"(\d+)\s*(s|m|h|d|w)")
_DURATION_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _check_printable(text: str, what: str) -> None:
    for char in text:
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            raise InvalidInput(f"{what} may not contain {_describe(char)}")
        if char.isspace() and char != " ":
            raise InvalidInput(f"{what} may not contain {_describe(char)}")


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"the control character {code}" if not name else f"{code} ({name.lower()})"


def fold_name(name: str) -> str:
    """The form names are compared in: Unicode's NFKC_Casefold, as for identifiers.

    Case folding alone would let ``ａｐｉ`` (full-width) or ``ﬁle`` (a ligature) stand beside
    ``api`` and ``file`` in the table looking the same; NFKC maps such compatibility forms
    to their plain letters first.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def clean_name(raw: str) -> str:
    """A key name: 1-100 printable characters after trimming. Brackets are fine."""
    name = raw.strip()
    if not name:
        raise InvalidInput("a name is required")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a name has at most {MAX_NAME} characters (this one has {len(name)})")
    _check_printable(name, "a name")
    if is_public_id(name):
        raise InvalidInput("a name may not look like a key id (kc_ and 12 letters or digits)")
    return name


def clean_description(raw: str) -> str:
    description = raw.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"a description has at most {MAX_DESCRIPTION} characters")
    _check_printable(description, "a description")
    return description


def clean_owner(raw: str | None) -> str | None:
    """Who to ask before touching a key (a person, a team, an address): optional, up to
    100 printable characters; empty means none."""
    return _optional_text(raw, MAX_OWNER, "an owner")


def clean_note(raw: str | None) -> str | None:
    """What a key is for: optional, up to 500 printable characters; empty means none."""
    return _optional_text(raw, MAX_NOTE, "a note")


def _optional_text(raw: str | None, limit: int, what: str) -> str | None:
    text = (raw or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise InvalidInput(f"{what} has at most {limit} characters (this one has {len(text)})")
    _check_printable(text, what)
    return text


def clean_scope_name(raw: str) -> str:
    """Scope names are identifiers (``users:read``): lower case, digits and ``_ . : -``."""
    name = raw.strip()
    if not SCOPE_NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"bad scope name {name!r}: use 1-64 lower-case letters, digits and _ . : -"
            " (starting with a letter or digit)"
        )
    return name


def parse_expiry(raw: str, now: datetime) -> datetime | None:
    """``never``, a date (valid through that day, UTC), an ISO datetime, or a duration (``90d``).

    A moment already past is refused: a key that expires before it is saved is a mistake.
    """
    text = raw.strip()
    if text.lower() in ("", "never", "none"):
        return None
    moment = _parse_moment(text, now)
    if moment <= now:
        raise InvalidInput(f"the expiry {text} is in the past")
    return moment


def _parse_moment(text: str, now: datetime) -> datetime:
    if _DURATION_RE.fullmatch(text):
        return now + parse_duration(text)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"cannot read the date {text!r}: use YYYY-MM-DD, an ISO date and time, a duration"
            " such as 90d, or never"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_duration(raw: str) -> timedelta:
    """``30s``, ``15m``, ``12h``, ``7d``, ``2w``, or ``0`` for none."""
    text = raw.strip().lower()
    if text == "0":
        return timedelta(0)
    match = _DURATION_RE.fullmatch(text)
    if match is None:
        raise InvalidInput(f"cannot read the duration {raw!r}: use a number and s, m, h, d or w (e.g. 24h)")
    amount, unit = match.groups()
    try:
        return timedelta(**{_DURATION_UNITS[unit]: int(amount)})
    except OverflowError:
        raise InvalidInput(f"the duration {raw!r} is too long") from None
