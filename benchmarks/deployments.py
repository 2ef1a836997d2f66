"""Verify throughput as deployed: many threads, and PostgreSQL with and without prepared
statements (directly and through PgBouncer in transaction mode).

    make bench-deployments       (or: .venv/bin/python benchmarks/deployments.py [--seconds S])

Starts its own throwaway PostgreSQL (initdb and pg_ctl on PATH) and, if installed, PgBouncer
(`make system-packages`); one key, verified warm, in one process.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from tempfile import TemporaryDirectory

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from keyconsole import KeyStore  # noqa: E402
from tests.pg_server import PostgresServer  # noqa: E402
from tests.pgbouncer_server import PgBouncer, pgbouncer_binary  # noqa: E402


def calls_per_second(url: str, threads: int, seconds: float) -> float:
    with KeyStore(url, actor="benchmark") as ks:
        if not ks.scopes.list():
            ks.scopes.add("bench:read")
        key = ks.keys.create(f"bench {time.monotonic_ns()}", ["bench:read"]).key
        assert ks.verify(key, scope="bench:read")
        counts = [0] * threads
        stop = threading.Event()

        def loop(n: int) -> None:
            while not stop.is_set():
                ks.verify(key, scope="bench:read")
                counts[n] += 1

        workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        time.sleep(seconds)
        stop.set()
        for worker in workers:
            worker.join()
        return sum(counts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with TemporaryDirectory(prefix="kc-deploy-") as tmp:
        sqlite = f"sqlite:///{tmp}/keys.db"
        for threads in (1, 16, 64):
            rows.append((f"SQLite, {threads} thread(s)", calls_per_second(sqlite, threads, args.seconds)))
    server = PostgresServer()
    server.start()
    bouncer = PgBouncer(server) if pgbouncer_binary() else None
    try:
        database = server.new_database()
        rows.append(("PostgreSQL, prepared (the default)", calls_per_second(database, 1, args.seconds)))
        rows.append(("PostgreSQL, prepare_threshold=none", calls_per_second(database + "?prepare_threshold=none", 1, args.seconds)))
        rows.append(("PostgreSQL, 16 threads, prepared", calls_per_second(database, 16, args.seconds)))
        if bouncer is not None:
            bouncer.start()
            through = bouncer.url(database) + "?prepare_threshold=none"
            rows.append(("PgBouncer 1.18 transaction mode, prepare_threshold=none", calls_per_second(through, 1, args.seconds)))
            rows.append(("the same, 16 threads", calls_per_second(through, 16, args.seconds)))
        else:
            print("pgbouncer is not installed (make system-packages): its rows are left out", file=sys.stderr)
    finally:
        if bouncer is not None:
            bouncer.stop()
        server.destroy()
    print(f"warm KeyStore.verify, one key, one process, {args.seconds:g} s each")
    for label, rate in rows:
        print(f"{label:<58} {rate:>9,.0f} calls/s")


if __name__ == "__main__":
    main()
