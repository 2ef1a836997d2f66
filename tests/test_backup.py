"""`keyconsole backup` / `restore`, and a verifier whose store file is replaced under it
(issue 23.2): a restore must count in every running verifier, and a file moved over the
store must never leave one answering from the old file."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keyconsole import KeyStore
from tests.test_cross_process import Verifier

pytestmark = pytest.mark.slow


def _cli(url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "keyconsole", "--db", url, *args],
        capture_output=True, text=True, input=stdin, timeout=60,
    )


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Path, str]:
    path = tmp_path / "keys.db"
    url = f"sqlite:///{path}"
    with KeyStore(url, actor="tester") as ks:
        ks.scopes.add("users:read")
        key = ks.keys.create("svc", ["users:read"]).key
    return url, path, key


def _answers_until(verifier: Verifier, wanted: set[str], within_s: float) -> list[str]:
    answers = []
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        answers.append(verifier.ask())
        if answers[-1] in wanted:
            break
    return answers


def test_backup_is_a_private_consistent_copy_and_refuses_to_overwrite(store: tuple[str, Path, str], tmp_path: Path) -> None:
    url, _, key = store
    target = tmp_path / "copy.db"
    assert _cli(url, "backup", str(target)).returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not Path(f"{target}-wal").exists()
    with KeyStore(f"sqlite:///{target}") as copy:
        assert copy.verify(key)
    again = _cli(url, "backup", str(target))
    assert again.returncode == 1 and "exists already" in again.stderr


def test_a_restore_counts_at_the_next_call_of_every_running_verifier(store: tuple[str, Path, str], tmp_path: Path) -> None:
    url, _, key = store
    backup = tmp_path / "before.db"
    with KeyStore(url, actor="tester") as ks:
        ks.keys.set_active("svc", False)
        ks.backups.backup(backup)
        ks.keys.set_active("svc", True)
    verifiers = [Verifier(url, key), Verifier(url, key, direct=True)]
    try:
        assert [v.ask() for v in verifiers] == ["ok", "ok"]
        assert [v.ask() for v in verifiers] == ["ok", "ok"]  # warm: answered from memory
        done = _cli(url, "restore", str(backup), "--yes")
        assert done.returncode == 0, done.stderr
        assert [v.ask() for v in verifiers] == ["inactive", "inactive"]
    finally:
        for verifier in verifiers:
            verifier.close()
    audit = _cli(url, "audit", "--limit", "1", "--json")
    assert '"store.restore"' in audit.stdout


def test_restore_says_which_keys_it_turns_back_on(store: tuple[str, Path, str], tmp_path: Path) -> None:
    url, _, _ = store
    backup = tmp_path / "before.db"
    assert _cli(url, "backup", str(backup)).returncode == 0
    assert _cli(url, "keys", "deactivate", "svc").returncode == 0
    refused = _cli(url, "restore", str(backup), stdin="")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    done = _cli(url, "restore", str(backup), "--yes")
    assert done.returncode == 0
    assert "active again" in done.stderr and "kc_" in done.stderr
    assert _cli(url, "audit", "verify").returncode == 0


def test_restore_refuses_what_is_not_a_keyconsole_backup(store: tuple[str, Path, str], tmp_path: Path) -> None:
    url, _, key = store
    junk = tmp_path / "junk.db"
    junk.write_text("not a database")
    other = tmp_path / "other.db"
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(other)!r}).execute('create table t(x)')"], check=True)
    for bad in (junk, other, tmp_path / "missing.db"):
        refused = _cli(url, "restore", str(bad), "--yes")
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    with KeyStore(url) as ks:
        assert ks.verify(key)


@pytest.mark.parametrize("direct", [False, True], ids=["keystore", "driver"])
def test_a_store_file_moved_over_the_store_is_noticed_within_a_second(
    store: tuple[str, Path, str], tmp_path: Path, direct: bool
) -> None:
    url, path, key = store
    replacement = tmp_path / "replacement.db"
    with KeyStore(url, actor="tester") as ks:
        ks.backups.backup(replacement)
    with KeyStore(f"sqlite:///{replacement}", actor="tester") as copy:
        copy.keys.set_active("svc", False)
    subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(replacement)!r}).execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()"], check=True)
    verifier = Verifier(url, key, direct=direct)
    try:
        assert verifier.ask() == "ok"
        os.replace(replacement, path)
        moved = time.monotonic()
        answers = _answers_until(verifier, {"inactive", "unavailable"}, within_s=3)
        noticed_after = time.monotonic() - moved
        assert answers[-1] in {"inactive", "unavailable"}, answers[-5:]
        assert noticed_after < 1.5
        # SQLite never removes the old store's -wal and -shm once its file has moved, and
        # read with the new file they would corrupt what it reads: closed while they stay.
        assert {verifier.ask() for _ in range(200)} == {"unavailable"}
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink()
        time.sleep(1.1)
        # Then the new file, by itself.
        assert {verifier.ask() for _ in range(200)} == {"inactive"}
    finally:
        verifier.close()
