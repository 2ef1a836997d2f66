"""The Starlette application of `keyconsole serve`: its routes and its lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import Route

from keyconsole.serve.asgi import WithoutTraceback
from keyconsole.serve.context import ServeContext
from keyconsole.serve.forward_auth import make_forward_auth
from keyconsole.serve.health import healthz, make_metrics, make_readyz
from keyconsole.serve.settings import ServeSettings
from keyconsole.serve.verify_endpoint import make_verify_endpoint

log = logging.getLogger("keyconsole.serve")
# Gateways forward the method of the request they check; Envoy and Caddy keep it as it was.
ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]


def create_app(settings: ServeSettings) -> Starlette:
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

    forward_auth = WithoutTraceback(make_forward_auth(context))
    routes = [
        Route("/v1/verify", WithoutTraceback(make_verify_endpoint(context)), methods=["POST"]),
        Route("/v1/forward-auth", forward_auth, methods=ANY_METHOD),
        Route("/v1/forward-auth/{rest:path}", forward_auth, methods=ANY_METHOD),
        Route("/healthz", healthz),
        Route("/readyz", make_readyz(context)),
        Route("/metrics", make_metrics(context)),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def app_from_environ() -> Starlette:
    """The factory each uvicorn worker calls (settings from ServeSettings.to_environ)."""
    return create_app(ServeSettings.from_environ())
