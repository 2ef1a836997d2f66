"""A verifying process for the usage tests: the store URL in KEYCONSOLE_DB, a key on stdin
(never argv), THREADS threads verifying it for SECONDS (argv). It prints the calls made,
each tenth of a second ("made N") and, after a clean close (which adds the last counts to
the store), once more as "done N". ``start_workers`` starts some."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from keyconsole.http.store_verifier import StoreVerifier


def main() -> None:
    threads, seconds = int(sys.argv[1]), float(sys.argv[2])
    key = sys.stdin.readline().strip()
    verifier = StoreVerifier(os.environ["KEYCONSOLE_DB"]).sync
    made = [0] * threads
    deadline = time.monotonic() + seconds

    def verify(n: int) -> None:
        while time.monotonic() < deadline:
            assert verifier.verify(key).ok
            made[n] += 1

    workers = [threading.Thread(target=verify, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    while any(worker.is_alive() for worker in workers):
        print(f"made {sum(made)} {time.monotonic()}", flush=True)
        time.sleep(0.1)
    verifier.close()
    print(f"done {sum(made)}", flush=True)


def start_workers(
    url: str, key: str, *, processes: int, threads: int, seconds: float, env: dict[str, str] | None = None
) -> list[subprocess.Popen[str]]:
    environment = {**os.environ, "KEYCONSOLE_DB": url, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), **(env or {})}
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.usage_worker", str(threads), str(seconds)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment)
        for _ in range(processes)
    ]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write(key + "\n")
        worker.stdin.close()
    return workers


if __name__ == "__main__":
    main()
