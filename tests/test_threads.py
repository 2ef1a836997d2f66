"""A threaded server (FastAPI's and Starlette's thread pools, gunicorn --threads, waitress)
verifies from many threads of one process at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest

from keyconsole import KeyStore
from keyconsole.errors import StoreUnavailable
from keyconsole.store.direct.connection_pool import DEFAULT_LIMIT, ConnectionPool
from keyconsole.store.direct.connectors import sqlite_connector
from tests.at_once import at_once
from tests.pg_server import PostgresServer

THREADS = 64


@pytest.mark.parametrize("seen_before", [True, False], ids=["key-seen-before", "first-sight"])
def test_64_threads_verify_at_the_same_moment_and_all_answer_within_a_second(
    ks: KeyStore, seen_before: bool
) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    if seen_before:
        assert ks.verify(issued.key)
    answers, seconds = at_once(THREADS, lambda: ks.verify(issued.key, scope="users:read").reason)
    assert answers == ["ok"] * THREADS
    assert max(seconds) < 1.0


def test_long_lived_threads_keep_verifying(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    assert ks.verify(issued.key)

    def many() -> str:
        reasons = {ks.verify(issued.key, scope="users:read").reason for _ in range(100)}
        return " ".join(sorted(reasons))

    answers, _ = at_once(THREADS, many)
    assert answers == ["ok"] * THREADS


@pytest.mark.postgres
def test_threads_that_come_and_go_leave_no_connections_behind(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    database = url.rsplit("/", 1)[1]
    with KeyStore(url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("svc", ["users:read"])
        for _wave in range(5):
            answers, _ = at_once(THREADS, lambda: ks.verify(issued.key).reason)
            assert answers == ["ok"] * THREADS
        with psycopg.connect(pg_server.url().replace("+psycopg", "")) as admin:
            row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
        assert row is not None
        # The hot path's own pool plus the connections SQLAlchemy keeps for admin work.
        assert row[0] <= DEFAULT_LIMIT + 5


@pytest.mark.postgres
def test_a_verify_that_cannot_connect_raises_store_unavailable(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    with KeyStore(url, actor="tester") as owner:
        owner.scopes.add("users:read")
        key = owner.keys.create("svc", ["users:read"]).key
    superuser = url.replace("+psycopg", "")
    with psycopg.connect(superuser, autocommit=True) as admin:
        # Two: one for the verify path, one for the change feed it follows.
        admin.execute("CREATE ROLE capped LOGIN CONNECTION LIMIT 2")
        admin.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO capped")
    capped_url = url.replace("postgres@", "capped@")
    capped = superuser.replace("postgres@", "capped@")
    with KeyStore(capped_url, actor="tester") as ks:
        ks.database.engine.dispose()  # the role's connections are now free ...
        with psycopg.connect(capped), psycopg.connect(capped):  # ... and taken here
            with pytest.raises(StoreUnavailable, match="too many connections"):
                ks.verify(key)
        # PostgreSQL counts a closed connection until its backend has exited; the feed's
        # follower may take one of the two meanwhile.
        with psycopg.connect(superuser, autocommit=True) as admin:
            deadline = time.monotonic() + 10
            while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'capped'").fetchone()[0] >= 2:
                assert time.monotonic() < deadline, "the capped role's backends did not exit"
                time.sleep(0.02)
        assert ks.verify(key)


def test_a_pool_with_no_connection_free_gives_up_with_store_unavailable(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="tester"):
        pass
    pool = ConnectionPool(
        sqlite_connector(Path(sqlite_url.removeprefix("sqlite:///"))),
        display_name="the test store", limit=1, wait_s=0.2,
    )
    held = pool.take()
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="no connection to the store the test store came free within 0.2 s"):
        pool.take()
    assert 0.2 <= time.monotonic() - started < 2
    returned_later = threading.Timer(0.05, pool.give_back, args=(held,))
    returned_later.start()
    assert pool.take() is held  # a waiting thread gets the connection given back
    returned_later.join()
    pool.give_back(held)
    pool.close()
