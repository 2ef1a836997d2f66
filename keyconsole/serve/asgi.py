"""The few raw ASGI pieces the hot endpoints use.

/v1/verify and forward auth answer every request of the protected API, so they skip
Starlette's Request and Response objects (about a fifth of a warm request's time, measured
in benchmarks/serve.py) and read and write the ASGI messages themselves. Routing, the
probes and the error answers stay Starlette's.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from keyconsole.serve.problems import problem

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("keyconsole.serve")


def header(scope: Scope, name: bytes) -> str | None:
    """A request header (``name`` in lower case), decoded as Latin-1 as HTTP has it."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is over ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks) if len(chunks) != 1 else chunks[0]


async def send_response(
    send: Send, status: int, body: bytes, content_type: bytes, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": body})


class WithoutTraceback:
    """An ASGI endpoint whose bugs answer 500 and log the error's type only: a traceback's
    text or locals could hold the key that was being checked. (A class, not a function:
    Starlette's Route hands functions a Request, and an ASGI app the raw messages.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as error:  # noqa: BLE001 - see the docstring
            log.error("internal error answering %s %s (%s)", scope.get("method"), scope.get("path"), type(error).__name__)
            try:
                await problem(500, "internal error; the service log names its type")(scope, receive, send)
            except Exception:  # noqa: BLE001 - the answer had already begun; the client sees it cut
                pass
