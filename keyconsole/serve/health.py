"""Probes and metrics: /healthz (the process answers), /readyz (the store answers),
/metrics (Prometheus text)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from keyconsole.serve.context import ServeContext
from keyconsole.serve.metrics import CONTENT_TYPE
from keyconsole.serve.problems import problem

Endpoint = Callable[[Request], Awaitable[Response]]


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


def make_readyz(context: ServeContext) -> Endpoint:
    async def readyz(_request: Request) -> Response:
        if (why := await context.store_answers()) is not None:
            return problem(503, why)
        return PlainTextResponse("ready")

    return readyz


def make_metrics(context: ServeContext) -> Endpoint:
    async def metrics(request: Request) -> Response:
        if (refused := await context.refuse_caller(request.scope)) is not None:
            return refused
        context.observe_feed()
        return Response(context.metrics.exposition(), media_type=CONTENT_TYPE)

    return metrics
