"""A verifying process for the change feed's tests and benchmark (benchmarks/fleet.py):
reads the store URL from KEYCONSOLE_DB and its keys from the first line of stdin (never
argv), verifies them in turn until stdin says "stop", then prints what it saw as JSON: for
each key, the start (time.monotonic(), one clock for every process of the machine) of the
last verify that said "ok" and of the first that did not. ``verifying_processes`` starts
some and ``reports`` stops them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreVerifier


def main() -> None:
    keys = sys.stdin.readline().split()
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    verifier = StoreVerifier(os.environ["KEYCONSOLE_DB"]).sync
    last_ok: list[float | None] = [None] * len(keys)
    first_refused: list[float | None] = [None] * len(keys)
    calls = unavailable = 0
    announced = False
    while not stop.is_set():
        for n, key in enumerate(keys):
            started = time.monotonic()
            try:
                result = verifier.verify(key)
            except StoreUnavailable:
                unavailable += 1
                continue
            calls += 1
            if result.ok:
                last_ok[n] = started
            elif first_refused[n] is None:
                first_refused[n] = started
        if not announced and calls > 1000:
            print("ready", flush=True)
            announced = True
    report = {"last_ok": last_ok, "first_refused": first_refused, "calls": calls, "unavailable": unavailable}
    print(json.dumps(report), flush=True)


ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def verifying_processes(url: str, keys: list[str], count: int) -> Iterator[list[subprocess.Popen[str]]]:
    """``count`` processes verifying ``keys``, each warm (more than 1,000 verdicts) when this
    yields; killed afterwards if still running."""
    env = {**os.environ, "KEYCONSOLE_DB": url, "PYTHONPATH": str(ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.feed_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
        )
        for _ in range(count)
    ]
    try:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(" ".join(keys) + "\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        yield workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait(timeout=10)


def reports(workers: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    """Stop each process and read what it saw."""
    seen = []
    for worker in workers:
        assert worker.stdin is not None and worker.stdout is not None
        worker.stdin.write("stop\n")
        worker.stdin.flush()
        seen.append(json.loads(worker.stdout.readline()))
        worker.wait(timeout=10)
    return seen


if __name__ == "__main__":
    main()
