"""The verifier of a guard or of `keyconsole serve`: on a KeyStore the application already
holds, or on a store URL read through its driver alone (no SQLAlchemy, no migration, no
connection until the first request: a guard made at import time touches nothing)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Union

from keyconsole.service.async_verify import AsyncVerifier
from keyconsole.service.verify import Verifier
from keyconsole.store.direct.driver import find_driver

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore

StoreSource = Union[str, "KeyStore", None]


class StoreVerifier:
    """Opens its verifier on first use, once, from any thread."""

    def __init__(self, source: StoreSource) -> None:
        self._source = source
        self._opened: tuple[Verifier, AsyncVerifier] | None = None
        self._lock = threading.Lock()

    @property
    def sync(self) -> Verifier:
        return (self._opened or self._open())[0]

    @property
    def asynchronous(self) -> AsyncVerifier:
        return (self._opened or self._open())[1]

    def _open(self) -> tuple[Verifier, AsyncVerifier]:
        with self._lock:
            if self._opened is None:
                self._opened = _verifiers(self._source)
            return self._opened


def _verifiers(source: StoreSource) -> tuple[Verifier, AsyncVerifier]:
    if source is not None and not isinstance(source, str):  # a KeyStore
        asynchronous = source.async_verifier()
        return asynchronous.verifier, asynchronous
    driver = find_driver(source)
    if driver is None:
        # Not a plain SQLite file or PostgreSQL URL: the full open (SQLAlchemy) explains it.
        from keyconsole.service.api import KeyStore

        return _verifiers(KeyStore(source))
    verifier = Verifier(driver.lookup())
    return verifier, AsyncVerifier(verifier)
