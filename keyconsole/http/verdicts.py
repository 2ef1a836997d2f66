"""How a verdict reads over HTTP: one rule for `keyconsole serve` and the framework guards,
so every way of checking a key answers a client alike (docs/serve.md, forward auth)."""

from __future__ import annotations

import math
from collections.abc import Iterable

from keyconsole.service.key_state import Reason
from keyconsole.service.verify import AMBIGUOUS_KEY, AmbiguousKey

REALM = "keyconsole"
STORE_UNAVAILABLE = 503
Presented = str | AmbiguousKey | None


def presented_key(authorization: Iterable[str], api_key: Iterable[str]) -> Presented:
    """The one key a request carries, from ``Authorization: Bearer <key>`` or ``X-API-Key``
    (each possibly repeated, or joined with commas as a WSGI server joins repeated headers);
    None for none; AMBIGUOUS_KEY when they name different keys. A gateway in front may pick
    another of them than keyconsole would: such a request is refused whole (verify answers
    ``ambiguous_key``)."""
    found: set[str] = set()
    for value in authorization:
        for part in value.split(","):
            scheme, _, credentials = part.strip().partition(" ")
            credentials = credentials.strip()
            if credentials and scheme.lower() == "bearer":
                found.add(credentials)
    for value in api_key:
        found.update(part.strip() for part in value.split(",") if part.strip())
    if len(found) > 1:
        return AMBIGUOUS_KEY
    return found.pop() if found else None


def presented_key_in(raw_headers: Iterable[tuple[bytes, bytes]]) -> Presented:
    """``presented_key`` from an ASGI scope's header pairs: one pass, no mapping built (a
    Starlette Headers object per request costs more than the verification behind it)."""
    authorization: list[str] = []
    api_key: list[str] = []
    for name, value in raw_headers:
        if name == b"authorization":
            authorization.append(value.decode("latin-1"))
        elif name == b"x-api-key":
            api_key.append(value.decode("latin-1"))
    return presented_key(authorization, api_key)


def presented_key_in_meta(meta: dict[str, str]) -> Presented:
    """``presented_key`` from a WSGI environ (Django's META), which joins repeated headers."""
    authorization, api_key = meta.get("HTTP_AUTHORIZATION"), meta.get("HTTP_X_API_KEY")
    return presented_key(() if authorization is None else (authorization,), () if api_key is None else (api_key,))


def status_for(reason: str) -> int:
    """200 for ok; 403 for a valid key without a required scope; 429 for throttled; 401 for
    every other refusal (no key, malformed, unknown, invalid, inactive, expired)."""
    if reason == Reason.OK:
        return 200
    if reason == Reason.MISSING_SCOPE:
        return 403
    if reason == Reason.THROTTLED:
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
