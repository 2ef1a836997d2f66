"""Who may do what on a shared PostgreSQL store: keyconsole's grants (store/direct/grants.py), and
whether the role a store was opened with may change it."""

from __future__ import annotations

from keyconsole.errors import InvalidInput, NotFound, NotPermitted
from keyconsole.service import audit_log
from keyconsole.service.clock import Clock, utc_now
from keyconsole.store.direct import grants
from keyconsole.store.orm import Database

SQLITE_HAS_NO_ROLES = (
    "SQLite has no database roles: the store file's permissions are its access control"
    " (docs/least-privilege.md)"
)


class AccessService:
    def __init__(self, database: Database, actor: str, clock: Clock = utc_now) -> None:
        self._database = database
        self._actor = actor
        self._now = clock

    @staticmethod
    def plan(kind: str, role: str, *, revoke: bool = False) -> list[str]:
        """The SQL :meth:`grant` runs, for `keyconsole grant --print`."""
        return grants.plan(kind, role, revoke=revoke)

    def grant(self, kind: str, role: str, *, revoke: bool = False) -> list[str]:
        """Give ``role`` the rights of ``kind`` (verifier, viewer, admin), or take them back.
        Only the store's owner may; audited. Returns the statements run."""
        if self._database.dialect.embedded:
            raise InvalidInput(SQLITE_HAS_NO_ROLES)
        try:
            with self._database.write() as session:
                connection = session.connection()
                if not grants.role_exists(connection, role):
                    raise NotFound(f"there is no role {role!r} on this server: create it first (CREATE ROLE … LOGIN)")
                run = grants.apply(connection, kind, role, revoke=revoke)
                audit_log.record(
                    session,
                    at=self._now(),
                    actor=self._actor,
                    action="role.revoke" if revoke else "role.grant",
                    details={"role": role, "kind": kind},
                )
        except NotPermitted:
            raise NotPermitted(f"only the owner of {self._database.display_name} may grant or revoke rights") from None
        return run

    def may_change(self) -> bool:
        """Whether the role (or, on SQLite, the OS user) may change keys: the console opens
        read-only when it may not."""
        return self._database.may_write()
