"""The keys table at scale: ready time, filter keystroke, End, peak memory, UI-thread stalls.

    make bench-console           (or: .venv/bin/python benchmarks/console.py [--sizes 10,10000,...])
    .venv/bin/python benchmarks/console.py --postgres      (the same on PostgreSQL)
    .venv/bin/python benchmarks/console.py --usage-hours 168   (a week of usage for every key)

Seeds a store per size with `keyconsole demo seed` (a SQLite file, or with --postgres a
database on a throwaway PostgreSQL server started as the tests start theirs), then runs
the real app headless (Textual's run_test) in a fresh process per size
(benchmarks/console_probe.py), so peak memory is the whole process's. Compares against an
empty Textual app's start-up.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def probe(target: str, runs: int) -> dict[str, float]:
    results = [
        json.loads(subprocess.run([sys.executable, str(HERE / "console_probe.py"), target],
                                  check=True, capture_output=True, text=True).stdout)
        for _ in range(runs)
    ]
    return {name: statistics.median(r[name] for r in results) for name in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,10000,100000,1000000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL instead of SQLite")
    parser.add_argument("--usage-hours", type=int, default=0,
                        help="hours of usage seeded for every key (168: a week), as `demo seed --usage-hours`")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    empty = probe("--empty", args.runs)
    print(f"empty Textual app ready: {empty['ready_s']:.3f} s, peak {empty['peak_mb']:.0f} MB")
    print(f"{'keys':>10}  {'ready s':>8}  {'vs 10':>6}  {'vs empty':>8}  {'filter ms':>9}  {'rare ms':>7}"
          f"  {'count ms':>8}  {'End ms':>7}  {'peak MB':>7}  {'UI stall ms: open':>17} {'sort':>5} {'rev':>4}"
          f" {'toggle':>6} {'poll':>5}  {'1st dialog':>10}  {'views ms: active':>16} {'inact':>5} {'expd':>4}"
          f" {'soon':>4} {'unused':>6}  {'usage sort ms':>13} {'stall':>5}")
    baseline = None
    with new_stores(args.postgres) as new_store:
        for size in sizes:
            db = new_store(size)
            subprocess.run([sys.executable, "-m", "keyconsole", "demo", "seed", "--keys", str(size), "--db", db,
                            "--usage-hours", str(args.usage_hours)], check=True, capture_output=True)
            figures = probe(db, args.runs)
            baseline = baseline or figures["ready_s"]
            print(f"{size:>10,}  {figures['ready_s']:>8.3f}  {figures['ready_s'] / baseline:>5.2f}x"
                  f"  {figures['ready_s'] / empty['ready_s']:>7.2f}x  {figures['filter_s'] * 1000:>9.0f}"
                  f"  {figures['rare_s'] * 1000:>7.0f}  {figures['counted_s'] * 1000:>8.0f}"
                  f"  {figures['end_s'] * 1000:>7.0f}  {figures['peak_mb']:>7.0f}"
                  f"  {figures['stall_open_s'] * 1000:>17.0f} {figures['stall_sort_s'] * 1000:>5.0f}"
                  f" {figures['stall_reverse_s'] * 1000:>4.0f} {figures['stall_toggle_s'] * 1000:>6.0f}"
                  f" {figures['stall_poll_s'] * 1000:>5.0f}  {figures['stall_first_dialog_s'] * 1000:>10.0f}"
                  f"  {figures['view_active_s'] * 1000:>16.0f} {figures['view_inactive_s'] * 1000:>5.0f}"
                  f" {figures['view_expired_s'] * 1000:>4.0f} {figures['view_expiring_s'] * 1000:>4.0f}"
                  f" {figures['view_unused_s'] * 1000:>6.0f}  {figures['usage_sort_s'] * 1000:>13.0f}"
                  f" {figures['stall_usage_sort_s'] * 1000:>5.0f}", flush=True)
    print("filter/rare: a keystroke to its first screen of matches (common '7', rare 'zzq'); count: to the")
    print("common filter's full count (made in the background); End: to the last key under the cursor.")
    print("UI stall: the longest the event loop went without running (a 2 ms heartbeat) while the store")
    print("opened behind the first screen, and during a sort, a reverse, a toggle and a poll that saw a change;")
    print("1st dialog: the session's first confirmation dialog (Textual styling it once; no store call).")
    print("views: v to the first screen of Active, Inactive, Expired, Expiring soon, Unused 90 days.")
    print("usage sort: o to the first screen of the busiest keys (every key's last day summed), and its UI stall.")
    print("targets: ready at 1M within 1.2x of 10 keys; filter < 100 ms; End at once; peak < 120 MB;"
          " ready within 1.5x of an empty app; UI stall <= 50 ms; each view < 100 ms")


@contextmanager
def new_stores(postgres: bool) -> Iterator[Callable[[int], str]]:
    """A factory of empty stores (their --db), cleaned up afterwards."""
    if not postgres:
        with tempfile.TemporaryDirectory(prefix="kc-console-") as tmp:
            yield lambda size: str(Path(tmp) / f"keys-{size}.db")
        return
    from tests.pg_server import PostgresServer

    server = PostgresServer()
    server.start()
    try:
        yield lambda _size: server.new_database()
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
