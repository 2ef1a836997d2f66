"""Faults: processes killed mid-change, a store lost and back, a long writer, a read-only file.
Afterwards nothing is half-written, no shown key is missing, and the audit chain holds."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from keyconsole import KeyStore, tokens
from tests.pg_server import PostgresServer
from tests.test_cross_process import Verifier

pytestmark = pytest.mark.slow
HERE = Path(__file__).parent
KILL_ROUNDS = 12


def integrity_problems(store: KeyStore) -> list[str]:
    """What a damaged store would show: SQLite's own checks, orphans, a broken audit chain."""
    problems: list[str] = []
    with store.database.engine.connect() as conn:
        if store.database.dialect.embedded:
            problems += [row[0] for row in conn.execute(text("PRAGMA integrity_check")) if row[0] != "ok"]
            problems += [repr(tuple(row)) for row in conn.execute(text("PRAGMA foreign_key_check"))]
        orphans = conn.execute(text(
            "SELECT count(*) FROM key_scopes ks LEFT JOIN api_keys k ON k.id = ks.key_id WHERE k.id IS NULL"
        )).scalar_one()
        if orphans:
            problems.append(f"{orphans} scope links without a key")
    report = store.audit.verify_chain()
    if not report.intact:
        problems.append(f"audit chain: {report}")
    return problems


def test_sigkill_in_the_middle_of_changes_leaves_a_whole_store(ks: KeyStore, store_url: str) -> None:
    rng = random.Random(5)
    last_shown: dict[str, str] = {}
    for round_number in range(KILL_ROUNDS):
        process = subprocess.Popen([sys.executable, str(HERE / "churn_process.py"), store_url, str(round_number)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=60)
        # The last line may have been cut by the kill; only whole lines were shown.
        for line in out.split("\n")[:-1]:
            key = line.removeprefix("shown ")
            parsed = tokens.parse(key)
            assert parsed is not None, line
            last_shown[parsed.public_id] = key

    assert len(last_shown) >= KILL_ROUNDS // 2, "the churn processes did too little work to prove anything"
    assert integrity_problems(ks) == []
    stored = {key.public_id for key in ks.keys.list()}
    # Every key ever shown is held by the store, and the last one shown for it still works
    # (a rotation that committed just before the kill left it its grace period).
    assert set(last_shown) <= stored
    for key in last_shown.values():
        assert ks.verify(key).reason == "ok"
    # Every stored key has its creation in the audit, and no creation lacks its key.
    creates = [event.key_public_id for event in ks.audit.query(limit=100_000) if event.action == "key.create"]
    assert sorted(creates) == sorted(stored)


@pytest.mark.postgres
def test_a_verifying_process_fails_closed_while_postgres_is_down_and_recovers(own_server: PostgresServer) -> None:
    url = own_server.new_database()
    with KeyStore(url, actor="t") as store:
        store.scopes.add("users:read")
        key = store.keys.create("svc", ["users:read"]).key
    verifier = subprocess.Popen([sys.executable, str(HERE / "verifier_process.py"), url],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert verifier.stdin is not None and verifier.stdout is not None

    def ask() -> str:
        verifier.stdin.write("users:read\n")  # type: ignore[union-attr]
        verifier.stdin.flush()  # type: ignore[union-attr]
        return verifier.stdout.readline().strip()  # type: ignore[union-attr]

    try:
        verifier.stdin.write(key + "\n")
        verifier.stdin.flush()
        assert verifier.stdout.readline().strip() == "ready"
        assert ask() == "ok"
        own_server.stop()
        assert [ask() for _ in range(3)] == ["unavailable"] * 3
        own_server.start_server()
        deadline = time.monotonic() + 30
        answer = ask()
        while answer != "ok" and time.monotonic() < deadline:
            time.sleep(0.2)
            answer = ask()
        assert answer == "ok"
    finally:
        verifier.kill()
        verifier.communicate(timeout=30)


@pytest.mark.postgres
def test_verification_carries_on_over_a_postgres_restart_without_a_failed_call(own_server: PostgresServer) -> None:
    """A failover or restart breaks every pooled connection; the first call after it
    finds out on one of them and answers from a new one."""
    with KeyStore(own_server.new_database(), actor="t") as store:
        store.scopes.add("users:read")
        key = store.keys.create("svc", ["users:read"]).key
        threads = [threading.Thread(target=store.verify, args=(key,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        own_server.stop()
        own_server.start_server()
        assert [store.verify(key).reason for _ in range(3)] == ["ok"] * 3


def test_admins_wait_for_a_long_sqlite_writer_instead_of_failing(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="t") as store:
        store.scopes.add("users:read")
        issued = store.keys.create("svc", ["users:read"])
        writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
        writer.execute("BEGIN IMMEDIATE")
        release = threading.Timer(1.5, writer.rollback)
        release.start()
        try:
            started = time.monotonic()
            assert store.verify(issued.key)  # reads go on meanwhile
            assert time.monotonic() - started < 1.0
            store.keys.create("while locked", ["users:read"])  # waits for the lock, then writes
            assert time.monotonic() - started >= 1.0
        finally:
            release.join()
            writer.close()
        assert {key.name for key in store.keys.list()} == {"svc", "while locked"}
        assert integrity_problems(store) == []


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A SQLite store file nobody may write: immutable (`chattr +i`) when the tests run as
    root, who ignores file modes, else mode 0444."""
    path = tmp_path / "keys.db"
    with KeyStore(str(path), actor="t") as store:
        store.scopes.add("users:read")
        store.keys.create("svc", ["users:read"])
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without chattr +i: no file is read-only to root")
        yield path
        subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        yield path


def test_a_read_only_store_reads_and_refuses_writes_in_one_line(read_only_store: Path) -> None:
    path = read_only_store
    before = path.read_bytes()

    def kc(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "keyconsole", *args, "--db", str(path)],
                              capture_output=True, text=True, timeout=60)

    listed = kc("keys", "list")
    assert listed.returncode == 0, listed.stderr
    assert "svc" in listed.stdout
    refused = kc("keys", "create", "--name", "new", "--scope", "users:read")
    assert refused.returncode == 1
    assert "read-only" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert "Traceback" not in refused.stderr and "kc_" not in refused.stdout
    verified = subprocess.run([sys.executable, "-m", "keyconsole", "verify", "--db", str(path)],
                              input="kc_AAAAAAAAAAAA_" + "A" * 38, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 1 and "Traceback" not in verified.stderr
    assert path.read_bytes() == before


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[tuple[Path, Callable[[bool], None]]]:
    """A folder this user may not write (root: `chattr +i`, which binds root too), and a
    switch to open it for a moment, as an operator refreshing a copy would."""
    folder = tmp_path / "copies"
    folder.mkdir()

    def locked(lock: bool) -> None:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "+i" if lock else "-i", str(folder)], check=True)
        else:
            folder.chmod(0o555 if lock else 0o755)

    if os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root on a file system without chattr +i: no folder is read-only to root")
    locked(False)
    yield folder, locked
    locked(False)


def test_a_read_only_copy_in_a_folder_nobody_may_write_lists_and_verifies(
    read_only_folder: tuple[Path, Callable[[bool], None]], tmp_path: Path
) -> None:
    """Issue 23.8: no -wal or -shm beside it, and none can be made: read as immutable."""
    folder, locked = read_only_folder
    live = f"sqlite:///{tmp_path / 'live.db'}"
    with KeyStore(live, actor="t") as store:
        store.scopes.add("users:read")
        key = store.keys.create("svc", ["users:read"]).key
        copy = folder / "keys.db"
        store.backups.backup(copy)
        store.keys.set_active("svc", False)
        store.backups.backup(tmp_path / "next.db")
    locked(True)
    listed = subprocess.run([sys.executable, "-m", "keyconsole", "keys", "list", "--db", str(copy)],
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "svc" in listed.stdout, listed.stderr
    verified = subprocess.run([sys.executable, "-m", "keyconsole", "verify", "--db", str(copy)],
                              input=key, capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
    refused = subprocess.run([sys.executable, "-m", "keyconsole", "keys", "create", "--name", "n", "--scope",
                              "users:read", "--db", str(copy)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "read-only" in refused.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["keys.db"]
    # A running verifier on the copy sees the next copy moved over it within a second.
    verifier = Verifier(f"sqlite:///{copy}", key, direct=True)
    try:
        assert verifier.ask() == "ok"
        locked(False)
        os.replace(tmp_path / "next.db", copy)
        locked(True)
        time.sleep(1.2)
        assert verifier.ask() == "inactive"
    finally:
        verifier.close()
