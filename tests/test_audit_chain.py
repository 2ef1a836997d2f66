"""`keyconsole audit verify` finds a changed, removed or cut-off audit event."""

from __future__ import annotations

from sqlalchemy import text

from keyconsole import KeyStore


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
