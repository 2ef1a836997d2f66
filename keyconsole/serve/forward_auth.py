"""/v1/forward-auth: the auth service that gateways ask before passing a request on
(nginx auth_request, Traefik ForwardAuth, Caddy forward_auth, Envoy ext_authz over HTTP).

Any method, and any path below it (Envoy appends the original path); the required scopes
come from the query (``?scope=users:read&scope=users:write``) or X-Keyconsole-Scope, the key from
``Authorization: Bearer <key>`` or ``X-API-Key``. A pass carries the key's id and scopes in
response headers for the gateway to hand upstream.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from keyconsole.serve.asgi import ASGIApp, Receive, Scope, Send, header, send_response
from keyconsole.serve.context import ServeContext, refusal, refused_by

SCOPE_HEADER = b"x-keyconsole-scope"
KEY_ID_HEADER = b"x-keyconsole-key-id"
SCOPES_HEADER = b"x-keyconsole-scopes"
TEXT = b"text/plain; charset=utf-8"


def presented_key(scope: Scope) -> str | None:
    scheme, _, credentials = (header(scope, b"authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return (header(scope, b"x-api-key") or "").strip() or None


def required_scopes(scope: Scope) -> list[str]:
    """From ``?scope=`` and from X-Keyconsole-Scope (space-separated), for gateways such as
    Envoy that append the original path and query and so cannot add a query of their own.
    Both only ever add requirements: a client that sends more refuses only itself."""
    query = scope.get("query_string", b"")
    required = (
        [value for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True) if name == "scope"]
        if query else []
    )
    if (listed := header(scope, SCOPE_HEADER)) is not None:
        required += listed.split()
    return required


def make_forward_auth(context: ServeContext) -> ASGIApp:
    async def forward_auth(scope: Scope, receive: Receive, send: Send) -> None:
        if (refused := await context.refuse_caller(scope)) is not None:
            return await refused(scope, receive, send)
        presented = presented_key(scope)
        if presented is None:
            context.metrics.record("forward_auth", "missing_key", 0.0)
            return await refusal("missing_key", 401)(scope, receive, send)
        result = await context.judge("forward_auth", presented, required_scopes(scope))
        if result is None or not result.ok:
            return await refused_by(result)(scope, receive, send)
        await send_response(
            send, 200, b"ok", TEXT,
            [(KEY_ID_HEADER, (result.key_id or "").encode()), (SCOPES_HEADER, " ".join(result.scopes).encode())],
        )

    return forward_auth
