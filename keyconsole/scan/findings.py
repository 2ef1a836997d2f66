"""What a scan reports: where a key was found, and what the store says of it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from keyconsole import tokens
from keyconsole.service.display import printable

if TYPE_CHECKING:
    from keyconsole.service.records import AuditEntry

# What the store says of a found key (docs/scan.md).
LIVE, INACTIVE, EXPIRED, ROTATED, UNKNOWN, UNCHECKED = "live", "inactive", "expired", "rotated", "unknown", "unchecked"
STATUSES = (LIVE, INACTIVE, EXPIRED, ROTATED, UNKNOWN, UNCHECKED)
# The path that names standard input.
STDIN = "-"
# The audit detail that says where a key deactivated by `scan --deactivate` was found.
LEAKED_AT = "leaked_at"
# Shown in place of the secret, whatever it is: its length and characters tell nothing.
SECRET_MASK = "*" * 8


def shown_path(path: str) -> str:
    """A path as text any terminal or JSON reader takes: bytes that are not UTF-8 as
    ``\\xNN``, control characters as ``\\uXXXX``."""
    return printable(os.fsencode(path).decode("utf-8", "backslashreplace"))


@dataclass
class Finding:
    """One key found at one place. ``path`` is None for a git blob no commit holds."""

    path: str | None
    line: int
    column: int
    key: tokens.ParsedKey
    commit: str | None = None
    blob: str | None = None
    # The repository a blob was found in (with ``blob``).
    repository: str | None = None
    status: str = UNCHECKED

    @property
    def key_id(self) -> str:
        return self.key.public_id

    @property
    def masked(self) -> str:
        return f"{self.key.public_id}_{SECRET_MASK}"

    @property
    def shown_path(self) -> str:
        if self.path is None:
            return f"(unreachable git blob {self.blob})"
        return shown_path(self.path)

    @property
    def place(self) -> str:
        """Where, for the audit: read later and elsewhere, so with the folder or repository."""
        if self.blob is not None:
            where = f"commit {self.commit} " if self.commit else ""
            return f"git repository {shown_path(self.repository or '')}, {where}{self.shown_path}:{self.line}"
        if self.path == STDIN:
            return f"standard input:{self.line}"
        return f"{shown_path(os.path.abspath(self.path or ''))}:{self.line}"


def why_switched_off(events: Sequence[AuditEntry]) -> str | None:
    """"found leaked at …" when the key's latest switch (``events`` newest first) was a
    scan's deactivation, else None."""
    for event in events:
        if event.action == "key.activate":
            return None
        if event.action == "key.deactivate":
            places = event.details.get(LEAKED_AT)
            return f"found leaked at {', '.join(places)}" if places else None
    return None
