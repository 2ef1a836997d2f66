"""A store used before fork() (gunicorn --preload, a module-level store, multiprocessing)
keeps working in the parent and in every child."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest

from keyconsole import KeyStore

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
