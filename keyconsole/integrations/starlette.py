"""Starlette, through its own authentication framework.

    app = Starlette(routes=..., middleware=[
        Middleware(AuthenticationMiddleware, backend=KeyconsoleBackend(url_or_store), on_error=on_key_error),
    ])

    @requires("users:read")
    async def users(request): return JSONResponse({"caller": request.user.key_id})

``request.auth.scopes`` holds the key's scopes and ``request.user`` stands for the key, so
Starlette's ``@requires`` works unchanged: a request without a key is unauthenticated and
gets what ``@requires`` answers (403 by default). A key that is presented and fails is an
authentication error; ``on_key_error`` answers it as forward auth does (401 with
``WWW-Authenticate: Bearer``, 429 with ``Retry-After``, 503 for an unreadable store).
"""

from __future__ import annotations

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError, BaseUser
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, Response

from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreSource, StoreVerifier
from keyconsole.http.verdicts import STORE_UNAVAILABLE, presented_key_in, refusal_headers, status_for
from keyconsole.service.verify import VerifyResult

__all__ = ["KeyRefused", "KeyUser", "KeyconsoleBackend", "on_key_error"]


class KeyUser(BaseUser):
    """The caller, as the key it presented."""

    def __init__(self, result: VerifyResult) -> None:
        self.result = result

    @property
    def key_id(self) -> str:
        return self.result.key_id or ""

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.key_id

    @property
    def identity(self) -> str:
        return self.key_id


class KeyRefused(AuthenticationError):
    """A presented key that did not verify; ``reason`` is VerifyResult's word."""

    def __init__(self, reason: str, status: int, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class KeyconsoleBackend(AuthenticationBackend):
    def __init__(self, store: StoreSource = None) -> None:
        self._verifiers = StoreVerifier(store)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        presented = presented_key_in(conn.scope["headers"])
        if presented is None:
            return None
        try:
            result = await self._verifiers.asynchronous.verify(presented)
        except StoreUnavailable:
            raise KeyRefused("store_unavailable", STORE_UNAVAILABLE) from None
        # Scopes are the routes' business (@requires); a key that merely lacks one is valid.
        if not result.ok:
            raise KeyRefused(result.reason, status_for(result.reason), result.retry_after)
        return AuthCredentials(list(result.scopes)), KeyUser(result)


def on_key_error(_conn: HTTPConnection, error: Exception) -> Response:
    """AuthenticationMiddleware's ``on_error``: the refusal as forward auth words it."""
    if isinstance(error, KeyRefused):
        headers = refusal_headers(error.status, retry_after=error.retry_after)
        return PlainTextResponse(error.reason, status_code=error.status, headers=headers)
    return PlainTextResponse(str(error), status_code=400)
