"""Verifying on an event loop without blocking it (`keyconsole serve`, the FastAPI and
Starlette guards).

A verdict that is at hand takes a few microseconds: a hash check this process already made,
on a row of a local SQLite file (remembered while nobody commits, else one indexed read) or
a PostgreSQL row kept while the change feed is followed (store/direct/followed_rows.py). That
is far cheaper inline than the hop to a worker thread (about 60 us), so it is answered
inline. An argon2 run (tens of milliseconds) and every PostgreSQL round trip go to a worker
thread, and the loop serves other requests meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from keyconsole.service.verify import Verifier, VerifyResult


class AsyncVerifier:
    def __init__(self, verifier: Verifier) -> None:
        self.verifier = verifier

    async def verify(self, presented: object, required: Sequence[str] = ()) -> VerifyResult:
        """As Verifier.verify; raises StoreUnavailable when the store cannot be read."""
        result = self.verifier.verify_if_at_hand(presented, required)
        if result is not None:
            return result
        return await asyncio.to_thread(self.verifier.verify, presented, required)

    def close(self) -> None:
        self.verifier.close()
