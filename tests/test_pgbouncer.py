"""A fleet behind PgBouncer in transaction pooling mode: every path works with the store
URL's ``prepare_threshold=none``."""

from __future__ import annotations

import threading

import pytest

from keyconsole import KeyStore
from keyconsole.service.key_query import KeyQuery
from keyconsole.store.direct.driver import open_lookup
from tests.pg_server import PostgresServer
from tests.pgbouncer_server import PgBouncer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

THREADS, CALLS = 8, 250


@pytest.fixture
def bounced_url(pg_server: PostgresServer, pgbouncer: PgBouncer) -> str:
    return pgbouncer.url(pg_server.new_database()) + "?prepare_threshold=none"


def test_verify_and_listings_from_eight_threads_through_pgbouncer(bounced_url: str) -> None:
    with KeyStore(bounced_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        keys = [ks.keys.create(f"svc {n}", ["users:read"]).key for n in range(THREADS)]
        problems: list[str] = []

        def verifier(key: str) -> None:
            for n in range(CALLS):
                try:
                    result = ks.verify(key, scope="users:read")
                    if not result:
                        problems.append(result.reason)
                    if n % 25 == 0:
                        ks.keys.list(KeyQuery(search="svc"))
                except Exception as error:  # noqa: BLE001 - any error is the test's finding
                    problems.append(repr(error))

        threads = [threading.Thread(target=verifier, args=(key,)) for key in keys]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert problems == []


def test_admin_work_through_pgbouncer(bounced_url: str) -> None:
    with KeyStore(bounced_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        ks.scopes.add("users:write")
        for n in range(10):
            ks.keys.create(f"svc {n}", ["users:read"])
        for n in range(10):
            ks.keys.edit(f"svc {n}", add_scopes=["users:write"])
            ks.keys.set_active(f"svc {n}", n % 2 == 0)
            assert len(ks.keys.list()) == 10
        rotated = ks.keys.rotate("svc 0")
        assert ks.verify(rotated.key, scope="users:write")
        # 2 scopes, 10 creations, 10 edits, 5 deactivations (the others stayed active), 1 rotation.
        assert len(ks.audit.query(limit=100)) == 28
        assert ks.audit.verify_chain().intact


def test_a_one_shot_verify_reads_the_option_too(bounced_url: str) -> None:
    with KeyStore(bounced_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("svc", ["users:read"])
    lookup = open_lookup(bounced_url)
    assert lookup is not None
    for _ in range(20):
        state = lookup.find(issued.info.public_id)
        assert state is not None and state.scopes == ("users:read",)
    lookup.close()
