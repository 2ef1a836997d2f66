"""A fleet on one PostgreSQL: in-memory speed, and revocation within 100 ms.

    make bench-fleet            (or: .venv/bin/python benchmarks/fleet.py [--seconds S] [--keys N])

Starts its own throwaway PostgreSQL (initdb and pg_ctl on PATH) and PgBouncer in transaction
mode (`make system-packages`), and needs wrk (`make bench-serve` installs it). Prints:

1. a warm `KeyStore.verify`, one process and one thread, on SQLite, on PostgreSQL directly
   and through PgBouncer (?feed=poll), and the ratios to SQLite (target >= 0.5x);
2. `keyconsole serve` POST /v1/verify under wrk on PostgreSQL and on SQLite (target >= 0.8x);
3. revocation under load: two `keyconsole serve` processes on the store loaded by wrk, four
   verifying processes verifying N keys in turn, and the keys deactivated one at a time:
   for each deactivation and process, the delay from the commit to the first refusal
   (p50, p99, max), and how many verifies said "ok" after the bound (target: none).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from deployments import calls_per_second  # noqa: E402
from serve import free_port, stop, verify_script, wait_until_answering, wrk  # noqa: E402

from keyconsole import KeyStore  # noqa: E402
from keyconsole.store.direct.change_feed import BOUND_S  # noqa: E402
from tests.feed_worker import reports, verifying_processes  # noqa: E402
from tests.pg_server import PostgresServer  # noqa: E402
from tests.pgbouncer_server import PgBouncer, pgbouncer_binary  # noqa: E402

PYTHON = sys.executable
VERIFIERS = 4


def serve(url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [PYTHON, "-m", "keyconsole", "serve", "--db", url, "--listen", f"127.0.0.1:{port}", "--no-access-log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_until_answering(port, process)
    return process, port


def new_key(url: str, name: str) -> tuple[str, str]:
    with KeyStore(url, actor="benchmark") as ks:
        if not ks.scopes.list():
            ks.scopes.add("bench:read")
        issued = ks.keys.create(name, ["bench:read"])
    return issued.key, issued.info.public_id


def serve_rps(url: str, tmp: Path, seconds: float) -> float:
    key, _ = new_key(url, f"serve {time.monotonic_ns()}")
    script = verify_script(tmp, key)
    process, port = serve(url)
    try:
        wrk(f"http://127.0.0.1:{port}/v1/verify", 2, 32, script)
        return wrk(f"http://127.0.0.1:{port}/v1/verify", seconds, 32, script)["rps"]
    finally:
        stop(process)


def revocation_delays(url: str, tmp: Path, keys: int) -> tuple[list[float], int]:
    """Delays (ms) from each commit to each verifying process's first refusal, and how many
    verifies said "ok" a bound after a commit."""
    issued = [new_key(url, f"revoked {n} {time.monotonic_ns()}") for n in range(keys)]
    load_key, _ = new_key(url, f"load {time.monotonic_ns()}")
    script = verify_script(tmp, load_key)
    servers = [serve(url) for _ in range(2)]
    loads = [
        subprocess.Popen(["wrk", "-t1", "-c16", "-d60s", "-s", str(script), f"http://127.0.0.1:{port}/v1/verify"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _, port in servers
    ]
    committed: list[float] = []
    try:
        with verifying_processes(url, [key for key, _ in issued], VERIFIERS) as workers:
            time.sleep(1)
            with KeyStore(url, actor="benchmark") as admin:
                for _, public_id in issued:
                    admin.keys.set_active(public_id, False)
                    committed.append(time.monotonic())
                    time.sleep(0.2)
            time.sleep(0.5)
            seen = reports(workers)
    finally:
        for load in loads:
            load.kill()
            load.wait()
        for process, _ in servers:
            stop(process)
    delays = [
        (report["first_refused"][n] - committed[n]) * 1000
        for report in seen for n in range(keys) if report["first_refused"][n] is not None
    ]
    late = sum(
        1 for report in seen for n in range(keys)
        if report["last_ok"][n] is not None and report["last_ok"][n] >= committed[n] + BOUND_S
    )
    missing = sum(1 for report in seen for n in range(keys) if report["first_refused"][n] is None)
    return delays, late + missing


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--keys", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None or pgbouncer_binary() is None:
        raise SystemExit("needs wrk and pgbouncer: make bench-serve system-packages (as root), then run this again")
    server = PostgresServer()
    server.start()
    bouncer = PgBouncer(server)
    bouncer.start()
    try:
        with tempfile.TemporaryDirectory(prefix="kc-fleet-") as tmp_name:
            tmp = Path(tmp_name)
            stores = {
                "SQLite": f"sqlite:///{tmp}/keys.db",
                "PostgreSQL": server.new_database(),
                "PostgreSQL via PgBouncer": bouncer.url(server.new_database()) + "?prepare_threshold=none&feed=poll",
            }
            warm: dict[str, list[float]] = {label: [] for label in stores}
            for _ in range(args.rounds):
                for label, url in stores.items():
                    warm[label].append(calls_per_second(url, 1, args.seconds))
            print(f"Warm KeyStore.verify, 1 process, 1 thread, median of {args.rounds} rounds of {args.seconds:g} s:")
            for label, figures in warm.items():
                ratios = sorted(f / s for f, s in zip(figures, warm["SQLite"], strict=True))
                print(f"  {label:<26} {statistics.median(figures):>10,.0f} calls/s  {statistics.median(ratios):5.2f}x SQLite"
                      f" ({ratios[0]:.2f}-{ratios[-1]:.2f})")
            print("  target: PostgreSQL >= 0.50x SQLite")

            served = {label: serve_rps(url, tmp, args.seconds * 2) for label, url in stores.items() if "PgBouncer" not in label}
            print(f"keyconsole serve, POST /v1/verify, 1 worker, wrk -t2 -c32 -d{args.seconds * 2:g}s:")
            for label, rps in served.items():
                print(f"  {label:<26} {rps:>10,.0f} req/s  {rps / served['SQLite']:5.2f}x SQLite")
            print("  target: PostgreSQL >= 0.80x SQLite")

            print(f"Revocation: {args.keys} keys deactivated one at a time, {VERIFIERS} verifying processes,"
                  " wrk on two serve processes:")
            for label in ("PostgreSQL", "PostgreSQL via PgBouncer"):
                delays, late = revocation_delays(stores[label], tmp, args.keys)
                print(f"  {label:<26} delay p50 {quantile(delays, 0.5):6.1f} ms  p99 {quantile(delays, 0.99):6.1f} ms"
                      f"  max {max(delays):6.1f} ms  ({len(delays)} refusals); 'ok' after the bound: {late}")
            print(f"  target: no 'ok' {BOUND_S * 1000:.0f} ms after a commit")
    finally:
        bouncer.stop()
        server.destroy()


if __name__ == "__main__":
    main()
