"""The audit log: every change recorded with who, when and what, chained by hashes.

Each event's hash covers its own fields and the previous event's hash, and the
``audit_head`` row holds the newest hash, so editing, removing or reordering any event
(or cutting off the newest ones) breaks the chain at a point `verify_chain` names.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from keyconsole.models import ApiKey, AuditEvent, AuditHead
from keyconsole.service.records import AuditEntry, ChainReport
from keyconsole.store.direct.dialects import DIALECTS
from keyconsole.store.orm import Database

GENESIS_HASH = "0" * 64
# How far an event may be dated before one chained earlier without being reported: a writer
# dates a change when it starts it, then may wait for SQLite's write lock (its busy timeout,
# 30 s) while others chain theirs. On PostgreSQL the database dates events after the chain's
# head is locked, so they are in order there anyway.
MISDATED_AFTER = timedelta(minutes=1)


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _canonical_details(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_value)


def _event_hash(event: AuditEvent) -> str:
    fields = [
        event.prev_hash,
        event.at.isoformat(),
        event.actor,
        event.action,
        event.key_public_id,
        event.key_name,
        event.details,
    ]
    # Events from before migration 0006, and every SQLite event, have no database role:
    # their hashes stay what they were.
    if event.db_role is not None:
        fields.append(event.db_role)
    material = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    key: ApiKey | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one event inside the caller's transaction, so it lands with the change or not at all.

    On PostgreSQL the event is dated by the database, read once the audit head is locked so
    that events are dated in the order they are chained (migration 0009 refuses a time
    from outside the transaction); ``at`` is the client's time, used on SQLite."""
    head = session.get(AuditHead, 1, with_for_update=True)
    assert head is not None, "migration 0001 creates the audit head row"
    db_role, at = _database_role_and_time(session, at)
    event = AuditEvent(
        db_role=db_role,
        at=at,
        actor=actor,
        action=action,
        key_public_id=None if key is None else key.public_id,
        key_name=None if key is None else key.name,
        details=_canonical_details(details or {}),
        prev_hash=head.last_hash,
    )
    event.hash = _event_hash(event)
    head.last_hash = event.hash
    session.add(event)


def _database_role_and_time(session: Session, client_time: datetime) -> tuple[str | None, datetime]:
    # PostgreSQL's trigger writes session_user whatever the client sends (migration 0006);
    # the chain covers it, so the hash is made with the same value.
    if not DIALECTS[session.get_bind().dialect.name].dates_audit:
        return None, client_time
    role, now = session.execute(text("SELECT session_user, clock_timestamp() AT TIME ZONE 'UTC'")).one()
    return role, now.replace(tzinfo=timezone.utc)


class AuditService:
    def __init__(self, database: Database) -> None:
        self._database = database

    def query(self, *, key_public_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""
        statement = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if key_public_id is not None:
            statement = statement.where(AuditEvent.key_public_id == key_public_id)
        with self._database.read() as session:
            return [_entry(event) for event in session.scalars(statement)]

    def change_marker(self) -> str:
        """Changes whenever anything in the store changes: every change writes an audit event.

        One primary-key read, cheap enough for a console to poll every few seconds.
        """
        with self._database.read() as session:
            head = session.get(AuditHead, 1)
            return "" if head is None else head.last_hash

    def verify_chain(self) -> ChainReport:
        with self._database.read() as session:
            previous = GENESIS_HASH
            checked = 0
            # Events dated before the one chained before them: a writer's clock was wrong,
            # or the date was forged (the chain itself is intact).
            misdated: list[tuple[int, datetime, datetime]] = []
            latest: datetime | None = None
            for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=1000)):
                checked += 1
                if event.prev_hash != previous:
                    return ChainReport(checked, event.id, "an event before it was removed or changed")
                if _event_hash(event) != event.hash:
                    return ChainReport(checked, event.id, "this event was changed after it was written")
                previous = event.hash
                if latest is not None and event.at < latest - MISDATED_AFTER:
                    misdated.append((event.id, event.at, latest))
                latest = event.at if latest is None else max(latest, event.at)
            head = session.get(AuditHead, 1)
            if head is None or head.last_hash != previous:
                return ChainReport(checked, None, "the newest events were removed")
            if misdated:
                event_id, at, after = misdated[0]
                return ChainReport(
                    checked, event_id,
                    f"{len(misdated)} event(s) dated before events chained earlier; this one says"
                    f" {at:%Y-%m-%d %H:%M:%S} after {after:%Y-%m-%d %H:%M:%S} (a writer's clock was wrong,"
                    " or the time was forged)",
                )
            return ChainReport(checked)


def _entry(event: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=event.id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        key_public_id=event.key_public_id,
        key_name=event.key_name,
        details=json.loads(event.details),
        db_role=event.db_role,
    )
