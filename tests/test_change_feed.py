"""PostgreSQL's change feed (issue 22): rows kept in memory, a deactivation refused by every
verify that starts 100 ms after its commit, in every process, direct and through PgBouncer;
the feed lost (its backend terminated, the server restarted) never lets a revoked key
through beyond the bound."""

from __future__ import annotations

import subprocess
import threading
import time
from typing import Any

import psycopg
import pytest

from keyconsole import KeyStore
from keyconsole.errors import StoreUnavailable
from keyconsole.http.store_verifier import StoreVerifier
from keyconsole.store.direct.change_feed import BOUND_S
from tests.feed_worker import reports, verifying_processes
from tests.pg_server import PostgresServer
from tests.pgbouncer_server import PgBouncer
from tests.serve_process import ServeProcess
from tests.tcp_proxy import FreezableProxy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PROCESSES = 4


def _plain(url: str) -> str:
    return url.replace("+psycopg", "").split("?")[0]


def _issue(url: str) -> tuple[str, str]:
    with KeyStore(url, actor="tester") as admin:
        admin.scopes.add("users:read")
        issued = admin.keys.create("fleet", ["users:read"])
    return issued.key, issued.info.public_id


def _deactivate(url: str, public_id: str) -> float:
    """Deactivate; returns a moment after the commit (time.monotonic())."""
    with KeyStore(url, actor="tester") as admin:
        admin.keys.set_active(public_id, False)
        return time.monotonic()


def _assert_within_bound(seen: list[dict[str, Any]], committed: float) -> None:
    for report in seen:
        (first_refused,), (last_ok,) = report["first_refused"], report["last_ok"]
        assert first_refused is not None, report
        # No verify that started a bound after the commit said "ok".
        assert last_ok is not None and last_ok < committed + BOUND_S, (report, committed)


@pytest.mark.parametrize("through", ["direct", "pgbouncer"])
def test_a_deactivation_is_refused_within_the_bound_by_four_processes(
    request: pytest.FixtureRequest, pg_server: PostgresServer, through: str
) -> None:
    """Directly, LISTEN wakes the followers; through PgBouncer in transaction mode, where
    LISTEN does not work, they read the feed at the bound's rate (feed=poll)."""
    if through == "direct":
        url = pg_server.new_database()
    else:
        bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
        url = bouncer.url(pg_server.new_database()) + "?prepare_threshold=none&feed=poll"
    key, public_id = _issue(url)
    with verifying_processes(url, [key], PROCESSES) as workers:
        time.sleep(0.3)
        committed = _deactivate(url, public_id)
        time.sleep(0.5)
        seen = reports(workers)
    _assert_within_bound(seen, committed)
    # Warm verifies came from memory: far more calls than round trips could make.
    assert all(report["calls"] > 5000 for report in seen), seen


def _feed_backends(url: str) -> list[int]:
    with psycopg.connect(_plain(url), autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND (query LIKE 'LISTEN%%' OR query LIKE '%%FROM key_changes WHERE seq%%') AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def test_the_feed_lost_then_a_deactivation_then_caught_up_by_sequence(pg_server: PostgresServer) -> None:
    """The followers' backends terminated and kept from connecting again while the key is
    deactivated: meanwhile every verify reads the store; once back, each follower reads the
    entries it missed, so the row it had kept is dropped, not given back."""
    url = pg_server.new_database()
    key, public_id = _issue(url)
    server_url, database = _plain(url).rsplit("/", 1)
    with (
        verifying_processes(url, [key], PROCESSES) as workers,
        psycopg.connect(_plain(url), autocommit=True) as owner,
        psycopg.connect(f"{server_url}/postgres", autocommit=True) as server,
    ):
        time.sleep(0.3)
        backends = _feed_backends(url)
        assert len(backends) == PROCESSES
        server.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        for pid in backends:
            owner.execute("SELECT pg_terminate_backend(%s)", (pid,))
        owner.execute("UPDATE api_keys SET active = false, version = version + 1 WHERE public_id = %s", (public_id,))
        committed = time.monotonic()
        time.sleep(0.3)
        server.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        deadline = time.monotonic() + 10
        while len(_feed_backends(url)) < PROCESSES:
            assert time.monotonic() < deadline, "the followers did not connect again"
            time.sleep(0.05)
        time.sleep(0.5)
        seen = reports(workers)
    _assert_within_bound(seen, committed)


def test_the_server_restarted_mid_run_never_answers_from_memory_beyond_the_bound(own_server: PostgresServer) -> None:
    url = own_server.new_database()
    key, public_id = _issue(url)
    verifier = StoreVerifier(url).sync
    assert verifier.verify(key).ok
    time.sleep(0.2)
    assert verifier.verify(key).ok
    own_server.stop("fast")
    stopped = time.monotonic()
    answered_from_memory_after = []
    while time.monotonic() - stopped < 0.5:
        started = time.monotonic()
        try:
            verifier.verify(key)
        except StoreUnavailable:
            continue
        answered_from_memory_after.append(started - stopped)
    assert max(answered_from_memory_after, default=0.0) < BOUND_S
    own_server.start_server()
    committed = _deactivate(url, public_id)
    deadline = time.monotonic() + 10
    while True:
        started = time.monotonic()
        try:
            result = verifier.verify(key)
        except StoreUnavailable:
            assert time.monotonic() < deadline
            continue
        if started >= committed + BOUND_S:
            assert result.reason == "inactive"
            break
    verifier.close()


def test_a_fill_racing_changes_is_never_kept_past_them(pg_server: PostgresServer) -> None:
    """Threads fill the rows while another process switches the key on and off: a bound
    after each change, every thread sees the key as it is."""
    url = pg_server.new_database()
    key, public_id = _issue(url)
    verifier = StoreVerifier(url).sync
    stop = threading.Event()
    wrong: list[str] = []
    expected = {"active": True, "settled": 0.0}

    def verify_in_a_loop() -> None:
        while not stop.is_set():
            active, settled = expected["active"], expected["settled"]
            started = time.monotonic()
            ok = verifier.verify(key).ok
            if started >= settled and expected["settled"] == settled and ok != active:
                wrong.append(f"{'ok' if ok else 'refused'} {started - settled + BOUND_S:.3f}s after the change")

    threads = [threading.Thread(target=verify_in_a_loop) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        with KeyStore(url, actor="tester") as admin:
            for turn in range(30):
                active = turn % 2 == 1
                expected["settled"] = float("inf")
                admin.keys.set_active(public_id, active)
                expected["active"] = active
                expected["settled"] = time.monotonic() + BOUND_S
                time.sleep(BOUND_S + 0.05 + (turn % 3) * 0.01)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        verifier.close()
    assert wrong == []


def test_the_verifier_role_follows_the_feed_but_cannot_write_it(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    key, _ = _issue(url)
    with KeyStore(url, actor="tester") as owner:
        with psycopg.connect(_plain(url), autocommit=True) as connection:
            connection.execute("DROP ROLE IF EXISTS feed_verifier")
            connection.execute("CREATE ROLE feed_verifier LOGIN")
        owner.access.grant("verifier", "feed_verifier")
    verifier_url = url.replace("postgres@", "feed_verifier@")
    verifier = StoreVerifier(verifier_url).sync
    assert verifier.verify(key).ok
    time.sleep(0.2)
    for _ in range(100):
        assert verifier.verify(key).ok
    figures = verifier.feed_figures()
    verifier.close()
    assert figures is not None and figures.remembered_hits >= 99  # memory served them
    plain = _plain(verifier_url)
    for statement in (
        "INSERT INTO key_changes (public_ids) VALUES (NULL)",
        "DELETE FROM key_changes",
        "LOCK TABLE key_changes IN SHARE ROW EXCLUSIVE MODE",
        "SELECT pg_notify('keyconsole_key_changes', '1')",
    ):
        with psycopg.connect(plain) as connection:
            if statement.startswith("SELECT pg_notify"):
                # Anyone may notify; a notification only wakes followers to read the feed.
                connection.execute(statement)
                continue
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                connection.execute(statement)


class _Unreachable(Exception):
    pass


def _unreachable() -> object:
    raise _Unreachable("no server in this test")


def test_the_rules_of_rows_kept_from_the_feed() -> None:
    """The fill race made deterministic: a row whose query began before an entry was applied
    is not kept; an entry drops the rows it names, one for any key drops all; nothing is
    given back once the lease has lapsed."""
    from keyconsole.store.direct.followed_rows import FollowedRows
    from keyconsole.store.direct.remembered_rows import NOT_KNOWN

    rows = FollowedRows(_unreachable, _Unreachable, listen=False)
    try:
        rows.start_from(5)
        rows.apply([], time.monotonic())
        before = rows.marker()
        rows.apply([(6, "kc_other")], time.monotonic())
        rows.keep("kc_raced", before, "old row")
        assert rows.recall("kc_raced") is NOT_KNOWN

        for public_id in ("kc_a", "kc_b", "kc_c"):
            rows.keep(public_id, rows.marker(), f"row {public_id}")
        assert rows.recall("kc_a") == "row kc_a"
        rows.apply([(7, "kc_a kc_b")], time.monotonic())
        assert (rows.recall("kc_a"), rows.recall("kc_b"), rows.recall("kc_c")) == (NOT_KNOWN, NOT_KNOWN, "row kc_c")
        rows.apply([(8, None)], time.monotonic())
        assert rows.recall("kc_c") is NOT_KNOWN

        rows.keep("kc_d", rows.marker(), "row kc_d")
        rows.apply([], time.monotonic() - BOUND_S)  # the last read was sent a bound ago
        assert rows.recall("kc_d") is NOT_KNOWN and rows.marker() is None
        assert rows.figures().lease_lapses == 0
        rows.apply([], time.monotonic())
        assert rows.recall("kc_d") == "row kc_d"
        assert rows.figures().lease_lapses == 1
    finally:
        rows.close()


def test_serve_reports_how_current_its_rows_are(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    key, _ = _issue(url)
    server = ServeProcess(url)
    try:
        server.wait_ready()
        for _ in range(20):
            assert server.client.post("/v1/verify", json={"key": key}).status_code == 200
        figures = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in server.client.get("/metrics").text.splitlines()
            if line.startswith(("keyconsole_feed_", "keyconsole_remembered_"))
        }
    finally:
        server.stop()
    assert figures["keyconsole_remembered_row_hits_total"] >= 15
    assert 0 <= figures["keyconsole_feed_staleness_seconds"] < 1
    assert "keyconsole_feed_lease_lapses_total" in figures


def test_a_network_partition_answers_nothing_from_memory_beyond_the_bound(pg_server: PostgresServer) -> None:
    """Between the verifier and the server nothing passes (no reset either) while the key is
    deactivated: verifies that start a bound later wait on the store rather than answer
    from memory, and once the network heals they say "inactive"."""
    url = pg_server.new_database()
    key, public_id = _issue(url)
    server_port = int(_plain(url).rsplit(":", 1)[1].split("/")[0])
    proxy = FreezableProxy(server_port)
    try:
        verifier = StoreVerifier(url.replace(f":{server_port}/", f":{proxy.port}/")).sync
        assert verifier.verify(key).ok
        time.sleep(0.2)
        answers: list[tuple[float, bool]] = []
        stop = threading.Event()

        def verify_in_a_loop() -> None:
            while not stop.is_set():
                started = time.monotonic()
                answers.append((started, verifier.verify(key).ok))

        thread = threading.Thread(target=verify_in_a_loop)
        thread.start()
        time.sleep(0.1)
        proxy.freeze()
        frozen = time.monotonic()
        committed = _deactivate(url, public_id)
        time.sleep(0.5)
        assert all(started < frozen + BOUND_S for started, _ in answers), "answered from memory during the partition"
        proxy.thaw()
        thawed = time.monotonic()
        time.sleep(0.5)
        stop.set()
        thread.join(timeout=10)
        verifier.close()
        after = [ok for started, ok in answers if started >= committed + BOUND_S]
        assert after and not any(after)
        assert any(started >= thawed for started, _ in answers)
    finally:
        proxy.close()


def test_a_failover_to_a_server_that_lacks_the_last_change_forgets_every_row(
    pg_server: PostgresServer, own_server: PostgresServer
) -> None:
    """A key switched off, a copy of the store taken (the replica), the key switched on again
    on the primary only; verifiers behind one address remember it as active. The address
    then turns to the replica: a bound later they answer what the replica holds."""
    url = pg_server.new_database()
    key, public_id = _issue(url)
    database = _plain(url).rsplit("/", 1)[1]
    with KeyStore(url, actor="tester") as admin:
        admin.keys.set_active(public_id, False)
    replica_url = own_server.url(database)
    with psycopg.connect(_plain(own_server.url()), autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{database}"')
    dump = subprocess.run(["pg_dump", "--no-owner", _plain(url)], capture_output=True, check=True).stdout
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", _plain(replica_url)], input=dump, check=True,
                   capture_output=True)
    with KeyStore(url, actor="tester") as admin:
        admin.keys.set_active(public_id, True)
    # The new primary takes a change of its own: its feed reaches the same number as the old
    # one's, with another change under it.
    with KeyStore(replica_url, actor="tester") as replica:
        replica.keys.create("after the failover", ["users:read"])
    primary_port = int(_plain(url).rsplit(":", 1)[1].split("/")[0])
    proxy = FreezableProxy(primary_port)
    try:
        verifier = StoreVerifier(url.replace(f":{primary_port}/", f":{proxy.port}/")).sync
        assert verifier.verify(key).ok
        time.sleep(0.2)
        assert verifier.verify(key).ok
        proxy.turn_to(own_server.port)
        turned = time.monotonic()
        verdicts = []
        while time.monotonic() < turned + 2:
            started = time.monotonic()
            try:
                verdicts.append((started, verifier.verify(key).reason))
            except StoreUnavailable:
                continue
        assert {reason for started, reason in verdicts if started >= turned + BOUND_S} == {"inactive"}
        verifier.close()
    finally:
        proxy.close()


def test_an_idle_process_lets_the_feed_go_and_wakes_on_the_next_verify(
    pg_server: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An API server that verifies nothing for a while costs the database nothing: its
    follower stops reading and closes its connection; the next verify reads the store
    (never memory past the bound) and wakes it, and a change made meanwhile counts."""
    from keyconsole.store.direct import change_feed

    monkeypatch.setattr(change_feed, "IDLE_AFTER_S", 0.3)
    url = pg_server.new_database()
    key, public_id = _issue(url)
    verifier = StoreVerifier(url).sync
    try:
        assert verifier.verify(key).ok
        time.sleep(0.1)
        assert verifier.verify(key).ok
        deadline = time.monotonic() + 5
        while _feed_backends(url):
            assert time.monotonic() < deadline, "the idle follower kept its connection"
            time.sleep(0.05)
        committed = _deactivate(url, public_id)
        time.sleep(max(0.0, committed + BOUND_S - time.monotonic()))
        assert verifier.verify(key).reason == "inactive"
        deadline = time.monotonic() + 5
        while not _feed_backends(url):
            assert time.monotonic() < deadline, "the follower did not wake"
            time.sleep(0.05)
    finally:
        verifier.close()


def test_a_change_made_in_this_process_counts_on_its_very_next_verify(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    with KeyStore(url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("in-process", ["users:read"])
        for _ in range(50):
            assert ks.verify(issued.key).ok
            time.sleep(0.002)
        ks.keys.set_active(issued.info.public_id, False)
        assert ks.verify(issued.key).reason == "inactive"
