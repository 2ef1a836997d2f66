"""What every endpoint of one worker shares: the verifier on the store, the caller rule,
the metrics, and the answers they build."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from starlette.responses import PlainTextResponse, Response

from keyconsole import tokens
from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreVerifier
from keyconsole.http.verdicts import REALM, STORE_UNAVAILABLE, refusal_headers, status_for
from keyconsole.serve.asgi import Scope, header
from keyconsole.serve.metrics import ServeMetrics
from keyconsole.serve.problems import problem
from keyconsole.serve.settings import ServeSettings
from keyconsole.service.key_state import Reason
from keyconsole.service.verify import VerifyResult

log = logging.getLogger("keyconsole.serve")

CALLER_HEADER = b"x-keyconsole-caller"
CALLER_REALM = "keyconsole-caller"
# The one answer every refused caller gets (see refuse_caller).
CALLER_REFUSED = "caller_refused"
# A well-formed key no store holds: reading it proves the store answers, and runs no argon2.
PROBE_KEY = tokens.assemble(tokens.PREFIX + "0" * tokens.PUBLIC_ID_CHARS, "0" * tokens.SECRET_CHARS)


class ServeContext:
    def __init__(self, settings: ServeSettings) -> None:
        # The command checked, before any worker started, that the store is one serve reads
        # through its driver (never through SQLAlchemy).
        self.settings = settings
        self.verifier = StoreVerifier(settings.db).asynchronous
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

    async def observe_feed_every(self, seconds: float) -> None:
        """Keep the change feed's metrics current in this worker (a task of the lifespan)."""
        while True:
            self.observe_feed()
            await asyncio.sleep(seconds)

    def observe_feed(self) -> None:
        self.metrics.observe_feed(self.verifier.verifier.feed_figures())

    async def store_answers(self) -> str | None:
        """None when the store answers a read, else why not."""
        try:
            await self.verifier.verify(PROBE_KEY)
        except StoreUnavailable as error:
            return str(error)
        return None

    async def refuse_caller(self, asgi_scope: Scope) -> Response | None:
        """With --caller-scope, the answer for a caller without a key holding it; else None.

        Every refused caller gets the same answer, whatever the reason: told apart, they
        would tell anyone who reaches the port whether a stolen key is good, with no key of
        their own. The reason goes to the log."""
        scope = self.settings.caller_scope
        if scope is None:
            return None
        presented = header(asgi_scope, CALLER_HEADER)
        if not presented:
            self.metrics.record("caller", Reason.MISSING_KEY, 0.0)
            return _refused_caller(Reason.MISSING_KEY, asgi_scope)
        result = await self.judge("caller", presented, (scope,))
        if result is None:
            return refused_by(None)
        if result.ok:
            return None
        return _refused_caller(result.reason, asgi_scope)

    def close(self) -> None:
        self.verifier.close()


def _refused_caller(reason: str, asgi_scope: Scope) -> Response:
    client = asgi_scope.get("client") or ("?", 0)
    log.info("caller refused (%s) from %s", reason, client[0])
    return refusal(CALLER_REFUSED, 401, realm=CALLER_REALM)


def refusal(word: str, status: int, *, realm: str = REALM, retry_after: float | None = None) -> Response:
    """A refusal as gateways read it: the status, and the reason word alone as the body."""
    return PlainTextResponse(word, status_code=status, headers=refusal_headers(status, retry_after=retry_after, realm=realm))


def refused_by(result: VerifyResult | None) -> Response:
    """The refusal for a failed verdict, or 503 for no verdict."""
    if result is None:
        return problem(STORE_UNAVAILABLE, "the key store cannot be read right now")
    return refusal(result.reason, status_for(result.reason), retry_after=result.retry_after)
