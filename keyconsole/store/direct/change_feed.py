"""Following a PostgreSQL store's change feed (migration 0011) from one process.

A thread of its own, on a connection of its own, reads the feed's new entries every
``POLL_INTERVAL_S`` and hands them to the rows remembered from it
(store/direct/followed_rows.py), with the moment the read was sent: every change committed
before then is in the answer, since the feed's numbers are taken in commit order. That read
is the lease: a remembered row is given back only until ``BOUND_S`` after the last one sent
and answered. A notification (LISTEN) wakes the thread at once, so a change is usually
applied within a round trip of its commit; behind a transaction-mode pooler, where LISTEN
does not work, the store URL says ``?feed=poll`` and the polling alone keeps the bound.

When the connection fails, the thread connects again (50 ms, doubling up to 1 s) and, on the
same server, reads from where it stopped: a lost notification costs nothing. On a server
that started since (a restart, a failover to a replica that may lack the last changes), or
when the entries it needs were pruned meanwhile, it forgets every row and follows the feed
from its head.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from keyconsole.store.direct import fork_safety
from keyconsole.store.direct.connectors import error_line
from keyconsole.store.direct.duty_thread import DutyThread

# How stale a remembered row may be: a change committed at t is seen by every lookup that
# starts after t + BOUND_S.
BOUND_S = 0.1
# Well inside the bound, so one slow round trip does not let the lease lapse.
POLL_INTERVAL_S = 0.025
# A process that answered nothing from memory for this long stops reading the feed and lets
# its connection go (an idle API server costs the database nothing); its next lookup reads
# the store and wakes the thread, which catches up by sequence.
IDLE_AFTER_S = 10.0
RECONNECT_FIRST_S = 0.05
RECONNECT_MAX_S = 1.0
CHANNEL = "keyconsole_key_changes"
# The entry at the position already applied comes back first: proof nothing was pruned since.
_NEWER = "SELECT seq, public_ids FROM key_changes WHERE seq >= %s ORDER BY seq"
# The feed's head, and when the server process started: another value after a reconnect
# means a restart or a failover to another server, whose feed may be behind or elsewhere.
_HEAD = "SELECT coalesce(max(seq), 0), pg_postmaster_start_time() FROM key_changes"

log = logging.getLogger("keyconsole.feed")


class FeedReader(Protocol):
    """What the follower hands the feed's entries to (FollowedRows)."""

    position: int
    # Lookups answered from memory so far: unchanged for IDLE_AFTER_S, the follower rests.
    hits: int

    def start_from(self, position: int) -> None: ...

    def apply(self, entries: list[tuple[int, str | None]], sent_at: float) -> None: ...


class FeedFollower:
    def __init__(self, connect: Callable[[], Any], driver_error: type[Exception], reader: FeedReader, *, listen: bool) -> None:
        self._connect = connect
        self._driver_error = driver_error
        self._reader = reader
        self._listen = listen
        self._duty = DutyThread("keyconsole-change-feed", self._run)
        self._reset()
        fork_safety.register(self)

    def _reset(self) -> None:
        self._connection: Any = None
        # Whether the last attempt failed, so the log says it once, and once when it recovers.
        self._failing = False

    def start(self) -> None:
        """Start following, or wake the thread if it rests (every lookup past a lapsed lease
        calls this)."""
        self._duty.start()

    def stop(self) -> None:
        self._duty.stop(join_s=1.0)

    def after_fork_in_child(self) -> None:
        # The thread did not cross the fork (store/direct/duty_thread.py); its connection did,
        # and is the parent's.
        if self._connection is not None:
            fork_safety.leave_untouched([self._connection])
        self._reset()

    def _run(self) -> None:
        pause = RECONNECT_FIRST_S
        server_started = None
        while not self._duty.stopped:
            try:
                self._connection = self._connect()
                head, started = self._connection.execute(_HEAD).fetchone()
                if started != server_started:
                    self._reader.start_from(head)
                    server_started = started
                pause = RECONNECT_FIRST_S
                self._follow(self._connection)
            except self._driver_error as error:
                self._report(error)
            else:
                # Idle: rest until a lookup finds the lease lapsed (or the store is closed).
                self._close()
                self._duty.rest()
                continue
            finally:
                self._close()
            self._duty.pause(pause)
            pause = min(pause * 2, RECONNECT_MAX_S)

    def _follow(self, connection: Any) -> None:
        """Follow the feed until the process is idle or stopped (returns) or the connection
        fails (raises)."""
        if self._listen:
            connection.execute(f"LISTEN {CHANNEL}")
        hits, quiet_since = -1, time.monotonic()
        while not self._duty.stopped:
            sent_at = time.monotonic()
            if self._reader.hits != hits:
                hits, quiet_since = self._reader.hits, sent_at
            elif sent_at - quiet_since >= IDLE_AFTER_S:
                return
            position = self._reader.position
            entries = connection.execute(_NEWER, (position,)).fetchall()
            if position == 0 or (entries and entries[0][0] == position):
                self._reader.apply([entry for entry in entries if entry[0] > position], sent_at)
            else:
                # Pruned past us, or another feed (a restore, a failover): forget every row
                # and follow this feed from its head.
                self._reader.start_from(connection.execute(_HEAD).fetchone()[0])
                self._reader.apply([], sent_at)
            if self._failing:
                self._failing = False
                log.warning("following the change feed again")
            if self._listen:
                # Any notification ends the wait: the next read fetches what it announced.
                for _ in connection.notifies(timeout=POLL_INTERVAL_S, stop_after=1):
                    pass
            else:
                self._duty.pause(POLL_INTERVAL_S)

    def _report(self, error: Exception) -> None:
        if not self._failing:
            self._failing = True
            log.warning("cannot follow the change feed (every verify reads the store meanwhile): %s", error_line(error))

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except self._driver_error:
                pass
