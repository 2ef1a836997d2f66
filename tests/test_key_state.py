"""One rule for a key's state at a moment (service/key_state.py): the store's SQL filters
and views give exactly the keys the rule names, on both stores (issue 25, item 1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keyconsole import KeyStore
from keyconsole.service.key_query import KeyQuery
from keyconsole.service.key_state import Reason, Status, expires_within, in_grace, is_expired, status_at

CREATED = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LATER = CREATED + timedelta(days=10)
# Expiries around LATER: long gone, exactly at it, just after, within two weeks, far off.
EXPIRIES = {
    "never": None,
    "gone": CREATED + timedelta(days=2),
    "at": LATER,
    "just-after": LATER + timedelta(seconds=1),
    "soon": LATER + timedelta(days=13),
    "far": LATER + timedelta(days=400),
}


def test_the_rule_at_its_edges() -> None:
    assert is_expired(LATER, LATER) and not is_expired(LATER + timedelta(microseconds=1), LATER)
    assert not in_grace(LATER, LATER) and in_grace(LATER + timedelta(microseconds=1), LATER)
    assert status_at(False, CREATED, LATER) is Status.INACTIVE, "the admin's choice shows first"
    assert not expires_within(LATER, LATER, timedelta(days=1)), "already expired is not expiring"
    assert {reason.value for reason in Reason} >= {"ok", "inactive", "ambiguous_key"}
    assert Reason.OK == "ok" and hash(Reason.OK) == hash("ok"), "a reason is its word"


def test_the_store_filters_name_exactly_the_keys_the_rule_names(store_url: str) -> None:
    with KeyStore(store_url, actor="t", clock=lambda: CREATED) as early:
        early.scopes.add("users:read")
        for label, expires in EXPIRIES.items():
            for active in (True, False):
                early.keys.create(f"{label}-{'on' if active else 'off'}", ["users:read"], active=active, expires_at=expires)
    with KeyStore(store_url, actor="t", clock=lambda: LATER) as store:
        keys = {key.name: key for key in store.keys.list()}
        assert len(keys) == 2 * len(EXPIRIES)
        for status in Status:
            listed = {key.name for key in store.keys.list(KeyQuery(status=status.value.lower()))}
            ruled = {name for name, key in keys.items() if status_at(key.active, key.expires_at, LATER) is status}
            assert listed == ruled, status
            assert {name for name in listed if keys[name].status is not status} == set()
        window = timedelta(days=14)
        listed = {key.name for key in store.keys.list(KeyQuery(expiring_within=window))}
        assert listed == {name for name, key in keys.items() if expires_within(key.expires_at, LATER, window)}
        assert listed == {"just-after-on", "just-after-off", "soon-on", "soon-off"}
