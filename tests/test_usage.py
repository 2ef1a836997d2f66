"""Per-key usage (issue 24): every verify of a known key counted by outcome, exactly, from
any number of threads and processes, added to the store every few seconds, at close and at
exit; a process killed outright loses at most that window."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from sqlalchemy import text

from keyconsole import KeyStore, tokens
from keyconsole.http.store_verifier import StoreVerifier
from tests.serve_process import ServeProcess
from tests.test_cli import kc, ok
from tests.usage_worker import start_workers



def _calls(ks: KeyStore, ref: str, by: str = "hour") -> dict[str, int]:
    (usage,) = ks.usage.of_keys([ref], by=by)  # type: ignore[arg-type]
    return usage.to_json()


def test_every_outcome_of_a_known_key_is_counted_and_nothing_else(ks: KeyStore) -> None:
    issued = ks.keys.create("counted", ["users:read"])
    for _ in range(3):
        assert ks.verify(issued.key, scope="users:read")
    for _ in range(2):
        assert ks.verify(issued.key, scope="users:write").reason == "missing_scope"
    wrong_secret = tokens.assemble(issued.info.public_id, "A" * tokens.SECRET_CHARS)
    assert ks.verify(wrong_secret).reason == "invalid"
    unknown = tokens.assemble(tokens.PREFIX + "Z" * tokens.PUBLIC_ID_CHARS, "0" * tokens.SECRET_CHARS)
    for _ in range(5):
        assert ks.verify(unknown).reason == "unknown"
        assert ks.verify(issued.key[:-1] + "?").reason == "malformed"
    ks.keys.set_active("counted", False)
    assert ks.verify(issued.key).reason == "inactive"
    assert ks._verifier.flush_usage()  # noqa: SLF001 - now rather than in 10 s
    for by in ("hour", "day"):
        counted = _calls(ks, "counted", by)
        assert (counted["accepted"], counted["missing_scope"], counted["wrong_secret"], counted["inactive"]) == (3, 2, 1, 1)
        assert counted["calls"] == 7 and len(counted["periods"]) == 1
    with ks.database.read() as session:
        assert session.execute(text("SELECT count(*) FROM key_usage_hours")).scalar() == 1


def test_counts_are_exact_across_processes_and_threads(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("busy", ["users:read"])
    workers = start_workers(store_url, issued.key, processes=4, threads=8, seconds=2)
    made = 0
    for worker in workers:
        assert worker.stdout is not None
        out = worker.stdout.read()
        assert worker.wait(timeout=60) == 0
        made += int(out.strip().splitlines()[-1].split()[1])
    with KeyStore(store_url, actor="tester") as ks:
        counted = _calls(ks, "busy")
    assert made > 1000
    assert counted["accepted"] == made and counted["calls"] == made


def test_serve_adds_its_counts_on_sigterm(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("served", ["users:read"])
    server = ServeProcess(store_url)
    try:
        server.wait_ready()
        for _ in range(25):
            assert server.client.post("/v1/verify", json={"key": issued.key}).status_code == 200
    finally:
        assert server.stop() == 0
    with KeyStore(store_url, actor="tester") as ks:
        assert _calls(ks, "served")["accepted"] == 25


def test_sigkill_loses_at_most_the_flush_window(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("killed", ["users:read"])
    (worker,) = start_workers(sqlite_url, issued.key, processes=1, threads=2, seconds=30, env={"KEYCONSOLE_USAGE_FLUSH_S": "1"})
    assert worker.stdout is not None
    made_at: list[tuple[float, int]] = []
    started = time.monotonic()
    while time.monotonic() - started < 3.5:
        _, made, at = worker.stdout.readline().split()
        made_at.append((float(at), int(made)))
    worker.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    worker.wait(timeout=10)
    with KeyStore(sqlite_url, actor="tester") as ks:
        stored = _calls(ks, "killed")["accepted"]
    # Everything made more than a window (and a little scheduling) before the kill is stored.
    made_before_window = max(made for at, made in made_at if at <= killed - 1.5)
    assert made_before_window <= stored <= made_at[-1][1] + 100_000


def test_the_flush_prunes_rows_past_their_keeping(ks: KeyStore) -> None:
    issued = ks.keys.create("old", ["users:read"])
    now = datetime.now(timezone.utc).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    with ks.database.write() as session:
        key_id = session.execute(text("SELECT id FROM api_keys WHERE name = 'old'")).scalar()
        for table, period, ago in (("key_usage_hours", "hour", timedelta(days=15)), ("key_usage_days", "day", timedelta(days=401))):
            session.execute(
                text(f"INSERT INTO {table} (key_id, {period}, accepted, inactive, missing_scope, wrong_secret, throttled)"
                     " VALUES (:key_id, :at, 1, 0, 0, 0, 0)"),
                {"key_id": key_id, "at": now - ago},
            )
    assert ks.verify(issued.key)
    assert ks._verifier.flush_usage()  # noqa: SLF001
    with ks.database.read() as session:
        assert session.execute(text("SELECT count(*) FROM key_usage_hours")).scalar() == 1
        assert session.execute(text("SELECT count(*) FROM key_usage_days")).scalar() == 1


@pytest.mark.postgres
def test_the_verifier_role_adds_usage_and_writes_nothing_else(pg_server) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.new_database()
    with KeyStore(url, actor="tester") as owner:
        owner.scopes.add("users:read")
        issued = owner.keys.create("by a verifier", ["users:read"])
        plain = url.replace("+psycopg", "")
        with psycopg.connect(plain, autocommit=True) as connection:
            connection.execute("DROP ROLE IF EXISTS usage_verifier")
            connection.execute("CREATE ROLE usage_verifier LOGIN")
        owner.access.grant("verifier", "usage_verifier")
    verifier = StoreVerifier(url.replace("postgres@", "usage_verifier@")).sync
    for _ in range(4):
        assert verifier.verify(issued.key).ok
    assert verifier.flush_usage()
    verifier.close()
    with KeyStore(url, actor="tester") as owner:
        assert _calls(owner, "by a verifier")["accepted"] == 4
    with psycopg.connect(plain.replace("postgres@", "usage_verifier@")) as connection:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("UPDATE api_keys SET active = true")


def test_keys_usage_in_its_three_formats(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("reported", ["users:read"])
        for _ in range(4):
            assert ks.verify(issued.key)
    text_out = ok(kc(sqlite_url, "keys", "usage")).stdout
    header, row = text_out.splitlines()
    assert header.split()[:3] == ["NAME", "KEY", "ID"] and row.split()[:4] == ["reported", issued.info.public_id, "4", "4"]
    as_json = json.loads(ok(kc(sqlite_url, "keys", "usage", "reported", "--by", "hour", "--json")).stdout)
    assert as_json[0]["accepted"] == 4 and as_json[0]["by"] == "hour" and as_json[0]["periods"][0]["calls"] == 4
    csv_lines = ok(kc(sqlite_url, "keys", "usage", "--format", "csv")).stdout.splitlines()
    assert csv_lines[0] == "id,name,start,calls,accepted,inactive,missing_scope,wrong_secret,throttled"
    assert csv_lines[1].startswith(f"{issued.info.public_id},reported,") and csv_lines[1].endswith(",4,4,0,0,0,0")
    refused = kc(sqlite_url, "keys", "usage", "--since", "soon")
    assert refused.returncode == 2 and "cannot read the duration" in refused.stderr and not refused.stdout


def test_keys_list_sorted_by_usage_puts_the_busiest_first(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = {name: ks.keys.create(name, ["users:read"]).key for name in ("quiet", "busy", "middling", "unused")}
        for name, calls in (("quiet", 1), ("busy", 9), ("middling", 4)):
            for _ in range(calls):
                assert ks.verify(issued[name])
        assert ks._verifier.flush_usage()  # noqa: SLF001
        from keyconsole.service.key_query import KeyQuery

        assert [key.name for key in ks.keys.list(KeyQuery(sort="usage"))] == ["busy", "middling", "quiet", "unused"]
        assert [key.name for key in ks.keys.list(KeyQuery(sort="usage", descending=True))][0] == "unused"
    listed = json.loads(ok(kc(store_url, "keys", "list", "--sort", "usage", "--json")).stdout)
    assert [key["name"] for key in listed] == ["busy", "middling", "quiet", "unused"]


def test_the_store_counts_spikes_by_the_rule_the_table_marks_them_by(store_url: str) -> None:
    """service/usage_window.py's rule, at its edges: in SQL for the header, in Python per row."""
    from keyconsole.service.usage_window import SPIKE_MIN_CALLS, is_spike
    from tests.usage_rows import add_hourly_usage

    now = datetime(2026, 11, 28, 9, 30, tzinfo=timezone.utc)
    usual = {ago: 10 for ago in range(2, 24)}  # 220 in the 22 hours before the last two
    histories = {
        "at the factor": ({**usual, 0: SPIKE_MIN_CALLS}, True),  # 100 * 22 >= 10 * 220
        "just under it": ({**usual, 2: 11, 0: SPIKE_MIN_CALLS}, False),
        "in the hour before": ({**usual, 1: 500, 0: 3}, True),
        "two hours ago": ({**usual, 2: 5000}, False),
        "too few calls": ({0: SPIKE_MIN_CALLS - 1}, False),
        "new and busy": ({0: 2 * SPIKE_MIN_CALLS}, True),
        "a day ago": ({24: 5000, 25: 5000}, False),
        "steady and busy": ({ago: 1000 for ago in range(24)}, False),
    }
    with KeyStore(store_url, actor="tester", clock=lambda: now) as ks:
        ks.scopes.add("users:read")
        for name, (hours, _) in histories.items():
            ks.keys.create(name, ["users:read"])
            add_hourly_usage(ks, name, hours, now)
        keys = ks.keys.list()
        series = ks.keys.last_day_usage([key.public_id for key in keys])
        marked = {key.name for key in keys if key.public_id in series and is_spike(series[key.public_id])}
        assert marked == {name for name, (_, spikes) in histories.items() if spikes}
        assert ks.usage.spiking() == len(marked)
