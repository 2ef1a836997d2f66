"""The console's KeyStore: handed over open, or opened in a background thread.

Opening a store imports SQLAlchemy (about 0.3 s on a 2-core machine). When the first screen
can be drawn from a direct read (console_model/direct_pages.py), the store opens in a thread instead,
and whatever needs it before then waits for it in a worker thread (tui/store_client.py):
at most the rest of that 0.3 s.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keyconsole.service.api import KeyStore


class KeyStoreOpening:
    def __init__(self, open_store: Callable[[], KeyStore], display_name: str, *, owned: bool) -> None:
        self._open_store = open_store
        # Known before the store opens: the header names the store from the first frame.
        self.display_name = display_name
        self._owned = owned
        self._future: Future[KeyStore] = Future()
        # Whether close() came first: then the opening thread closes the store it opens.
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def opened(cls, store: KeyStore, *, owned: bool = False) -> KeyStoreOpening:
        """A store that is already open; ``owned`` makes :meth:`close` close it."""
        opening = cls(lambda: store, store.display_name, owned=owned)
        opening._future.set_result(store)
        return opening

    @classmethod
    def in_background(cls, db: str | None, display_name: str) -> KeyStoreOpening:
        """The store at ``db``, to be opened by :meth:`start`; :meth:`close` closes it."""

        def open_store() -> KeyStore:
            from keyconsole.service.api import KeyStore

            return KeyStore(db)

        return cls(open_store, display_name, owned=True)

    @property
    def is_open(self) -> bool:
        return self._future.done() and self._future.exception() is None

    def start(self, when_done: Callable[[], None]) -> None:
        """Open the store in a thread, then call ``when_done`` from it (open or failed)."""
        if self._future.done():
            when_done()
            return

        def run() -> None:
            try:
                store = self._open_store()
            except BaseException as error:  # noqa: BLE001 - handed to whoever asks for the store
                self._future.set_exception(error)
            else:
                with self._lock:
                    self._future.set_result(store)
                    abandoned = self._closed
                if abandoned and self._owned:
                    store.close()
            when_done()

        threading.Thread(target=run, name="keyconsole-open-store", daemon=True).start()

    def wait_for_store(self) -> KeyStore:
        """The store, waiting for it if it is still opening (so: only from a worker thread);
        raises what the opening raised."""
        return self._future.result()

    def error(self) -> BaseException | None:
        """Why the store could not be opened, once the opening is over."""
        return self._future.exception() if self._future.done() else None

    def close(self) -> None:
        """Close an owned store; one still opening is closed as soon as it opens. Never waits:
        quitting must not hang on a store that is slow to answer."""
        with self._lock:
            self._closed = True
            opened = self.is_open
        if opened and self._owned:
            self._future.result().close()
