"""What every endpoint of one worker shares: the verifier on the store, the caller rule,
the metrics, and the answers they build."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

from starlette.responses import PlainTextResponse, Response

from keyconsole import tokens
from keyconsole.errors import StoreUnavailable
from keyconsole.serve.asgi import Scope, header
from keyconsole.serve.metrics import ServeMetrics
from keyconsole.serve.problems import problem
from keyconsole.serve.settings import ServeSettings
from keyconsole.service.async_verify import AsyncVerifier
from keyconsole.service.verify import Verifier, VerifyResult
from keyconsole.store.direct import find_driver

log = logging.getLogger("keyconsole.serve")

CALLER_HEADER = b"x-keyconsole-caller"
# A well-formed key no store holds: reading it proves the store answers, and runs no argon2.
PROBE_KEY = tokens.assemble(tokens.PREFIX + "0" * tokens.PUBLIC_ID_CHARS, "0" * tokens.SECRET_CHARS)


class ServeContext:
    def __init__(self, settings: ServeSettings) -> None:
        driver = find_driver(settings.db)
        if driver is None:  # the command checked this before starting any worker
            raise StoreUnavailable("keyconsole serve reads a SQLite file or a postgresql+psycopg:// URL")
        self.settings = settings
        self.display_name = driver.display_name
        self.verifier = AsyncVerifier(Verifier(driver.lookup()), local_reads=driver.dialect == "sqlite")
        self.metrics = ServeMetrics()

    async def judge(self, endpoint: str, presented: str, required: Sequence[str]) -> VerifyResult | None:
        """The verdict, or None when the store cannot be read (the caller answers 503)."""
        started = time.perf_counter()
        try:
            result = await self.verifier.verify(presented, required)
        except StoreUnavailable as error:
            self.metrics.store_errors.inc()
            log.warning("%s", error)
            return None
        self.metrics.record(endpoint, result.reason, time.perf_counter() - started)
        return result

    async def store_answers(self) -> str | None:
        """None when the store answers a read, else why not."""
        try:
            await self.verifier.verify(PROBE_KEY)
        except StoreUnavailable as error:
            return str(error)
        return None

    async def refuse_caller(self, asgi_scope: Scope) -> Response | None:
        """With --caller-scope, the answer for a caller without a key holding it; else None."""
        scope = self.settings.caller_scope
        if scope is None:
            return None
        presented = header(asgi_scope, CALLER_HEADER)
        if not presented:
            self.metrics.record("caller", "missing_key", 0.0)
            return refusal("caller_missing_key", 401, realm="keyconsole-caller")
        result = await self.judge("caller", presented, (scope,))
        if result is None or result.reason == "throttled":
            return refused_by(result, prefix="caller_", realm="keyconsole-caller")
        if result.ok:
            return None
        # A caller's key without the scope is no caller's key at all: 401, not 403.
        return refusal("caller_" + result.reason, 401, realm="keyconsole-caller")

    def close(self) -> None:
        self.verifier.close()


def refusal(word: str, status: int, *, realm: str = "keyconsole", retry_after: float | None = None) -> Response:
    """A refusal as gateways read it: the status, and the reason word alone as the body."""
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = f'Bearer realm="{realm}"'
    elif status == 403:
        headers["WWW-Authenticate"] = f'Bearer realm="{realm}", error="insufficient_scope"'
    elif status == 429:
        headers["Retry-After"] = retry_after_header(retry_after)
    return PlainTextResponse(word, status_code=status, headers=headers)


def retry_after_header(seconds: float | None) -> str:
    """Whole seconds, rounded up: a client that waits that long finds the window moved on."""
    return str(max(1, math.ceil(seconds or 1)))


def refused_by(result: VerifyResult | None, *, prefix: str = "", realm: str = "keyconsole") -> Response:
    """The refusal for a failed verdict, or 503 for no verdict."""
    if result is None:
        return problem(503, "the key store cannot be read right now")
    if result.reason == "missing_scope":
        return refusal(prefix + result.reason, 403, realm=realm)
    if result.reason == "throttled":
        return refusal(prefix + result.reason, 429, realm=realm, retry_after=result.retry_after)
    return refusal(prefix + result.reason, 401, realm=realm)
