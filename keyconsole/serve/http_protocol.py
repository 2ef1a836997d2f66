"""uvicorn's HTTP protocol (httptools), bounded against clients that hold connections open.

uvicorn waits for ever for a request that never completes: a client that sends part of a
head, or nothing, keeps its connection, and enough of them use up the process's open files
so that every new connection fails, silently. Here:
- a request must arrive whole, head and body, within REQUEST_DEADLINE_S (and the sweep's
  second) of the connection being ready for it (new, or done with its last answer); else
  408 and the connection closes;
- past the connection cap (the open-file limit less a reserve for the store and the
  metrics) a new connection is closed at once, with a log line saying why;
- a client that half-closes after sending its request (shutdown(SHUT_WR)) still gets its
  answer: end of input closes the connection only once nothing is in flight.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import time

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

REQUEST_DEADLINE_S = 10.0
SWEEP_EVERY_S = 1.0
# Files kept free of connections: the store's connections, the metrics files, logs.
RESERVED_FILES = 64
_TIMEOUT_ANSWER = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
_CAP_LOG_EVERY_S = 10.0

log = logging.getLogger("keyconsole.serve")


@functools.cache
def connection_cap() -> int:
    """Read once per worker, after `serve` raised the limit (server.py)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, soft - RESERVED_FILES) if soft != resource.RLIM_INFINITY else 1_000_000


class BoundedHttpProtocol(HttpToolsProtocol):
    _cap_logged_at = 0.0
    # One sweep a second per event loop ends connections past their deadline: cheaper on
    # every request than arming and cancelling a timer for each.
    _swept_loop: asyncio.AbstractEventLoop | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._input_ended = False
        self._waiting_since: float | None = None
        super().connection_made(transport)
        if len(self.connections) > connection_cap():
            self._refuse_over_cap()
            return
        self._waiting_since = self.loop.time()
        if BoundedHttpProtocol._swept_loop is not self.loop:
            BoundedHttpProtocol._swept_loop = self.loop
            self.loop.call_later(SWEEP_EVERY_S, _sweep, self.loop, self.connections)

    def on_message_complete(self) -> None:
        self._waiting_since = None
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # A request pipelined behind this one has arrived whole already: uvicorn starts it now.
        next_one_here = bool(self.pipeline)
        super().on_response_complete()
        if self.transport.is_closing() or next_one_here:
            return
        if self._input_ended:
            self.transport.close()  # the client sent all it will: nothing more to answer
        else:
            self._waiting_since = self.loop.time()  # ready for the next request: its clock starts

    def eof_received(self) -> bool | None:
        self._input_ended = True
        # True keeps the transport open to write the answer to a request still being served.
        return self.cycle is not None and not self.cycle.response_complete

    def request_too_slow(self) -> None:
        self._waiting_since = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_TIMEOUT_ANSWER)
        self.transport.close()

    def _refuse_over_cap(self) -> None:
        now = time.monotonic()
        if now - BoundedHttpProtocol._cap_logged_at >= _CAP_LOG_EVERY_S:
            BoundedHttpProtocol._cap_logged_at = now
            log.warning(
                "%d connections open, the cap for this worker's open-file limit: new connections are"
                " closed until some end (raise the limit: systemd LimitNOFILE=, ulimit -n)",
                len(self.connections) - 1,
            )
        self.transport.close()


def _sweep(loop: asyncio.AbstractEventLoop, connections: set[asyncio.Protocol]) -> None:
    """End every connection that has waited too long for a whole request; run again."""
    too_old = loop.time() - REQUEST_DEADLINE_S
    for connection in list(connections):
        since = getattr(connection, "_waiting_since", None)
        if since is not None and since <= too_old:
            connection.request_too_slow()  # type: ignore[attr-defined]
    loop.call_later(SWEEP_EVERY_S, _sweep, loop, connections)
