"""The SQLite commit watch (store/direct/commit_watch.py): every commit, from any connection or
process, changes its marker; a warm verify asks the store nothing; where the watch cannot be
trusted it is not used, and verification stays as fresh."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyconsole import KeyStore
from keyconsole.service.verify import Verifier
from keyconsole.store.direct.commit_watch import CommitWatch, watch_commits
from keyconsole.store.direct.connectors import sqlite_connector
from keyconsole.store.direct.dialects import SQLITE
from keyconsole.store.direct.key_lookup import KeyLookup

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the watch is used on Linux only")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[KeyStore, Path]]:
    path = tmp_path / "keys.db"
    ks = KeyStore(f"sqlite:///{path}", actor="tester")
    ks.scopes.add("users:read")
    yield ks, path
    ks.close()


def _connection(path: Path) -> sqlite3.Connection:
    return sqlite_connector(path)()


def _watch(connection: sqlite3.Connection) -> CommitWatch:
    watch = watch_commits(connection)
    assert watch is not None
    return watch


def test_every_commit_changes_the_marker_and_reads_do_not(store: tuple[KeyStore, Path]) -> None:
    _, path = store
    reader, writer = _connection(path), _connection(path)
    watch = _watch(reader)
    writer.execute("CREATE TABLE scratch (n INTEGER)")
    rng = random.Random(7)
    commits = 0
    for step in range(400):
        before = watch.marker()
        action = rng.choice(["commit", "commit", "read", "checkpoint", "restart"])
        if action == "commit":
            writer.execute("INSERT INTO scratch VALUES (?)", (step,))
            commits += 1
            assert watch.marker() != before, f"step {step}: a commit left the marker as it was"
        elif action == "read":
            reader.execute("SELECT count(*) FROM scratch").fetchone()
            writer.execute("SELECT count(*) FROM api_keys").fetchone()
            assert watch.marker() == before, f"step {step}: a read changed the marker"
        else:
            # Checkpoints move the WAL back to its start; the commits after must still show.
            mode = "PASSIVE" if action == "checkpoint" else "TRUNCATE"
            writer.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    assert commits > 100
    writer.close()


def test_a_commit_in_another_process_changes_the_marker(store: tuple[KeyStore, Path]) -> None:
    ks, path = store
    ks.keys.create("svc", ["users:read"])
    reader = _connection(path)
    watch = _watch(reader)
    before = watch.marker()
    subprocess.run(
        [sys.executable, "-m", "keyconsole", "--db", f"sqlite:///{path}", "keys", "deactivate", "svc"],
        check=True, capture_output=True,
    )
    assert watch.marker() != before


def _locks_held_here(path: Path) -> set[str]:
    """The byte ranges this process holds POSIX locks on in ``path``, as /proc/locks lists them."""
    found = os.stat(path)
    file = f"{os.major(found.st_dev):02x}:{os.minor(found.st_dev):02x}:{found.st_ino}"
    with open("/proc/locks") as locks:
        rows = [line.split() for line in locks]
    return {" ".join(row[-2:]) for row in rows if row[-4] == str(os.getpid()) and row[-3] == file}


def test_watching_and_opening_the_store_again_leave_sqlite_its_locks(store: tuple[KeyStore, Path]) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it. Without
    its lock on the -shm another process may rebuild the file under this one's readers (a
    forked child died of SIGBUS that way); without its lock on the store, the last process to
    close may delete the -wal and -shm under them."""
    ks, path = store
    issued = ks.keys.create("svc", ["users:read"])
    for _ in range(3):
        assert ks.verify(issued.key)  # the watch is open now
    shm = path.with_name(path.name + "-shm")
    in_use = {"store": _locks_held_here(path), "-shm": _locks_held_here(shm)}
    assert in_use["store"] and in_use["-shm"]
    again = KeyStore(f"sqlite:///{path}", actor="tester")  # reads the file's header first
    assert again.keys.list()
    assert _locks_held_here(path) >= in_use["store"]
    assert _locks_held_here(shm) >= in_use["-shm"]
    again.close()
    assert ks.verify(issued.key)


def test_no_watch_where_it_cannot_be_trusted(tmp_path: Path) -> None:
    rollback = sqlite3.connect(tmp_path / "rollback.db", isolation_level=None)
    rollback.execute("CREATE TABLE t (n INTEGER)")
    assert rollback.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert watch_commits(rollback) is None
    assert watch_commits(sqlite3.connect(":memory:")) is None


def _traced_lookup(path: Path, statements: list[str]) -> KeyLookup:
    connect = sqlite_connector(path)

    def traced() -> sqlite3.Connection:
        connection = connect()
        connection.set_trace_callback(statements.append)
        return connection

    return KeyLookup(traced, dialect=SQLITE, display_name=str(path), driver_error=sqlite3.Error)


def test_a_warm_verify_asks_the_store_nothing_and_a_change_counts_at_once(store: tuple[KeyStore, Path]) -> None:
    ks, path = store
    issued = ks.keys.create("svc", ["users:read"])
    statements: list[str] = []
    verifier = Verifier(_traced_lookup(path, statements))
    # The first call writes "last used"; that commit makes the second read the row again.
    for _ in range(2):
        assert verifier.verify(issued.key, ["users:read"])
    statements.clear()
    for _ in range(50):
        assert verifier.verify(issued.key, ["users:read"])
    assert statements == []

    ks.keys.set_active("svc", False)
    assert verifier.verify(issued.key).reason == "inactive"
    assert any(statement.startswith("SELECT") for statement in statements)
    ks.keys.set_active("svc", True)
    ks.scopes.add("users:write")
    ks.keys.edit("svc", scopes=["users:write"])
    assert verifier.verify(issued.key, ["users:read"]).reason == "missing_scope"
    verifier.close()


@pytest.mark.parametrize("how", ["as given", "through a symlink", "closed and opened again"])
def test_a_deactivation_counts_at_once_however_the_store_was_opened(store: tuple[KeyStore, Path], how: str) -> None:
    ks, path = store
    issued = ks.keys.create("svc", ["users:read"])
    link = path.parent / "link.db"
    link.symlink_to(path)
    verifier = Verifier(_traced_lookup(link if how == "through a symlink" else path, []))
    for _ in range(3):
        assert verifier.verify(issued.key)
    if how == "closed and opened again":
        verifier.close()
        assert verifier.verify(issued.key)
    ks.keys.set_active("svc", False)
    assert verifier.verify(issued.key).reason == "inactive"
    verifier.close()


def test_a_forked_child_watches_on_its_own_and_sees_a_deactivation_at_once(store: tuple[KeyStore, Path]) -> None:
    ks, path = store
    issued = ks.keys.create("svc", ["users:read"])
    verifier = Verifier(_traced_lookup(path, []))
    for _ in range(2):
        assert verifier.verify(issued.key)
    to_child_read, to_child_write = os.pipe()
    from_child_read, from_child_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            answers = [verifier.verify(issued.key).reason, verifier.verify(issued.key).reason]
            os.write(from_child_write, b"x")
            os.read(to_child_read, 1)  # the parent has deactivated the key
            answers.append(verifier.verify(issued.key).reason)
            os.write(from_child_write, json.dumps(answers).encode())
            code = 0
        finally:
            os._exit(code)
    os.read(from_child_read, 1)
    ks.keys.set_active("svc", False)
    os.write(to_child_write, b"x")
    os.close(from_child_write)
    with os.fdopen(from_child_read) as report:
        answers = json.loads(report.read())
    assert os.waitpid(pid, 0)[1] == 0
    assert answers == ["ok", "ok", "inactive"]
    assert verifier.verify(issued.key).reason == "inactive"
    verifier.close()
