"""How a verdict reads over HTTP: one rule for `keyconsole serve` and the framework guards,
so every way of checking a key answers a client alike (DESIGN.md, forward auth)."""

from __future__ import annotations

import math
from collections.abc import Iterable

REALM = "keyconsole"
STORE_UNAVAILABLE = 503


def presented_key(authorization: str | None, api_key: str | None) -> str | None:
    """The key from ``Authorization: Bearer <key>``, else from ``X-API-Key``."""
    if authorization is not None:
        scheme, _, credentials = authorization.partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
    return (api_key or "").strip() or None


def presented_key_in(raw_headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """``presented_key`` from an ASGI scope's header pairs: one pass, no mapping built (a
    Starlette Headers object per request costs more than the verification behind it)."""
    authorization = api_key = None
    for name, value in raw_headers:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"x-api-key":
            api_key = value.decode("latin-1")
    return presented_key(authorization, api_key)


def status_for(reason: str) -> int:
    """200 for ok; 403 for a valid key without a required scope; 429 for throttled; 401 for
    every other refusal (no key, malformed, unknown, invalid, inactive, expired)."""
    if reason == "ok":
        return 200
    if reason == "missing_scope":
        return 403
    if reason == "throttled":
        return 429
    return 401


def refusal_headers(status: int, *, retry_after: float | None = None, realm: str = REALM) -> dict[str, str]:
    """What a refusal carries: the challenge for 401 and 403 (RFC 6750), the wait for 429."""
    if status == 401:
        return {"WWW-Authenticate": f'Bearer realm="{realm}"'}
    if status == 403:
        return {"WWW-Authenticate": f'Bearer realm="{realm}", error="insufficient_scope"'}
    if status == 429:
        return {"Retry-After": retry_after_header(retry_after)}
    return {}


def retry_after_header(seconds: float | None) -> str:
    """Whole seconds, rounded up: a client that waits that long finds the window moved on."""
    return str(max(1, math.ceil(seconds or 1)))
