"""`KeyStore`: the one object the CLI, the console and the API's own services use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import TracebackType

from keyconsole.service import demo
from keyconsole.service.access import AccessService
from keyconsole.service.actor import current_actor
from keyconsole.service.async_verify import AsyncVerifier
from keyconsole.service.audit_log import AuditService
from keyconsole.service.backup import BackupService
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.keys import KeyService
from keyconsole.service.policy import PolicyService
from keyconsole.service.scopes import ScopeService
from keyconsole.service.usage import UsageService
from keyconsole.service.verify import Verifier, VerifyResult
from keyconsole.store.orm import Database


class KeyStore:
    """An open keyconsole store and every operation on it.

    ``KeyStore(url)`` takes any SQLAlchemy URL (``sqlite:///…``, ``postgresql+psycopg://…``),
    a plain path to a SQLite file, or nothing for ``KEYCONSOLE_DB`` / the default file.
    """

    def __init__(self, db: str | None = None, *, actor: str | None = None, clock: Clock = utc_now) -> None:
        self.database = Database(db)
        self.actor = actor or current_actor()
        self.keys = KeyService(self.database, self.actor, clock)
        self.scopes = ScopeService(self.database, self.actor, clock)
        self.audit = AuditService(self.database)
        self.access = AccessService(self.database, self.actor, clock)
        self.policy = PolicyService(self.database, self.actor, clock)
        self.backups = BackupService(self.database, self.actor, clock)
        self.usage = UsageService(self.database, self.keys, clock)
        self._clock = clock
        self._verifier = Verifier(self.database.key_lookup(), clock)
        # This process's own change counts on its very next verify, on PostgreSQL too
        # (other processes see it within the change feed's bound).
        self.database.after_each_write(self._verifier.forget_remembered)

    @property
    def display_name(self) -> str:
        return self.database.display_name

    def verify(self, presented: object, scope: str | None = None, scopes: Iterable[str] = ()) -> VerifyResult:
        """Check a key a client presented; truthy when valid, ``.reason`` says why not.

        Never raises for anything the client sent; raises StoreUnavailable when the store
        cannot be read, so a service fails closed rather than open.
        """
        required = [scope, *scopes] if scope is not None else list(scopes)
        return self._verifier.verify(presented, required)

    def async_verifier(self) -> AsyncVerifier:
        """The same verification for an event loop (the FastAPI and Starlette guards)."""
        return AsyncVerifier(self._verifier)

    def seed_demo(self, count: int, progress: Callable[[int], None] | None = None, *, usage_hours: int = 0) -> int:
        return demo.seed(
            self.database, count, actor=self.actor, clock=self._clock, progress=progress, usage_hours=usage_hours
        )

    def close(self) -> None:
        self._verifier.close()
        self.database.dispose()

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc: tuple[type[BaseException], BaseException, TracebackType] | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KeyStore({self.display_name!r})"
