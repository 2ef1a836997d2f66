"""`keyconsole audit verify` finds a changed, removed or cut-off audit event."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from keyconsole import KeyStore
from tests.pg_server import PostgresServer


def _events(ks: KeyStore) -> list[int]:
    return sorted(e.id for e in ks.audit.query(limit=1000))


def test_an_untouched_chain_is_intact(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    report = ks.audit.verify_chain()
    assert report.intact and report.events_checked == len(_events(ks))


def test_a_changed_event_is_named(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    ks.keys.set_active("svc", False)
    target = _events(ks)[-2]
    with ks.database.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone else' WHERE id = :id"), {"id": target})
    report = ks.audit.verify_chain()
    assert not report.intact and report.first_bad_event == target
    assert "changed" in (report.problem or "")


def test_a_removed_event_is_found_at_its_successor(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    ks.keys.set_active("svc", False)
    ks.keys.set_active("svc", True)
    removed, successor = _events(ks)[-3], _events(ks)[-2]
    with ks.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": removed})
    report = ks.audit.verify_chain()
    assert not report.intact and report.first_bad_event == successor


def test_cutting_off_the_newest_events_is_found(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    newest = _events(ks)[-1]
    with ks.database.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": newest})
    report = ks.audit.verify_chain()
    assert not report.intact and "newest events were removed" in (report.problem or "")


def _admin_whose_clock_says_2020(store_url: str) -> KeyStore:
    return KeyStore(store_url, actor="late admin", clock=lambda: datetime(2020, 1, 1, tzinfo=timezone.utc))


def test_an_event_dated_before_events_chained_earlier_is_reported_on_sqlite(sqlite_url: str) -> None:
    """Issue 23.9: SQLite has only the writer's clock; `audit verify` must say so."""
    ks = KeyStore(sqlite_url, actor="t")
    ks.scopes.add("users:read")
    ks.keys.create("svc", ["users:read"])
    with _admin_whose_clock_says_2020(sqlite_url) as late:
        late.scopes.add("late:scope")
    report = ks.audit.verify_chain()
    assert not report.intact and report.first_bad_event == _events(ks)[-1]
    assert "dated before" in (report.problem or "") and "2020-01-01" in (report.problem or "")
    done = subprocess.run([sys.executable, "-m", "keyconsole", "--db", sqlite_url, "audit", "verify"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "dated before" in done.stderr
    ks.close()


@pytest.mark.postgres
def test_on_postgresql_the_database_dates_every_event(pg_server: PostgresServer) -> None:
    url = pg_server.new_database()
    with KeyStore(url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("svc", ["users:read"])
        with _admin_whose_clock_says_2020(url) as late:
            late.keys.set_active("svc", False)
        newest = ks.audit.query(limit=1)[0]
        assert newest.action == "key.deactivate" and newest.at.year >= 2026
        assert ks.audit.verify_chain().intact
        # A client that writes its own date is refused by the database itself.
        with pytest.raises(DBAPIError, match="database's own"), ks.database.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO audit_events (at, actor, action, details, prev_hash, hash)"
                " VALUES ('2020-01-01', 'forger', 'key.create', '{}', 'x', 'y')"
            ))
