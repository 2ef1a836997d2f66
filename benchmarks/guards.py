"""The framework guards against the same endpoints unguarded.

    make bench-guards           (or: .venv/bin/python benchmarks/guards.py [--seconds S])

FastAPI: one app, an unguarded endpoint and the same one behind Security(KeyconsoleAuth,
scopes=[...]), served by uvicorn and loaded by wrk (Debian: apt-get install wrk) in turns.
DRF: three views that differ only in their permission class (none, djangorestframework-api-key's
HasAPIKey, keyconsole's HasKeyScopes) through Django's test client, in a venv of its own
(benchmarks/.guards-venv) that holds both libraries. SQLite stores of --keys keys each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GUARDS_VENV = HERE / ".guards-venv"
sys.path.insert(0, str(HERE))

from serve import free_port, stop, wait_until_answering, wrk  # noqa: E402

FASTAPI_APP = '''
from fastapi import FastAPI, Request, Security
from fastapi.security import SecurityScopes
from keyconsole.integrations.fastapi import KeyconsoleAuth, VerifyResult

auth = KeyconsoleAuth()
app = FastAPI()

@app.get("/healthz")
async def healthz():
    return {"ok": True}

@app.get("/open")
async def open_users():
    return {"caller": None}

@app.get("/guarded")
async def guarded_users(key: VerifyResult = Security(auth, scopes=["bench:read"])):
    return {"caller": key.key_id}


async def nothing(request: Request, security_scopes: SecurityScopes):
    return VerifyResult(True, "ok", "kc_000000000000", tuple(security_scopes.scopes))

@app.get("/noop")
async def noop_guarded(key: VerifyResult = Security(nothing, scopes=["bench:read"])):
    return {"caller": key.key_id}
'''


def guards_python() -> Path:
    python = GUARDS_VENV / "bin" / "python"
    if not python.exists():
        print("setting up keyconsole[django] and djangorestframework-api-key in benchmarks/.guards-venv …",
              file=sys.stderr)
        venv.create(GUARDS_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[django]",
                        "djangorestframework-api-key==3.1.*"], check=True)
    return python


def fastapi_side(tmp: Path, keys: int, seconds: float, rounds: int) -> dict[str, list[dict[str, float]]]:
    from keyconsole import KeyStore

    db = f"sqlite:///{tmp / 'fastapi.db'}"
    with KeyStore(db, actor="benchmark") as ks:
        ks.seed_demo(keys)
        ks.scopes.add("bench:read")
        key = ks.keys.create("the real one", ["bench:read"]).key
    (tmp / "bench_app.py").write_text(FASTAPI_APP)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench_app:app", "--port", str(port), "--no-access-log",
         "--log-level", "warning", "--no-server-header"],
        cwd=tmp, env={**__import__("os").environ, "KEYCONSOLE_DB": db},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    results: dict[str, list[dict[str, float]]] = {"unguarded": [], "guarded": [], "noop": []}
    try:
        wait_until_answering(port, server)
        header = f"Authorization: Bearer {key}"
        wrk(f"http://127.0.0.1:{port}/guarded", 2, 64, header=header)  # warm: the key's argon2 verdict
        for _ in range(rounds):
            results["unguarded"].append(wrk(f"http://127.0.0.1:{port}/open", seconds, 64, header=header))
            results["guarded"].append(wrk(f"http://127.0.0.1:{port}/guarded", seconds, 64, header=header))
            results["noop"].append(wrk(f"http://127.0.0.1:{port}/noop", seconds, 64, header=header))
    finally:
        stop(server)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400, help="DRF requests per view and round")
    parser.add_argument("--drf-rounds", type=int, default=31, help="DRF rounds (short ones: the machine drifts)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian), then run this again")
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="kc-guards-") as tmp:
        fastapi = fastapi_side(Path(tmp), args.keys, args.seconds, args.rounds)
        drf = json.loads(subprocess.run(
            [str(guards_python()), str(HERE / "guards_drf.py"), tmp, str(args.keys), str(args.requests),
             str(args.drf_rounds)],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1])

    rps = {name: [run["rps"] for run in runs] for name, runs in fastapi.items()}
    open_rps = statistics.median(rps["unguarded"])
    print(f"FastAPI on uvicorn, wrk -t2 -c64 -d{args.seconds:g}s, {args.keys:,} keys, {args.rounds} rounds;"
          " ratios are each round's, median (range)")
    print(f"  unguarded endpoint          {open_rps:>9,.0f} req/s")
    for name, label, target in (("guarded", "Security(KeyconsoleAuth)", "target >= 0.80x"),
                                ("noop", "Security(a no-op function)", "FastAPI's own cost of a Security dependency")):
        print(f"  {label:<27} {statistics.median(rps[name]):>9,.0f} req/s   "
              f"{_ratios(rps[name], rps['unguarded'])}   {target}")
    print(f"  the guard's own cost: KeyconsoleAuth / the no-op, same rounds: {_ratios(rps['guarded'], rps['noop'])}")
    print(f"DRF views through Django's test client, {args.requests:,} requests per view, {args.drf_rounds} rounds,"
          f" {args.keys:,} keys; ratios are each round's, median (range)")
    for label, seconds in drf.items():
        median = statistics.median(seconds)
        print(f"  {label:<42} {median * 1e6:7.0f} us/request  {1 / median:>7,.0f} req/s")
    ours, theirs = drf["HasKeyScopes (keyconsole)"], drf["HasAPIKey (djangorestframework-api-key)"]
    print(f"  HasKeyScopes: {_ratios(theirs, ours)} HasAPIKey's requests/s (target >= 2x), "
          f"{_ratios(drf['unguarded'], ours)} the unguarded view's (target >= 0.9x)")


def _ratios(numerators: list[float], denominators: list[float]) -> str:
    """One ratio per round, as "median (lowest-highest)": each round's figures were taken
    moments apart, so the machine's drift cancels in its ratio."""
    ratios = sorted(n / d for n, d in zip(numerators, denominators, strict=True))
    return f"{statistics.median(ratios):.2f}x ({ratios[0]:.2f}-{ratios[-1]:.2f})"


if __name__ == "__main__":
    main()
