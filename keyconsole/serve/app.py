"""The ASGI application of `keyconsole serve`: its routes and its lifespan (Starlette)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from keyconsole.serve.asgi import ASGIApp, Receive, Scope, Send, WithoutTraceback
from keyconsole.serve.context import ServeContext
from keyconsole.serve.forward_auth import make_forward_auth
from keyconsole.serve.health import healthz, make_metrics, make_readyz
from keyconsole.serve.settings import ServeSettings
from keyconsole.serve.verify_endpoint import make_verify_endpoint

log = logging.getLogger("keyconsole.serve")


class HotPaths:
    """Hands the two endpoints every protected request goes through straight to their
    handlers, and everything else (probes, metrics, 404, 405, the lifespan) to Starlette:
    its routing and middleware cost about a tenth of a warm forward auth."""

    def __init__(self, app: Starlette, verify: ASGIApp, forward_auth: ASGIApp) -> None:
        self.app = app
        self.verify = verify
        self.forward_auth = forward_auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path == "/v1/verify" and scope["method"] == "POST":
                return await self.verify(scope, receive, send)
            if path.startswith("/v1/forward-auth") and (len(path) == 16 or path[16] == "/"):
                return await self.forward_auth(scope, receive, send)
        await self.app(scope, receive, send)


def create_app(settings: ServeSettings) -> HotPaths:
    context = ServeContext(settings)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if (why := await context.store_answers()) is not None:
            log.warning("%s: answering 503 until the store answers again", why)
        # Everything made so far lives as long as the process: the collector need not walk it
        # again on each of its full passes.
        gc.freeze()
        yield
        context.close()

    verify = WithoutTraceback(make_verify_endpoint(context))
    forward_auth = WithoutTraceback(make_forward_auth(context))
    routes = [
        # Served by HotPaths; listed so that Starlette answers 405 for GET /v1/verify.
        Route("/v1/verify", verify, methods=["POST"]),
        Route("/healthz", healthz),
        Route("/readyz", make_readyz(context)),
        Route("/metrics", make_metrics(context)),
    ]
    return HotPaths(Starlette(routes=routes, lifespan=lifespan), verify, forward_auth)


def app_from_environ() -> HotPaths:
    """The factory each uvicorn worker calls (settings from ServeSettings.to_environ)."""
    return create_app(ServeSettings.from_environ())
