"""A verifying process for the change feed's tests and benchmark: reads the store URL from
KEYCONSOLE_DB and a key from stdin (never argv), verifies it in a loop until stdin says
"stop", then prints what it saw as JSON: the start (time.monotonic(), one clock for every
process of the machine) of each verify that said "ok" last and said "inactive" first."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreVerifier


def main() -> None:
    key = sys.stdin.readline().strip()
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    verifier = StoreVerifier(os.environ["KEYCONSOLE_DB"]).sync
    last_ok = first_refused = None
    calls = unavailable = 0
    announced = False
    while not stop.is_set():
        started = time.monotonic()
        try:
            result = verifier.verify(key)
        except StoreUnavailable:
            unavailable += 1
            continue
        calls += 1
        if result.ok:
            last_ok = started
            if not announced and calls > 1000:
                print("ready", flush=True)
                announced = True
        elif first_refused is None:
            first_refused = started
    print(json.dumps({"last_ok": last_ok, "first_refused": first_refused, "calls": calls, "unavailable": unavailable}), flush=True)


if __name__ == "__main__":
    main()
