"""Fixtures: every store test runs on real SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from keyconsole import KeyStore
from tests.pg_server import PostgresServer
from tests.pgbouncer_server import PgBouncer, pgbouncer_binary

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if not PostgresServer.available():
        if os.environ.get("KEYCONSOLE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL (initdb, pg_ctl) is required here but not installed")
        pytest.skip("PostgreSQL is not installed")
    server = PostgresServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def pgbouncer(pg_server: PostgresServer) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling mode in front of the run's PostgreSQL server."""
    if pgbouncer_binary() is None:
        if os.environ.get("KEYCONSOLE_REQUIRE_POSTGRES"):
            pytest.fail("PgBouncer is required here but not installed (make system-packages)")
        pytest.skip("PgBouncer is not installed (make system-packages installs it as root)")
    bouncer = PgBouncer(pg_server)
    bouncer.start()
    yield bouncer
    bouncer.stop()


@pytest.fixture
def own_server(pg_server: PostgresServer) -> Iterator[PostgresServer]:
    """A server of its own, for a test that stops it."""
    server = PostgresServer()
    server.start()
    yield server
    server.destroy()


@pytest.fixture(autouse=True)
def _no_ambient_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may touch the developer's own store or environment."""
    monkeypatch.delenv("KEYCONSOLE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SUDO_USER", raising=False)
    monkeypatch.setenv("USER", "tester")


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'keys.db'}"
    server: PostgresServer = request.getfixturevalue("pg_server")
    return server.new_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'keys.db'}"


@pytest.fixture
def ks(store_url: str) -> Iterator[KeyStore]:
    store = KeyStore(store_url, actor="tester")
    store.scopes.add("users:read", "Read users")
    store.scopes.add("users:write", "Change users")
    store.scopes.add("billing:read")
    yield store
    store.close()


@pytest.fixture
def clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A stand-in for the system clipboard (these machines have none): its history."""
    history: list[str] = []
    monkeypatch.setattr("keyconsole.tui.clipboard.pyperclip.copy", history.append)
    monkeypatch.setattr("keyconsole.tui.clipboard.pyperclip.paste", lambda: history[-1] if history else "")
    return history
