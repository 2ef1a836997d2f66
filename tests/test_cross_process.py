"""A running service sees a change made by another process: on SQLite on its very next
call, on PostgreSQL on every call that starts 100 ms after the commit (the change feed's
bound, docs/deploying.md)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from keyconsole import KeyStore
from tests.feed_bound import settled

pytestmark = pytest.mark.slow


class Verifier:
    def __init__(self, url: str, key: str, *, direct: bool = False) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("verifier_process.py")), url, *(["direct"] if direct else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(key + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ready"

    def ask(self, scope: str = "") -> str:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(scope + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def running(ks: KeyStore, store_url: str) -> Iterator[tuple[Verifier, str]]:
    issued = ks.keys.create("svc", ["users:read", "users:write"])
    verifier = Verifier(store_url, issued.key)
    yield verifier, issued.key
    verifier.close()


def test_deactivation_fails_the_very_next_call_in_another_process(ks: KeyStore, running: tuple[Verifier, str]) -> None:
    verifier, _ = running
    assert verifier.ask("users:read") == "ok"
    assert verifier.ask("users:read") == "ok"
    ks.keys.set_active("svc", False)
    settled(ks)
    assert verifier.ask("users:read") == "inactive"
    ks.keys.set_active("svc", True)
    settled(ks)
    assert verifier.ask("users:read") == "ok"


def test_a_removed_scope_fails_the_very_next_call(ks: KeyStore, running: tuple[Verifier, str]) -> None:
    verifier, _ = running
    assert verifier.ask("users:write") == "ok"
    ks.keys.edit("svc", remove_scopes=["users:write"])
    settled(ks)
    assert verifier.ask("users:write") == "missing_scope"
    assert verifier.ask("users:read") == "ok"


def test_the_old_secret_fails_as_soon_as_the_grace_period_ends(ks: KeyStore, running: tuple[Verifier, str]) -> None:
    verifier, _ = running
    assert verifier.ask() == "ok"
    ks.keys.rotate("svc", grace=timedelta(seconds=2))
    assert verifier.ask() == "ok"
    time.sleep(2.1)
    assert verifier.ask() == "invalid"


def test_rotation_without_grace_fails_the_old_secret_at_once(ks: KeyStore, running: tuple[Verifier, str]) -> None:
    verifier, _ = running
    assert verifier.ask() == "ok"
    ks.keys.rotate("svc")
    settled(ks)
    assert verifier.ask() == "invalid"
