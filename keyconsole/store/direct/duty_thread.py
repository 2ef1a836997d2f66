"""The one way a verifying process runs a duty in the background: following PostgreSQL's
change feed (store/direct/change_feed.py) and adding usage counts to the store
(service/usage_flush.py).

Each duty gets a daemon thread of its own, started on first need (a process that never
verifies runs none), woken early when asked, never carried across ``fork()`` (the child
starts its own when it needs one) and stopped when its owner closes. Two threads rather than
one running both duties: a usage addition may wait seconds for the store's write lock, and
the feed must be read every 25 ms or the rows it vouches for are no longer trusted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from keyconsole.store.direct import fork_safety


class DutyThread:
    def __init__(self, name: str, run: Callable[[], None]) -> None:
        """``run`` is the duty's loop: it returns once ``stopped``, and waits with ``rest`` or
        ``pause``."""
        self._name = name
        self._run = run
        self._reset()
        fork_safety.register(self)

    def _reset(self) -> None:
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._woken = threading.Event()
        self._start_lock = threading.Lock()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def start(self) -> None:
        """Start the thread (once, and never after ``stop``), or wake it if it rests."""
        if self._thread is not None:
            # Callers may call this on every request while the thread rests: only the first
            # needs the system call that wakes it.
            if not self._woken.is_set():
                self._woken.set()
            return
        with self._start_lock:
            if self._thread is None and not self._stopped.is_set():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def rest(self, timeout: float | None = None) -> bool:
        """On the thread: wait until woken (by ``start`` after this call began), stopped or
        ``timeout`` passed; whether the duty goes on."""
        self._woken.clear()
        if not self._stopped.is_set():
            self._woken.wait(timeout)
        return not self._stopped.is_set()

    def pause(self, timeout: float) -> bool:
        """On the thread: wait until stopped or ``timeout`` passed, whatever wakes are asked
        meanwhile (a back-off, a steady beat); whether the duty goes on."""
        return not self._stopped.wait(timeout)

    def stop(self, join_s: float) -> None:
        """Stop the thread and wait up to ``join_s`` for it (not from the thread itself)."""
        self._stopped.set()
        self._woken.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=join_s)

    def after_fork_in_child(self) -> None:
        # The thread stayed with the parent; so may its locks and events, held or set there.
        self._reset()
