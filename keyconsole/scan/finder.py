"""Finding keys in a stream of bytes: any file, a pipe, a git blob.

The search is StringZilla's SIMD substring search for the ``kc_`` prefix (about 8 GB/s here,
against 1.0 for bytes.find and 1.4 for the re module), and only what follows a prefix is
matched against the key's shape and checksum. Scanning is then bound by reading files, as
ripgrep is (benchmarks/scan.py).

A finding is a ``kc_`` token of the exact key shape whose checksum is right and that is not
glued to other word characters, so random text never matches (zero false positives by
construction). The stream is read in chunks of bounded size, so a 2 GB file costs no more
memory than a small one; a key split across two reads is found because the last bytes of
one chunk are searched again with the next.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from stringzilla import count, find

from keyconsole import tokens

CHUNK_BYTES = 1 << 20
_PREFIX = tokens.PREFIX.encode("ascii")
_KEY_BYTES = re.compile(
    re.escape(_PREFIX)
    + rb"[0-9A-Za-z]{%d}_[0-9A-Za-z]{%d}" % (tokens.PUBLIC_ID_CHARS, tokens.SECRET_CHARS + tokens.CHECKSUM_CHARS)
)
_WORD_BYTES = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
# UTF-8 continuation bytes: a line's characters are its bytes less these, which stays right
# even when a read ends inside a character (invalid UTF-8 counts a byte a character).
_CONTINUATION = bytes(range(0x80, 0xC0))
_KEY = tokens.KEY_LENGTH


class Found(NamedTuple):
    """A key found at ``line`` and ``column`` (both 1-based, the column in characters)."""

    line: int
    column: int
    key: tokens.ParsedKey


def _characters(data: bytes) -> int:
    # isascii runs a word at a time: a long line of plain text (or of zeros) is not translated.
    return len(data) if data.isascii() else len(data.translate(None, _CONTINUATION))


def find_keys_in(data: bytes) -> list[Found]:
    """Every key in a whole buffer (most files are read in one go)."""
    if find(data, _PREFIX) == -1:
        return []
    chunks = iter((data,))
    return list(find_keys(lambda _size: next(chunks, b"")))


def find_keys(
    read: Callable[[int], bytes], chunk_bytes: int = CHUNK_BYTES, first: bytes | None = None
) -> Iterator[Found]:
    """Every key in ``first`` (when given) and the stream ``read(n)`` returns until it
    returns ``b""``."""
    # buffer[:decided] has been searched; buffer[decided - 1] is kept to judge the byte
    # before a key that starts right at ``decided``.
    buffer = b""
    decided = 0
    line = 1  # the line buffer[decided] is on
    line_characters = 0  # characters of that line before buffer[decided]
    # One read ahead: the last chunk (for most files the only one) needs no newline count
    # unless a key is found in it.
    current = read(chunk_bytes) if first is None else first
    while current:
        following = read(chunk_bytes)
        at_end = not following
        buffer = buffer[decided - 1 :] + current if decided else buffer + current
        decided = 1 if decided else 0
        # A key starting at or after ``limit`` may continue in the next read (or be glued to it).
        limit = len(buffer) if at_end else max(decided, len(buffer) - _KEY)
        # A prefix that starts before ``limit`` may end after it.
        search_end = limit + len(_PREFIX) - 1
        position = find(buffer, _PREFIX, decided, search_end)
        while position != -1:
            if _KEY_BYTES.match(buffer, position) is not None and _stands_alone(buffer, position):
                found = tokens.parse(buffer[position : position + _KEY].decode("ascii"))
                if found is not None:
                    newline = buffer.rfind(b"\n", decided, position)
                    column = (
                        _characters(buffer[newline + 1 : position])
                        if newline != -1
                        else line_characters + _characters(buffer[decided:position])
                    )
                    yield Found(line + count(buffer, b"\n", decided, position), column + 1, found)
            position = find(buffer, _PREFIX, position + len(_PREFIX), search_end)
        if at_end:
            return
        newline = buffer.rfind(b"\n", decided, limit)
        if newline == -1:
            line_characters += _characters(buffer[decided:limit])
        else:
            line += count(buffer, b"\n", decided, limit)
            line_characters = _characters(buffer[newline + 1 : limit])
        decided = limit
        current = following


def _stands_alone(buffer: bytes, position: int) -> bool:
    """Not glued to a word character on either side (so not part of a longer token)."""
    if position and buffer[position - 1] in _WORD_BYTES:
        return False
    end = position + _KEY
    return end == len(buffer) or buffer[end] not in _WORD_BYTES
