"""Many threads of one process doing the same thing at the same moment, as a server's pool does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


def at_once(threads: int, request: Callable[[], object]) -> tuple[list[object], list[float]]:
    """Run ``request`` in ``threads`` threads released together; the threads live on after
    their request, as a pool's do, until every one has answered."""
    released = threading.Barrier(threads)
    answered = threading.Semaphore(0)
    pool_may_end = threading.Event()
    answers: list[object] = [None] * threads
    seconds: list[float] = [0.0] * threads

    def worker(n: int) -> None:
        released.wait()
        started = time.perf_counter()
        try:
            answers[n] = request()
        except Exception as error:  # noqa: BLE001 - any error is the test's finding
            answers[n] = repr(error)
        seconds[n] = time.perf_counter() - started
        answered.release()
        pool_may_end.wait(timeout=60)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    try:
        for _ in range(threads):
            assert answered.acquire(timeout=60), "a thread never answered"
    finally:
        pool_may_end.set()
        for thread in pool:
            thread.join(timeout=60)
    return answers, seconds
