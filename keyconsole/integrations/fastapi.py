"""FastAPI: a security dependency with scopes, as FastAPI's own OAuth2 scopes work.

    auth = KeyconsoleAuth("sqlite:////var/lib/keyconsole/keys.db")   # a URL or a KeyStore

    @app.get("/users")
    def users(key: VerifyResult = Security(auth, scopes=["users:read"])):
        return {"caller": key.key_id}

The key comes from ``Authorization: Bearer <key>`` or ``X-API-Key``. Refusals answer as
`keyconsole serve`'s forward auth: 401 with ``WWW-Authenticate: Bearer`` (no key,
malformed, unknown, invalid, inactive, expired), 403 (missing scope), 429 with
``Retry-After`` (throttled), 503 (store unreadable). The dependency is async: a verdict at
hand is answered on the event loop, argon2 and PostgreSQL's round trips in a worker thread
(service/async_verify.py). /docs shows the scheme, so Swagger UI's Authorize button works.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security import SecurityScopes
from fastapi.security.base import SecurityBase

from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreSource, StoreVerifier
from keyconsole.http.verdicts import STORE_UNAVAILABLE, presented_key_in, refusal_headers, status_for
from keyconsole.service.key_state import Reason
from keyconsole.service.verify import VerifyResult

__all__ = ["KeyconsoleAuth", "VerifyResult"]


class KeyconsoleAuth(SecurityBase):
    def __init__(self, store: StoreSource = None, *, scheme_name: str = "keyconsole") -> None:
        self.model = HTTPBearerModel(
            bearerFormat="keyconsole key",
            description="A keyconsole API key, as `Authorization: Bearer kc_…` (or in `X-API-Key`).",
        )
        self.scheme_name = scheme_name
        self._verifiers = StoreVerifier(store)

    async def __call__(self, request: Request, security_scopes: SecurityScopes) -> VerifyResult:
        presented = presented_key_in(request.scope["headers"])
        if presented is None:
            raise HTTPException(401, Reason.MISSING_KEY.value, headers=refusal_headers(401))
        try:
            result = await self._verifiers.asynchronous.verify(presented, security_scopes.scopes)
        except StoreUnavailable:
            raise HTTPException(STORE_UNAVAILABLE, "the key store cannot be read right now") from None
        if not result.ok:
            status = status_for(result.reason)
            raise HTTPException(status, result.reason, headers=refusal_headers(status, retry_after=result.retry_after))
        return result
