"""The API key format: ``kc_`` + public id + ``_`` + secret + checksum.

Example: ``kc_8fK2xQ7pLm3A_<32 base62 secret chars><6 base62 checksum chars>``.

- The public id (``kc_`` + 12 base62 characters, about 71 bits) is stored in clear and
  indexed, so verification is one indexed lookup, never a scan.
- The secret is 32 base62 characters from :mod:`secrets` (about 190 bits, well above 128).
- The checksum is CRC32 of everything before it, in 6 base62 characters. It lets
  verification and secret scanners reject a mangled key without touching the store; it is
  not a security measure (CRC32 is not a MAC).

Every character is in ``[A-Za-z0-9_]``, so a key survives double-click selection, URLs,
shell quoting and HTTP headers unchanged.
"""

from __future__ import annotations

import re
import secrets
import zlib
from typing import NamedTuple

PREFIX = "kc_"
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PUBLIC_ID_CHARS = 12
SECRET_CHARS = 32
CHECKSUM_CHARS = 6
KEY_LENGTH = len(PREFIX) + PUBLIC_ID_CHARS + 1 + SECRET_CHARS + CHECKSUM_CHARS

_B62 = "[0-9A-Za-z]"
PUBLIC_ID_RE = re.compile(rf"{PREFIX}{_B62}{{{PUBLIC_ID_CHARS}}}")
_KEY_RE = re.compile(rf"{PREFIX}{_B62}{{{PUBLIC_ID_CHARS}}}_{_B62}{{{SECRET_CHARS + CHECKSUM_CHARS}}}")
_PUBLIC_ID_END = len(PREFIX) + PUBLIC_ID_CHARS
_BODY_CHARS = KEY_LENGTH - CHECKSUM_CHARS


class ParsedKey(NamedTuple):
    """A presented key that has the right shape and checksum (not yet verified).

    A tuple because verification builds one per request and a tuple is the cheapest
    immutable record Python has.
    """

    public_id: str
    secret: str

    def __repr__(self) -> str:
        # The secret must never reach a log line or a traceback through a repr.
        return f"ParsedKey(public_id={self.public_id!r}, secret=<hidden>)"


def _encode(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _checksum(body: str) -> str:
    return _encode(zlib.crc32(body.encode("ascii")), CHECKSUM_CHARS)


# Every pair of base62 digits and its value: parse decodes a checksum in three lookups,
# which keeps it off the profile of the verify hot path.
_PAIR_VALUES = {a + b: ALPHABET.index(a) * 62 + ALPHABET.index(b) for a in ALPHABET for b in ALPHABET}


def _decode_checksum(text: str) -> int:
    return _PAIR_VALUES[text[0:2]] * 62**4 + _PAIR_VALUES[text[2:4]] * 62**2 + _PAIR_VALUES[text[4:6]]


def _random_chars(count: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(count))


def new_public_id() -> str:
    return PREFIX + _random_chars(PUBLIC_ID_CHARS)


def new_secret() -> str:
    return _random_chars(SECRET_CHARS)


def assemble(public_id: str, secret: str) -> str:
    body = f"{public_id}_{secret}"
    return body + _checksum(body)


def is_public_id(text: str) -> bool:
    return PUBLIC_ID_RE.fullmatch(text) is not None


def parse(presented: object) -> ParsedKey | None:
    """Return the parts of a well-formed key, or None for anything else.

    Never raises: a verifier hands it whatever a client sent.
    """
    if not isinstance(presented, str) or len(presented) != KEY_LENGTH:
        return None
    if _KEY_RE.fullmatch(presented) is None:
        return None
    body = presented[:_BODY_CHARS]
    # The checksum is public (it is computed from the key's own text), so a plain comparison
    # leaks nothing a timing attack could use.
    if zlib.crc32(body.encode("ascii")) != _decode_checksum(presented[_BODY_CHARS:]):
        return None
    return ParsedKey(body[:_PUBLIC_ID_END], body[_PUBLIC_ID_END + 1 :])
