"""uvicorn's HTTP protocol (httptools), bounded against clients that hold connections open.

uvicorn waits for ever for a request that never completes: a client that sends part of a
head, or nothing, keeps its connection, and enough of them use up the process's open files
so that every new connection fails, silently. Here:
- a request must arrive whole, head and body, within REQUEST_DEADLINE_S of the connection
  being ready for it (new, or done with its last answer); else 408 and the connection closes;
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

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._input_ended = False
        super().connection_made(transport)
        if len(self.connections) > connection_cap():
            self._refuse_over_cap()
            return
        self._arm_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_deadline()
        super().connection_lost(exc)

    def on_message_complete(self) -> None:
        self._disarm_deadline()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self._input_ended:
            self.transport.close()
        elif not self.pipeline:
            self._arm_deadline()

    def eof_received(self) -> bool | None:
        self._input_ended = True
        # True keeps the transport open to write the answer to a request still being served.
        return self.cycle is not None and not self.cycle.response_complete

    def _arm_deadline(self) -> None:
        self._disarm_deadline()
        self._deadline = self.loop.call_later(REQUEST_DEADLINE_S, self._request_too_slow)

    def _disarm_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _request_too_slow(self) -> None:
        self._deadline = None
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
