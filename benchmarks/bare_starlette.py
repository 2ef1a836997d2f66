"""The HTTP stack's own limit, for benchmarks/serve.py: a bare Starlette endpoint returning
a constant JSON body, served by uvicorn exactly as `keyconsole serve` is."""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

ANSWER = {"valid": True, "reason": "ok", "key_id": "kc_000000000000", "scopes": ["bench:read"]}


async def constant(_request: object) -> JSONResponse:
    return JSONResponse(ANSWER)


app = Starlette(routes=[Route("/v1/verify", constant, methods=["POST"]), Route("/v1/forward-auth", constant)])
