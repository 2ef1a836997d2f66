"""A store used before fork() (gunicorn --preload, a module-level store, multiprocessing)
keeps working in the parent and in every child."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from keyconsole import KeyStore
from keyconsole.errors import StoreUnavailable

pytestmark = pytest.mark.slow

CHILDREN = 4
CALLS = 300


def _verify_many(ks: KeyStore, key: str) -> list[str]:
    problems = []
    for n in range(CALLS):
        try:
            result = ks.verify(key, scope="users:read")
            if not result:
                problems.append(result.reason)
            if n % 50 == 0:
                ks.keys.list()  # the admin path, through SQLAlchemy's pool
        except Exception as error:  # noqa: BLE001 - any error is the test's finding
            problems.append(repr(error))
    return problems


def _wait_for(pid: int, deadline: float) -> int:
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -signal.SIGKILL


def test_a_store_used_before_fork_keeps_working_in_parent_and_children(ks: KeyStore) -> None:
    key = ks.keys.create("svc", ["users:read"]).key
    # Both pools now hold an open connection that every child inherits.
    assert ks.verify(key, scope="users:read")
    assert ks.keys.list()

    children = []
    for _ in range(CHILDREN):
        reader, writer = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into pytest
            code = 1
            try:
                os.close(reader)
                os.write(writer, json.dumps(_verify_many(ks, key)).encode())
                code = 0
            finally:
                os._exit(code)
        os.close(writer)
        children.append((pid, reader))

    problems = {"parent": _verify_many(ks, key)}
    deadline = time.monotonic() + 120
    for n, (pid, reader) in enumerate(children):
        with os.fdopen(reader) as report:
            text = report.read()
        assert _wait_for(pid, deadline) == 0, f"child {n} failed: {text}"
        problems[f"child {n}"] = json.loads(text)
    assert problems == {name: [] for name in problems}
    assert ks.verify(key, scope="users:read")


def _fork_and_report(child_work: Callable[[], None]) -> int:
    """Fork; the child runs ``child_work`` and exits. Returns the child's pid."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            child_work()
            code = 0
        finally:
            os._exit(code)
    return pid


def test_a_child_refuses_a_key_deactivated_after_its_parent_closed_the_store(sqlite_url: str) -> None:
    """The parent's close must not leave the child on deleted -wal/-shm files (issue 23.1)."""
    parent = KeyStore(sqlite_url, actor="tester")
    parent.scopes.add("users:read")
    key = parent.keys.create("svc", ["users:read"]).key
    assert parent.verify(key)
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    report_r, report_w = os.pipe()

    def child() -> None:
        first = parent.verify(key).reason
        os.write(ready_w, b"r")
        os.read(go_r, 1)
        # The CLI's deactivation has committed: every call from now on must refuse the key.
        reasons = {parent.verify(key).reason for _ in range(20_000)}
        os.write(report_w, json.dumps([first, sorted(reasons)]).encode())

    pid = _fork_and_report(child)
    os.read(ready_r, 1)
    parent.close()  # the parent's last connection closes while the child reads
    subprocess.run([sys.executable, "-m", "keyconsole", "--db", sqlite_url, "keys", "deactivate", "svc"], check=True)
    os.write(go_w, b"g")
    os.close(report_w)
    with os.fdopen(report_r) as report:
        text = report.read()
    assert _wait_for(pid, time.monotonic() + 60) == 0, text
    assert json.loads(text) == ["ok", ["inactive"]]


def test_a_child_that_cannot_prove_its_own_lock_fails_closed(sqlite_url: str) -> None:
    """A connection in use by another thread at the fork cannot be closed in the child, so
    SQLite's lock state there is the parent's: the child must refuse to answer."""
    parent = KeyStore(sqlite_url, actor="tester")
    parent.scopes.add("users:read")
    key = parent.keys.create("svc", ["users:read"]).key
    assert parent.verify(key)
    lookup = parent._verifier._lookup  # noqa: SLF001 - stands for a thread mid-query
    in_use = lookup._pool.take()  # noqa: SLF001
    report_r, report_w = os.pipe()

    def child() -> None:
        try:
            answer = parent.verify(key).reason
        except StoreUnavailable as error:
            answer = f"unavailable: {error}"
        os.write(report_w, answer.encode())

    pid = _fork_and_report(child)
    os.close(report_w)
    with os.fdopen(report_r) as report:
        text = report.read()
    assert _wait_for(pid, time.monotonic() + 60) == 0, text
    assert text.startswith("unavailable: ") and "forked" in text
    lookup._pool.give_back(in_use)  # noqa: SLF001
    assert parent.verify(key)
    parent.close()


def _accepted(ks: KeyStore, name: str) -> int:
    (usage,) = ks.usage.of_keys([name], by="hour")
    return usage.to_json()["accepted"]


def test_a_forked_child_adds_the_usage_it_counts_and_only_that(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that verifies only keys its parent had counted starts its own flusher, and
    adds none of the parent's counts a second time."""
    monkeypatch.setenv("KEYCONSOLE_USAGE_FLUSH_S", "0.2")
    ks = KeyStore(store_url, actor="tester")
    ks.scopes.add("users:read")
    key = ks.keys.create("svc", ["users:read"]).key
    for _ in range(5):
        assert ks.verify(key)

    def child() -> None:
        for _ in range(7):
            assert ks.verify(key)
        # Its own thread adds its 7 (the parent's thread its 5); os._exit runs no atexit.
        deadline = time.monotonic() + 30
        while _accepted(ks, "svc") != 12:
            assert time.monotonic() < deadline, f"the store counts {_accepted(ks, 'svc')} accepted, not 12"
            time.sleep(0.05)

    pid = _fork_and_report(child)
    assert _wait_for(pid, time.monotonic() + 60) == 0
    ks.close()
    with KeyStore(store_url, actor="tester") as again:
        assert _accepted(again, "svc") == 12
