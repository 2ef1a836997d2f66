"""Scope operations: add, list, edit the description, remove.

Removing a scope that keys still hold is refused, naming how many hold it: silently
narrowing live keys would break callers without anyone deciding so. ``force=True`` takes
the scope away from those keys first (each change audited); a key left with no scope
would be unusable, so that too is refused.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from keyconsole.errors import Conflict, NotFound
from keyconsole.models import ApiKey, KeyScope, Scope
from keyconsole.service import audit_log
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.records import ScopeInfo
from keyconsole.service.validation import clean_description, clean_scope_name
from keyconsole.store.orm import Database


class ScopeService:
    def __init__(self, database: Database, actor: str, clock: Clock = utc_now) -> None:
        self._database = database
        self._actor = actor
        self._now = clock

    def list(self) -> list[ScopeInfo]:
        held = (
            select(KeyScope.scope_id, func.count().label("n")).group_by(KeyScope.scope_id).subquery()
        )
        statement = (
            select(Scope, func.coalesce(held.c.n, 0))
            .outerjoin(held, held.c.scope_id == Scope.id)
            .order_by(Scope.name)
        )
        with self._database.read() as session:
            return [
                ScopeInfo(scope.name, scope.description, count, scope.created_at)
                for scope, count in session.execute(statement)
            ]

    def names(self) -> list[str]:
        with self._database.read() as session:
            return list(session.scalars(select(Scope.name).order_by(Scope.name)))

    def add(self, name: str, description: str = "") -> ScopeInfo:
        clean = clean_scope_name(name)
        text = clean_description(description)
        now = self._now()
        with self._database.write() as session:
            if session.scalar(select(Scope.id).where(Scope.name == clean)) is not None:
                raise Conflict(f"the scope {clean!r} already exists")
            session.add(Scope(name=clean, description=text, created_at=now))
            audit_log.record(
                session, at=now, actor=self._actor, action="scope.add",
                details={"scope": clean, "description": text},
            )
        return ScopeInfo(clean, text, 0, now)

    def describe(self, name: str, description: str) -> ScopeInfo:
        text = clean_description(description)
        now = self._now()
        with self._database.write() as session:
            scope = self._find(session, name)
            if scope.description != text:
                audit_log.record(
                    session, at=now, actor=self._actor, action="scope.edit",
                    details={"scope": scope.name, "description": [scope.description, text]},
                )
                scope.description = text
            holders = self._holders(session, scope)
            return ScopeInfo(scope.name, scope.description, len(holders), scope.created_at)

    def remove(self, name: str, *, force: bool = False) -> None:
        now = self._now()
        with self._database.write() as session:
            scope = self._find(session, name)
            holders = self._holders(session, scope)
            if holders and not force:
                raise Conflict(
                    f"{len(holders)} key(s) still hold the scope {scope.name!r}; edit them first,"
                    " or remove it from them too with --force"
                )
            for key in holders:
                if len(key.scopes) == 1:
                    raise Conflict(
                        f"the key {key.name!r} holds only the scope {scope.name!r} and would be left with none"
                    )
                key.scopes = [s for s in key.scopes if s.id != scope.id]
                key.updated_at = now
                audit_log.record(
                    session, at=now, actor=self._actor, action="key.edit", key=key,
                    details={"scopes": {"removed": scope.name}, "reason": "scope removed"},
                )
            session.flush()
            session.delete(scope)
            audit_log.record(
                session, at=now, actor=self._actor, action="scope.remove",
                details={"scope": scope.name, "keys_affected": len(holders)},
            )

    @staticmethod
    def _find(session: Session, name: str) -> Scope:
        scope = session.scalar(select(Scope).where(Scope.name == name.strip()))
        if scope is None:
            raise NotFound(f"no scope named {name.strip()!r}")
        return scope

    @staticmethod
    def _holders(session: Session, scope: Scope) -> list[ApiKey]:
        statement = select(ApiKey).join(KeyScope).where(KeyScope.scope_id == scope.id).order_by(ApiKey.id)
        return list(session.scalars(statement))
