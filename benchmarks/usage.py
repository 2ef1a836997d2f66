"""Per-key usage counting: what it costs the verify path, and whether the counts are exact.

    make bench-usage            (or: .venv/bin/python benchmarks/usage.py [--seconds S] [--rounds N])

Starts its own throwaway PostgreSQL (initdb and pg_ctl on PATH). Prints:

1. a warm `KeyStore.verify`, one process and one thread, with counting on and off
   (`usage_flush_s=0`), in alternating rounds, on SQLite and PostgreSQL (target >= 0.95x);
2. 4 processes x 8 threads verifying for 20 s, then closing cleanly: the calls they made
   and the calls the store counted (target: equal).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from keyconsole import KeyStore  # noqa: E402
from keyconsole.service.verify import Verifier  # noqa: E402
from tests.pg_server import PostgresServer  # noqa: E402
from tests.usage_worker import start_workers  # noqa: E402


def warm_calls_per_second(store: KeyStore, key: str, seconds: float, *, counting: bool) -> float:
    verifier = Verifier(store.database.key_lookup(), usage_flush_s=10.0 if counting else 0)
    try:
        for _ in range(1000):
            verifier.verify(key, ("bench:read",))
        calls, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            for _ in range(1000):
                verifier.verify(key, ("bench:read",))
            calls += 1000
        return calls / (time.perf_counter() - started)
    finally:
        verifier.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--load-seconds", type=float, default=20.0)
    args = parser.parse_args()
    server = PostgresServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kc-usage-") as tmp:
            stores = {"SQLite": f"sqlite:///{tmp}/keys.db", "PostgreSQL": server.new_database()}
            print(f"Warm KeyStore.verify, 1 thread, counting on / off, {args.rounds} alternating rounds of {args.seconds:g} s:")
            for label, url in stores.items():
                with KeyStore(url, actor="benchmark") as store:
                    store.scopes.add("bench:read")
                    key = store.keys.create("bench", ["bench:read"]).key
                    on, off = [], []
                    for _ in range(args.rounds):
                        off.append(warm_calls_per_second(store, key, args.seconds, counting=False))
                        on.append(warm_calls_per_second(store, key, args.seconds, counting=True))
                ratios = sorted(a / b for a, b in zip(on, off, strict=True))
                print(f"  {label:<11} on {statistics.median(on):>9,.0f} calls/s  off {statistics.median(off):>9,.0f} calls/s"
                      f"  {statistics.median(ratios):.3f}x ({ratios[0]:.3f}-{ratios[-1]:.3f})")
            print("  target: >= 0.95x")
            print(f"4 processes x 8 threads verifying for {args.load_seconds:g} s, then a clean stop:")
            for label, url in stores.items():
                with KeyStore(url, actor="benchmark") as store:
                    key = store.keys.create(f"load {time.monotonic_ns()}", ["bench:read"])
                workers = start_workers(url, key.key, processes=4, threads=8, seconds=args.load_seconds)
                made = 0
                for worker in workers:
                    assert worker.stdout is not None
                    out = worker.stdout.read()
                    worker.wait()
                    made += int(out.strip().splitlines()[-1].split()[1])
                with KeyStore(url, actor="benchmark") as store:
                    (usage,) = store.usage.of_keys([key.info.public_id], by="hour")
                counted = sum(usage.totals)
                print(f"  {label:<11} made {made:>11,}  counted {counted:>11,}  {'equal' if made == counted else 'DIFFERENT'}")
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
