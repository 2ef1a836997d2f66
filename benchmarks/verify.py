"""Verify hot path: keyconsole against djangorestframework-api-key, same machine, same run.

    make bench-verify            (or: .venv/bin/python benchmarks/verify.py [--keys N])

Builds a SQLite store of N demo keys plus one real key for each library (the DRF side in a
venv of its own under benchmarks/.drf-venv, never a project dependency), then prints:
warm verify throughput for both and their ratio, keyconsole's cold verify (first sight of
a key in a process), the throughput with last-used recording on, and the wall time of
`keyconsole verify` as a process.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
DRF_VENV = HERE / ".drf-venv"
DRF_PACKAGES = ["django>=5", "djangorestframework", "djangorestframework-api-key==3.1.*"]


def drf_python() -> Path:
    python = DRF_VENV / "bin" / "python"
    if not python.exists():
        print("setting up djangorestframework-api-key in benchmarks/.drf-venv …", file=sys.stderr)
        venv.create(DRF_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *DRF_PACKAGES], check=True)
    return python


def keyconsole_side(db: Path, keys: int, seconds: float) -> dict[str, float]:
    from keyconsole import KeyStore
    from keyconsole.service import verify as verify_module

    with KeyStore(str(db), actor="benchmark") as setup:
        started = time.perf_counter()
        setup.seed_demo(keys)
        seed_rate = keys / (time.perf_counter() - started)
        setup.scopes.add("bench:read")
        key = setup.keys.create("the real one", ["bench:read"]).key

    colds = []
    for _ in range(5):
        with KeyStore(str(db), actor="benchmark") as fresh:
            started = time.perf_counter()
            assert fresh.verify(key, scope="bench:read")
            colds.append(time.perf_counter() - started)

    def rate(store: KeyStore) -> float:
        calls, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            store.verify(key, scope="bench:read")
            calls += 1
        return calls / (time.perf_counter() - started)

    with KeyStore(str(db), actor="benchmark") as warm:
        warm.verify(key, scope="bench:read")
        warm_rate = rate(warm)
    # Last-used recording is on in the run above (once a minute per key). Here it fires on
    # every call, the cost a naive implementation would pay.
    interval = verify_module.LAST_USED_INTERVAL_S
    verify_module.LAST_USED_INTERVAL_S = 0.0
    try:
        with KeyStore(str(db), actor="benchmark") as writing:
            writing.verify(key, scope="bench:read")
            write_rate = rate(writing)
    finally:
        verify_module.LAST_USED_INTERVAL_S = interval

    starts = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "keyconsole", "verify", "--db", str(db), "--scope", "bench:read"],
                       input=key, text=True, capture_output=True, check=True)
        starts.append(time.perf_counter() - started)
    return {
        "warm": warm_rate,
        "write_every_call": write_rate,
        "cold_ms": statistics.median(colds) * 1000,
        "process_s": statistics.median(starts),
        "seed_rate": seed_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kc-bench-") as tmp:
        python = drf_python()
        drf_out = subprocess.run(
            [str(python), str(HERE / "drf_is_valid.py"), str(Path(tmp) / "drf.db"), str(args.keys), str(args.seconds)],
            check=True, capture_output=True, text=True,
        ).stdout
        drf = json.loads(drf_out.strip().splitlines()[-1])
        ours = keyconsole_side(Path(tmp) / "keys.db", args.keys, args.seconds)
    ratio = ours["warm"] / drf["calls_per_s"]
    print(f"stores: SQLite, {args.keys:,} keys each; {args.seconds:g} s per measurement")
    print(f"djangorestframework-api-key is_valid : {drf['calls_per_s']:>10,.0f} calls/s")
    print(f"keyconsole KeyStore.verify (warm)    : {ours['warm']:>10,.0f} calls/s   ratio {ratio:5.1f}x  (target >= 20x)")
    print(f"keyconsole, last-used on every call  : {ours['write_every_call']:>10,.0f} calls/s   (what once a minute avoids)")
    print(f"keyconsole cold verify (first sight) : {ours['cold_ms']:>10.1f} ms    (argon2id, median of 5)")
    print(f"keyconsole verify as a process       : {ours['process_s']:>10.3f} s     (median of 7; target < 0.3 s)")
    print(f"keyconsole demo seed                 : {ours['seed_rate']:>10,.0f} keys/s (target >= 20,000)")


if __name__ == "__main__":
    main()
