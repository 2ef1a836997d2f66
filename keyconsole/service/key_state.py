"""A key's state at a moment: the one rule that the verifier, the listings, the console,
scan and the store's SQL filters follow (tests/test_key_state.py holds the filters to it),
and the one vocabulary of a verdict's reason that serve, the guards and the CLI read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    EXPIRED = "EXPIRED"


class Reason(StrEnum):
    """Why a presented key was accepted or refused: the words of every interface's answer
    (docs/serve.md, docs/guards.md). A StrEnum: each member is its word, so it compares,
    hashes and serialises as the plain string."""

    OK = "ok"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    INVALID = "invalid"
    THROTTLED = "throttled"
    INACTIVE = "inactive"
    EXPIRED = "expired"
    MISSING_SCOPE = "missing_scope"
    # Not verify's own: what an HTTP interface says of the key a request carries.
    MISSING_KEY = "missing_key"
    AMBIGUOUS_KEY = "ambiguous_key"


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    """A key expires at its expiry instant: from then on it is refused."""
    return expires_at is not None and expires_at <= now


def status_at(active: bool, expires_at: datetime | None, now: datetime) -> Status:
    # An inactive key reads INACTIVE even once past its expiry: the admin's choice shows first.
    if not active:
        return Status.INACTIVE
    return Status.EXPIRED if is_expired(expires_at, now) else Status.ACTIVE


def in_grace(previous_hash_until: datetime | None, now: datetime) -> bool:
    """Whether a rotated key's previous secret is still accepted: until the instant its
    grace period ends, not at it."""
    return previous_hash_until is not None and previous_hash_until > now


def expires_within(expires_at: datetime | None, now: datetime, window: timedelta) -> bool:
    """Not expired yet, and expiring within ``window`` (the console's warning, the
    "Expiring soon" view, `keys list --expiring-within`)."""
    return expires_at is not None and now < expires_at <= now + window
