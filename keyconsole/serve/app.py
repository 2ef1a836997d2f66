"""The ASGI application of `keyconsole serve`: its routes and its lifespan (Starlette)."""

from __future__ import annotations

import asyncio
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


VERIFY_PATH = "/v1/verify"
FEED_FIGURES_EVERY_S = 1.0
FORWARD_AUTH_PATH = "/v1/forward-auth"


class HotRoute(Route):
    """A route HotPaths answers itself, before Starlette (see HotPaths). ``prefix``: any path
    below it too, as forward auth takes the original path after its own."""

    def __init__(self, path: str, endpoint: ASGIApp, *, methods: list[str] | None = None, prefix: bool = False) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.prefix = prefix


class HotPaths:
    """Hands the two endpoints every protected request goes through straight to their
    handlers, and everything else (probes, metrics, 404, 405, the lifespan) to Starlette:
    its routing and middleware cost about a tenth of a warm forward auth.

    What it matches comes from the one route table (its HotRoutes), and it refuses an app
    with middleware: a middleware added later would be skipped on exactly the requests that
    matter, silently."""

    def __init__(self, app: Starlette) -> None:
        if app.user_middleware:
            raise RuntimeError(
                "keyconsole serve's hot routes do not pass through Starlette's middleware:"
                " wrap HotPaths itself instead of adding middleware to the Starlette app"
            )
        self.app = app
        hot = [route for route in app.routes if isinstance(route, HotRoute)]
        self._exact = {
            (route.path, method): route.endpoint
            for route in hot if not route.prefix for method in (route.methods or ())
        }
        self._prefixes = [(route.path, route.endpoint) for route in hot if route.prefix]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            exact = self._exact.get((path, scope["method"]))
            if exact is not None:
                return await exact(scope, receive, send)
            for prefix, endpoint in self._prefixes:
                if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                    return await endpoint(scope, receive, send)
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
        observing = asyncio.create_task(context.observe_feed_every(FEED_FIGURES_EVERY_S))
        yield
        observing.cancel()
        context.close()

    routes = [
        # Answered by HotPaths; here so that Starlette answers 405 for GET /v1/verify.
        HotRoute(VERIFY_PATH, WithoutTraceback(make_verify_endpoint(context)), methods=["POST"]),
        HotRoute(FORWARD_AUTH_PATH, WithoutTraceback(make_forward_auth(context)), prefix=True),
        Route("/healthz", healthz),
        Route("/readyz", make_readyz(context)),
        Route("/metrics", make_metrics(context)),
    ]
    return HotPaths(Starlette(routes=routes, lifespan=lifespan))


def app_from_environ() -> HotPaths:
    """The factory each uvicorn worker calls (settings from ServeSettings.to_environ)."""
    return create_app(ServeSettings.from_environ())
