"""`keyconsole serve` against the HTTP stack's own limit, with a real load generator.

    make bench-serve            (or: .venv/bin/python benchmarks/serve.py [--workers N] [--seconds S])

Needs wrk (`make bench-serve` installs it as root; this script installs nothing). Builds a SQLite store
of 100,000 demo keys plus one real key, then, with the same uvicorn settings and number of
workers on both sides, loads a bare Starlette endpoint that returns a constant JSON body
and `keyconsole serve`'s POST /v1/verify and forward auth, and prints requests per second,
p50/p99 latency and the ratios. Also: how soon `keyconsole serve` answers after it starts.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BARE = "bare Starlette, constant JSON"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(port: int, process: subprocess.Popen[bytes], timeout: float = 30) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise SystemExit(f"the server ended with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if connection.recv(64).startswith(b"HTTP/1.1"):
                    return time.perf_counter() - started
        except OSError:
            time.sleep(0.005)
    raise SystemExit("the server did not answer")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk(url: str, seconds: float, connections: int, script: Path | None = None, header: str | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    if header is not None:
        command += ["-H", header]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"unexpected answers from {url}:\n{out}")
    latency = {p: _ms(re.search(rf"^\s+{p}%\s+(\S+)", out, re.M)[1]) for p in ("50", "99")}  # type: ignore[index]
    return {"rps": float(re.search(r"Requests/sec:\s+(\S+)", out)[1]), "p50": latency["50"], "p99": latency["99"]}  # type: ignore[index]


def _ms(text: str) -> float:
    value, unit = float(re.match(r"[\d.]+", text)[0]), re.sub(r"[\d.]+", "", text)  # type: ignore[index]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def verify_script(folder: Path, key: str) -> Path:
    """A wrk script that POSTs ``key`` to /v1/verify, asking for the scope bench:read."""
    script = folder / f"verify-{time.monotonic_ns()}.lua"
    script.write_text(f'wrk.method = "POST"\nwrk.body = [[{{"key": "{key}", "scopes": ["bench:read"]}}]]\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    return script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian), then run this again")
    sys.path.insert(0, str(HERE.parent))
    from keyconsole import KeyStore

    with tempfile.TemporaryDirectory(prefix="kc-serve-bench-") as tmp:
        db = str(Path(tmp) / "keys.db")
        with KeyStore(db, actor="benchmark") as ks:
            ks.seed_demo(args.keys)
            ks.scopes.add("bench:read")
            key = ks.keys.create("the real one", ["bench:read"]).key
        script = verify_script(Path(tmp), key)

        readies = []
        for _ in range(5):
            port = free_port()
            process = subprocess.Popen([PYTHON, "-m", "keyconsole", "serve", "--db", db, "--listen", f"127.0.0.1:{port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            readies.append(wait_until_answering(port, process))
            stop(process)

        results: dict[str, list[dict[str, float]]] = {}
        bare_port, ours_port = free_port(), free_port()
        bare = subprocess.Popen(
            [PYTHON, "-m", "uvicorn", "bare_starlette:app", "--port", str(bare_port), "--workers", str(args.workers),
             "--no-access-log", "--log-level", "warning", "--no-server-header"],
            cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        ours = subprocess.Popen(
            [PYTHON, "-m", "keyconsole", "serve", "--db", db, "--listen", f"127.0.0.1:{ours_port}",
             "--workers", str(args.workers), "--no-access-log"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            wait_until_answering(bare_port, bare)
            wait_until_answering(ours_port, ours)
            # Warm both (the key's argon2 verdict, connections), then measure in turns.
            wrk(f"http://127.0.0.1:{ours_port}/v1/verify", 2, args.connections, script)
            wrk(f"http://127.0.0.1:{bare_port}/v1/verify", 2, args.connections, script)
            # In turns, several rounds: this machine's speed drifts over a minute, and each
            # ratio compares runs made seconds apart.
            loads = {
                BARE: lambda: wrk(f"http://127.0.0.1:{bare_port}/v1/verify", args.seconds, args.connections, script),
                "POST /v1/verify": lambda: wrk(
                    f"http://127.0.0.1:{ours_port}/v1/verify", args.seconds, args.connections, script),
                "GET /v1/forward-auth": lambda: wrk(
                    f"http://127.0.0.1:{ours_port}/v1/forward-auth?scope=bench:read", args.seconds,
                    args.connections, header=f"X-API-Key: {key}"),
            }
            for _ in range(args.rounds):
                figures = {label: load() for label, load in loads.items()}
                for label, measured in figures.items():
                    results.setdefault(label, []).append({**measured, "ratio": measured["rps"] / figures[BARE]["rps"]})
        finally:
            stop(bare)
            stop(ours)

    print(f"{args.keys:,} keys (SQLite); uvicorn, {args.workers} worker(s) each; wrk -t2 -c{args.connections} "
          f"-d{args.seconds:g}s on the same {len(os.sched_getaffinity(0))} cores; median of {args.rounds} rounds")
    for label, rounds in results.items():
        ratios = sorted(r["ratio"] for r in rounds)
        print(f"{label:<32} {statistics.median(r['rps'] for r in rounds):>9,.0f} req/s  "
              f"{statistics.median(ratios):5.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})  "
              f"p50 {statistics.median(r['p50'] for r in rounds):6.2f} ms  "
              f"p99 {statistics.median(r['p99'] for r in rounds):6.2f} ms")
    print("target: verify and forward auth >= 0.80x the bare endpoint")
    print(f"keyconsole serve answering after start: median {statistics.median(readies):.2f} s, worst {max(readies):.2f} s"
          " (target < 1 s)")


if __name__ == "__main__":
    main()
