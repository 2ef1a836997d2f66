"""`keyconsole scan` against ripgrep and detect-secrets, its memory on a 2 GB file, and --git
over 10,000 commits.

    make bench-scan           (or: .venv/bin/python benchmarks/scan.py [--megabytes 400] [--runs 3])

1. A tree of real source files (copies of this Python's standard library and of the
   project's virtualenv, at least --megabytes) with keys planted in text and binary files.
   Each tool reads it once to warm the page cache, then --runs timed runs each (median):
   `keyconsole scan --offline` and `rg -uuu` (all ignore rules off, binary files searched)
   for the same token pattern, with rg's default threads and with one.
2. detect-secrets (from PyPI, in benchmarks/.detect-secrets-venv) is far slower: it and
   keyconsole both scan the same --sample-megabytes of the tree, and their MB/s compare.
3. Peak memory (max RSS) of a scan of a 2 GB file against a 1 MB one.
4. A repository of 10,000 commits (made with git fast-import) whose history holds a key
   that a later commit removed: `keyconsole scan --git --offline`, timed.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from keyconsole import tokens  # noqa: E402

KEYCONSOLE = [sys.executable, "-m", "keyconsole", "--db", "sqlite:///unused.db"]
PATTERN = "kc_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}"
DETECT_SECRETS_VENV = HERE / ".detect-secrets-venv"
TARGETS = "targets: keyconsole >= 0.5x ripgrep's throughput, >= 10x detect-secrets'; memory flat; --git in seconds"


def new_key() -> str:
    return tokens.assemble(tokens.new_public_id(), tokens.new_secret())


def size_of(tree: Path) -> int:
    return sum(path.lstat().st_size for path in tree.rglob("*") if path.is_file() and not path.is_symlink())


def make_tree(target: Path, megabytes: int) -> list[str]:
    """Copies of real source trees until the tree holds ``megabytes``; returns the planted keys."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = [stdlib, ROOT / ".venv" / "lib"]
    copies = 0
    while size_of(target) < megabytes * 1_000_000 if target.exists() else True:
        source = sources[copies % len(sources)]
        shutil.copytree(source, target / f"copy{copies}", symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
        copies += 1
    files = sorted(path for path in target.rglob("*") if path.is_file() and not path.is_symlink())
    chooser = random.Random(7)
    planted = []
    for path in chooser.sample(files, 25):
        key = new_key()
        with path.open("ab") as out:
            out.write(f"\nleaked = '{key}'\n".encode())
        planted.append(key)
    return planted


def timed(command: list[str], runs: int, cwd: Path | None = None) -> float:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def found_keys(tree: Path) -> set[str]:
    done = subprocess.run([*KEYCONSOLE, "scan", "--offline", "--json", str(tree)], capture_output=True, text=True)
    return {item["key_id"] for item in json.loads(done.stdout)}


def detect_secrets_python() -> Path:
    python = DETECT_SECRETS_VENV / "bin" / "python"
    if not python.exists():
        print("setting up detect-secrets in benchmarks/.detect-secrets-venv …", file=sys.stderr)
        venv.create(DETECT_SECRETS_VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "detect-secrets==1.5.*"], check=True)
    return python


def sample_of(tree: Path, target: Path, megabytes: float) -> int:
    """The first files of the tree (in name order) up to ``megabytes``, copied; their size."""
    total = 0
    for path in sorted(tree.rglob("*")):
        if total >= megabytes * 1_000_000:
            break
        if path.is_file() and not path.is_symlink():
            copy = target / path.relative_to(tree)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
            total += path.stat().st_size
    return total


def peak_rss_mb(command: list[str]) -> float:
    """Max RSS of ``command`` alone, measured from a fresh parent that runs nothing else."""
    probe = ("import resource, subprocess, sys;"
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, text=True, check=True)
    return int(done.stdout) / 1024


def make_history(repo: Path, commits: int, leaked: str) -> None:
    """``commits`` commits over 100 files; the key is added at the middle one, removed next.
    (fast-import makes each commit on a branch the child of the one before.)"""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    stream = []
    for number in range(commits):
        name = f"src/module{number % 100}.py"
        body = f"VERSION = {number}\n"
        if number == commits // 2:
            body += f"API_KEY = '{leaked}'\n"
        data = body.encode()
        stream.append(f"commit refs/heads/main\ncommitter bench <b@example.com> {1_700_000_000 + number} +0000\n"
                      f"data 6\nchange\nM 100644 inline {name}\ndata {len(data)}\n{body}\n")
        if number == commits // 2 + 1:  # the next commit removes it again
            stream[-1] += f"M 100644 inline src/module{(commits // 2) % 100}.py\ndata 12\nVERSION = 0\n\n"
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input="".join(stream).encode(), check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=400)
    parser.add_argument("--sample-megabytes", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--commits", type=int, default=10_000)
    args = parser.parse_args()
    rg = shutil.which("rg")
    with tempfile.TemporaryDirectory(prefix="keyconsole-scan-bench-") as scratch:
        work = Path(scratch)
        tree = work / "tree"
        planted = make_tree(tree, args.megabytes)
        megabytes = size_of(tree) / 1e6
        files = sum(1 for path in tree.rglob("*") if path.is_file())
        missing = {key[:15] for key in planted} - found_keys(tree)
        print(f"tree: {megabytes:,.0f} MB in {files:,} files, {len(planted)} keys planted"
              f" ({'all found' if not missing else f'{len(missing)} NOT FOUND'})")

        ours = timed([*KEYCONSOLE, "scan", "--offline", str(tree)], args.runs)
        print(f"keyconsole scan --offline:  {ours:6.2f} s  {megabytes / ours:7,.0f} MB/s")
        if rg is None:
            print("ripgrep: not installed (apt-get install ripgrep)")
        else:
            for label, extra in (("rg -uuu (default threads)", []), ("rg -uuu -j1", ["-j1"])):
                theirs = timed([rg, "-uuu", "-c", "--no-messages", *extra, PATTERN, str(tree)], args.runs)
                print(f"{label + ':':<27} {theirs:6.2f} s  {megabytes / theirs:7,.0f} MB/s"
                      f"   keyconsole / rg: {theirs / ours:.2f}x")

        sample = work / "sample"
        sample_bytes = sample_of(tree, sample, args.sample_megabytes) / 1e6
        ours_sample = timed([*KEYCONSOLE, "scan", "--offline", str(sample)], args.runs)
        detect = timed([str(detect_secrets_python()), "-m", "detect_secrets", "scan", "--all-files", "."], 1,
                       cwd=sample)
        print(f"sample of {sample_bytes:.0f} MB: keyconsole {sample_bytes / ours_sample:,.0f} MB/s,"
              f" detect-secrets {sample_bytes / detect:,.2f} MB/s   keyconsole / detect-secrets:"
              f" {detect / ours_sample:,.0f}x")

        small, big = work / "small.bin", work / "big.bin"
        for path, size in ((small, 1 << 20), (big, 2 << 30)):
            with path.open("wb") as out:  # sparse: the holes read as zeros, from no disk
                out.truncate(size - 200)
                out.seek(size - 200)
                out.write(f"\n{new_key()}\n".encode())
        small_mb = peak_rss_mb([*KEYCONSOLE, "scan", "--offline", str(small)])
        start = time.perf_counter()
        big_mb = peak_rss_mb([*KEYCONSOLE, "scan", "--offline", str(big)])
        big_s = time.perf_counter() - start
        print(f"peak memory: 1 MB file {small_mb:.0f} MB, 2 GB file {big_mb:.0f} MB"
              f" ({big_mb / small_mb:.2f}x; the 2 GB file took {big_s:.1f} s)")
        big.unlink()

        repo = work / "history"
        leaked = new_key()
        started = time.perf_counter()
        make_history(repo, args.commits, leaked)
        made = time.perf_counter() - started
        started = time.perf_counter()
        done = subprocess.run([*KEYCONSOLE, "scan", "--git", "--offline", "--json", str(repo)],
                              capture_output=True, text=True)
        took = time.perf_counter() - started
        hits = [item for item in json.loads(done.stdout) if item["key_id"] == leaked[:15]]
        where = f"found in {hits[0]['path']}, commit {hits[0]['commit'][:12]}" if hits else "NOT FOUND"
        print(f"--git over {args.commits:,} commits (made in {made:.1f} s): {took:.2f} s; the removed key {where}")
    print(TARGETS)


if __name__ == "__main__":
    main()
