"""A Starlette app guarded by keyconsole keys through Starlette's own authentication.

    KEYCONSOLE_DB=sqlite:////path/to/keys.db .venv/bin/uvicorn --app-dir examples starlette_app:app

Then:
    curl -H "X-API-Key: kc_..." localhost:8000/users
"""

from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from keyconsole.integrations.starlette import KeyconsoleBackend, on_key_error


@requires("users:read")
async def users(request: Request) -> JSONResponse:
    return JSONResponse({"caller": request.user.key_id, "scopes": request.auth.scopes})


app = Starlette(
    routes=[Route("/users", users)],
    # on_key_error: a presented key that fails gets 401 (429 throttled, 503 store unreadable);
    # without it Starlette answers 400. No key at all: @requires answers 403.
    middleware=[Middleware(AuthenticationMiddleware, backend=KeyconsoleBackend(), on_error=on_key_error)],
)
