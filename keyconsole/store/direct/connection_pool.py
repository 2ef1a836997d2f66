"""The verify hot path's own pool of autocommit connections.

Any number of threads share it, and threads may come and go: a thread holds a connection only
for the length of one query, then gives it back. SQLAlchemy's QueuePool would do the same job
at about 10 us a checkout, most of a verify call's time; taking and giving back here is a
lock-free pop and append on a deque (atomic in CPython), and the lock is taken only when no
connection is idle.

At most ``limit`` connections are open at once: a thread that finds none free waits for one
to come back, and after ``wait_s`` gives up with StoreUnavailable, so a process with a
thousand threads cannot exhaust the server's connections.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from keyconsole.errors import StoreUnavailable
from keyconsole.store.direct import fork_safety

DEFAULT_LIMIT = 32
DEFAULT_WAIT_S = 5.0


class Pooled:
    """A connection, its one cursor, whether it has served a query yet, and the pool's
    generation it was opened in."""

    __slots__ = ("connection", "cursor", "fresh", "generation")

    def __init__(self, connection: Any, generation: int) -> None:
        self.connection = connection
        self.cursor = connection.cursor()
        self.fresh = True
        self.generation = generation

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail too; it is gone either way
            pass


class ConnectionPool:
    def __init__(
        self,
        connect: Callable[[], Any],
        *,
        display_name: str,
        limit: int = DEFAULT_LIMIT,
        wait_s: float = DEFAULT_WAIT_S,
        close_inherited: bool = False,
    ) -> None:
        self._connect = connect
        self._display_name = display_name
        self._limit = limit
        self._wait_s = wait_s
        self._close_inherited = close_inherited
        self._generation = 0
        self._reset()
        fork_safety.register(self)

    def _reset(self) -> None:
        self._idle: deque[Pooled] = deque()
        self._open = 0  # idle plus taken
        self._waiters = 0
        self._returned = threading.Condition(threading.Lock())

    def take(self) -> Pooled:
        """An idle connection, or a new one; raises the driver's error if it cannot connect."""
        try:
            return self._idle.pop()
        except IndexError:
            return self._take_when_none_idle()

    def give_back(self, item: Pooled) -> None:
        if item.generation != self._generation:
            self.discard(item)
            return
        item.fresh = False
        self._idle.append(item)
        # A waiter counts itself under the lock before it looks at the deque, so either it
        # sees this connection or it is counted here and woken.
        if self._waiters:
            with self._returned:
                self._returned.notify()

    def discard(self, item: Pooled) -> None:
        """Close a connection that failed; its place may be taken by a new one."""
        item.close()
        with self._returned:
            self._open -= 1
            self._returned.notify()

    def discard_idle(self) -> None:
        """Close every idle connection: after one failed, the others most likely did too
        (a restarted server, a failover)."""
        while True:
            try:
                item = self._idle.pop()
            except IndexError:
                return
            self.discard(item)

    def adopt(self, connection: Any) -> None:
        """Add an already open connection (in autocommit) as an idle one."""
        with self._returned:
            self._open += 1
        self.give_back(Pooled(connection, self._generation))

    def renew(self) -> None:
        """From now on serve only new connections: the idle ones are closed at once, those
        in use when they come back."""
        self._generation += 1
        self.discard_idle()

    def close(self) -> None:
        self.discard_idle()

    def after_fork_in_child(self) -> None:
        if self._close_inherited:
            # SQLite: the child must let go of every connection it inherited, or its own new
            # ones share their lock state and can be left reading deleted files
            # (store/direct/sqlite_ownership.py). The parent still holds its lock on the file, so
            # the close neither checkpoints nor deletes anything.
            for item in self._idle:
                item.close()
        else:
            fork_safety.leave_untouched(item.connection for item in self._idle)
        self._reset()

    def _take_when_none_idle(self) -> Pooled:
        deadline = time.monotonic() + self._wait_s
        with self._returned:
            while True:
                try:
                    return self._idle.pop()
                except IndexError:
                    pass
                if self._open < self._limit:
                    self._open += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StoreUnavailable(
                        f"no connection to the store {self._display_name} came free within"
                        f" {self._wait_s:g} s ({self._limit} in use)"
                    )
                self._waiters += 1
                try:
                    self._returned.wait(remaining)
                finally:
                    self._waiters -= 1
        try:
            return Pooled(self._connect(), self._generation)
        except BaseException:
            with self._returned:
                self._open -= 1
                self._returned.notify()
            raise
