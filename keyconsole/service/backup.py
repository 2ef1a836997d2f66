"""Backing a store up and restoring it so that every running verifier sees the restore."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from keyconsole.errors import InvalidInput
from keyconsole.models import ApiKey
from keyconsole.service import audit_log
from keyconsole.service.clock import Clock, utc_now
from keyconsole.store.direct.sqlite_copy import backup_revision, copy_in, copy_out
from keyconsole.store.orm import Database
from keyconsole.store.orm.schema import ensure_schema

POSTGRES_WAY = (
    "on PostgreSQL use its own tools: pg_dump -Fc DBNAME > FILE to back up, and"
    " pg_restore --clean --single-transaction -d DBNAME FILE to restore (as the store's owner)"
)


@dataclass(frozen=True)
class Restored:
    keys: int
    active: int
    # Public ids of keys active after the restore that were not active before it: a
    # restore can bring back keys someone had turned off since the backup was made.
    reactivated: tuple[str, ...]


class BackupService:
    def __init__(self, database: Database, actor: str, clock: Clock = utc_now) -> None:
        self._database = database
        self._actor = actor
        self._now = clock

    def backup(self, target: Path) -> None:
        copy_out(self._sqlite_path(), target)

    def restore(self, source: Path) -> Restored:
        path = self._sqlite_path()
        revision = backup_revision(source)
        before = self._active_ids()
        copy_in(source, path)
        # A backup from an older keyconsole is brought up to date like any store opened.
        with self._database.translate_errors():
            ensure_schema(self._database.engine, self._database.display_name)
        with self._database.write() as session:
            rows = session.execute(select(ApiKey.public_id, ApiKey.active)).all()
            active = {public_id for public_id, is_active in rows if is_active}
            reactivated = tuple(sorted(active - before))
            audit_log.record(
                session, at=self._now(), actor=self._actor, action="store.restore",
                details={"from": str(source.resolve()), "schema": revision, "reactivated": list(reactivated)},
            )
        return Restored(len(rows), len(active), reactivated)

    def _active_ids(self) -> set[str]:
        with self._database.read() as session:
            return set(session.scalars(select(ApiKey.public_id).where(ApiKey.active.is_(True))))

    def _sqlite_path(self) -> Path:
        path = self._database.location.sqlite_path
        if not self._database.dialect.embedded:
            raise InvalidInput(POSTGRES_WAY)
        if path is None:
            raise InvalidInput("an in-memory store has no file")
        return path
