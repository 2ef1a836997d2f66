"""A verifying process for the change feed's tests and benchmark (benchmarks/fleet.py):
reads the store URL from KEYCONSOLE_DB and its keys from the first line of stdin (never
argv), verifies them in turn until stdin says "stop", then prints what it saw as JSON: for
each key, the start (time.monotonic(), one clock for every process of the machine) of the
last verify that said "ok" and of the first that did not."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

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


if __name__ == "__main__":
    main()
