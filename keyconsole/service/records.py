"""Plain, immutable views of store rows: what the CLI and the console are handed.

They hold no session and lazy-load nothing, so the interfaces never touch SQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from keyconsole.service.key_state import Status, in_grace, status_at


def grace_until(has_previous_hash: bool, previous_hash_until: datetime | None) -> datetime | None:
    """When a rotated key's previous secret stops working; None when it has none."""
    return previous_hash_until if has_previous_hash else None


class KeyColumns(Protocol):
    """A key's row as the ORM (models.ApiKey) or a direct read (store/direct/listing.py) gives it."""

    @property
    def public_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def last_used_at(self) -> datetime | None: ...
    @property
    def created_by(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def owner(self) -> str | None: ...
    @property
    def note(self) -> str | None: ...


def key_info(key: KeyColumns, scopes: tuple[str, ...], grace_until: datetime | None, now: datetime) -> KeyInfo:
    """The view of a key's row; ``grace_until`` ends its previous secret's grace, if it has one."""
    return KeyInfo(
        public_id=key.public_id,
        name=key.name,
        scopes=scopes,
        active=key.active,
        status=status_at(key.active, key.expires_at, now),
        created_at=key.created_at,
        updated_at=key.updated_at,
        expires_at=key.expires_at,
        last_used_at=key.last_used_at,
        created_by=key.created_by,
        version=key.version,
        rotation_grace_until=grace_until if in_grace(grace_until, now) else None,
        owner=key.owner,
        note=key.note,
    )


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class KeyInfo:
    public_id: str
    name: str
    scopes: tuple[str, ...]
    active: bool
    status: Status
    created_at: datetime
    updated_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    created_by: str
    version: int
    rotation_grace_until: datetime | None = None
    owner: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.public_id,
            "name": self.name,
            "scopes": list(self.scopes),
            "active": self.active,
            "status": self.status.value,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "expires_at": _iso(self.expires_at),
            "last_used_at": _iso(self.last_used_at),
            "created_by": self.created_by,
            "version": self.version,
            "rotation_grace_until": _iso(self.rotation_grace_until),
            "owner": self.owner,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A key just created or rotated: the only object that ever holds the full secret."""

    info: KeyInfo
    key: str = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, **self.info.to_json()}


@dataclass(frozen=True, slots=True)
class ScopeInfo:
    name: str
    description: str
    key_count: int
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": _iso(self.created_at)}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    # What the client reported: the OS user (and SSH address). Anyone can set it to anything.
    actor: str
    action: str
    key_public_id: str | None
    key_name: str | None
    details: dict[str, Any]
    # The database role that wrote the event, set by PostgreSQL itself; None on SQLite.
    db_role: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "at": _iso(self.at), "os_user": self.actor}


@dataclass(frozen=True, slots=True)
class ChainReport:
    """The outcome of checking the audit trail's hash chain."""

    events_checked: int
    first_bad_event: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "intact": self.intact}
