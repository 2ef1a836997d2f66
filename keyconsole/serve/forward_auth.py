"""/v1/forward-auth: the auth service that gateways ask before passing a request on
(nginx auth_request, Traefik ForwardAuth, Caddy forward_auth, Envoy ext_authz over HTTP).

Any method, and any path below it (Envoy appends the original path); the required scopes
come from the query (``?scope=users:read&scope=users:write``) and from X-Keyconsole-Scope
(space-separated; for gateways such as Envoy that append the original path and query, and so
cannot add a query of their own: both only ever add requirements, so a client that sends
more refuses only itself); the key from ``Authorization: Bearer <key>`` or ``X-API-Key``. A pass carries the key's id and scopes in
response headers for the gateway to hand upstream.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import parse_qsl

from keyconsole.http.verdicts import presented_key_in
from keyconsole.serve.asgi import ASGIApp, Receive, Scope, Send, header, send_response
from keyconsole.serve.context import ServeContext, refusal, refused_by
from keyconsole.service.key_state import Reason

SCOPE_HEADER = b"x-keyconsole-scope"
KEY_ID_HEADER = b"x-keyconsole-key-id"
SCOPES_HEADER = b"x-keyconsole-scopes"
TEXT = b"text/plain; charset=utf-8"


class _Asked:
    """What a gateway's request carries for us: the key and the scopes it must hold."""

    __slots__ = ("key", "scopes")

    def __init__(self, scope: Scope) -> None:
        self.key = presented_key_in(scope["headers"])
        self.scopes = _scopes_in_query(scope.get("query_string", b""))
        if (listed := header(scope, SCOPE_HEADER)) is not None:
            self.scopes = (*self.scopes, *listed.split())


@lru_cache(maxsize=256)
def _scopes_in_query(query: bytes) -> tuple[str, ...]:
    # A gateway asks with the same few queries again and again: parsed once each.
    if not query:
        return ()
    return tuple(value for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if name == "scope")


def make_forward_auth(context: ServeContext) -> ASGIApp:
    async def forward_auth(scope: Scope, receive: Receive, send: Send) -> None:
        if (refused := await context.refuse_caller(scope)) is not None:
            return await refused(scope, receive, send)
        asked = _Asked(scope)
        if asked.key is None:
            context.metrics.record("forward_auth", Reason.MISSING_KEY, 0.0)
            return await refusal(Reason.MISSING_KEY, 401)(scope, receive, send)
        result = await context.judge("forward_auth", asked.key, asked.scopes)
        if result is None or not result.ok:
            return await refused_by(result)(scope, receive, send)
        await send_response(
            send, 200, b"ok", TEXT,
            [(KEY_ID_HEADER, (result.key_id or "").encode()), (SCOPES_HEADER, " ".join(result.scopes).encode())],
        )

    return forward_auth
