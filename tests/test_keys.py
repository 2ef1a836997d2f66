"""The life of a key through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from keyconsole import KeyStore
from keyconsole.errors import Conflict, InvalidInput, NotFound, StaleEdit
from keyconsole.service.key_query import KeyQuery
from keyconsole.service.key_state import Status


def _audit_count(ks: KeyStore) -> int:
    return len(ks.audit.query(limit=10_000))


def test_a_created_key_verifies_with_its_scopes_and_is_listed(ks: KeyStore) -> None:
    issued = ks.keys.create("billing backend", ["users:read", "billing:read"])
    assert issued.info.status is Status.ACTIVE
    assert issued.info.scopes == ("billing:read", "users:read")
    result = ks.verify(issued.key, scope="users:read")
    assert result and result.key_id == issued.info.public_id
    assert [k.name for k in ks.keys.list()] == ["billing backend"]
    assert ks.keys.get("BILLING BACKEND").public_id == issued.info.public_id
    assert ks.keys.get(issued.info.public_id).name == "billing backend"


def test_verify_requires_every_scope(ks: KeyStore) -> None:
    issued = ks.keys.create("reader", ["users:read"])
    assert ks.verify(issued.key, scopes=["users:read"])
    result = ks.verify(issued.key, scopes=["users:read", "users:write"])
    assert not result and result.reason == "missing_scope"


def test_an_inactive_key_is_refused_and_reactivation_restores_it(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    assert ks.verify(issued.key)
    info = ks.keys.set_active("svc", False)
    assert info.status is Status.INACTIVE
    assert ks.verify(issued.key).reason == "inactive"
    ks.keys.set_active("svc", True)
    assert ks.verify(issued.key)


def test_a_key_created_inactive_does_not_verify(ks: KeyStore) -> None:
    issued = ks.keys.create("later", ["users:read"], active=False)
    assert issued.info.status is Status.INACTIVE
    assert ks.verify(issued.key).reason == "inactive"


def test_an_expired_key_is_refused_and_listed_as_expired(store_url: str) -> None:
    now = [datetime(2027, 1, 1, tzinfo=UTC)]
    ks = KeyStore(store_url, actor="t", clock=lambda: now[0])
    ks.scopes.add("users:read")
    issued = ks.keys.create("short", ["users:read"], expires_at=now[0] + timedelta(days=1))
    assert ks.verify(issued.key)
    now[0] += timedelta(days=2)
    assert ks.verify(issued.key).reason == "expired"
    assert ks.keys.get("short").status is Status.EXPIRED
    assert [k.name for k in ks.keys.list(KeyQuery(status="expired"))] == ["short"]
    assert ks.keys.list(KeyQuery(status="active")) == []
    ks.close()


def test_wrong_secret_malformed_and_unknown_keys_are_refused(ks: KeyStore) -> None:
    from keyconsole import tokens

    issued = ks.keys.create("svc", ["users:read"])
    other_secret = tokens.assemble(issued.info.public_id, tokens.new_secret())
    assert ks.verify(other_secret).reason == "invalid"
    assert ks.verify(issued.key[:-1]).reason == "malformed"
    assert ks.verify(tokens.assemble(tokens.new_public_id(), tokens.new_secret())).reason == "unknown"
    assert ks.verify(None).reason == "malformed"


def test_rotation_keeps_the_old_secret_only_for_the_grace_period(store_url: str) -> None:
    now = [datetime(2027, 1, 1, tzinfo=UTC)]
    ks = KeyStore(store_url, actor="t", clock=lambda: now[0])
    ks.scopes.add("users:read")
    old = ks.keys.create("svc", ["users:read"])
    new = ks.keys.rotate("svc", grace=timedelta(hours=1))
    assert new.info.public_id == old.info.public_id and new.key != old.key
    assert ks.verify(old.key) and ks.verify(new.key)
    now[0] += timedelta(hours=1, seconds=1)
    assert ks.verify(old.key).reason == "invalid"
    assert ks.verify(new.key)
    ks.close()


def test_rotation_without_grace_stops_the_old_secret_at_once(ks: KeyStore) -> None:
    old = ks.keys.create("svc", ["users:read"])
    assert ks.verify(old.key)
    new = ks.keys.rotate("svc")
    assert ks.verify(old.key).reason == "invalid"
    assert ks.verify(new.key)


def test_edit_replaces_adds_and_removes_scopes(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    assert ks.keys.edit("svc", scopes=["billing:read"]).scopes == ("billing:read",)
    assert ks.keys.edit("svc", add_scopes=["users:write"]).scopes == ("billing:read", "users:write")
    assert ks.keys.edit("svc", remove_scopes=["billing:read"]).scopes == ("users:write",)
    with pytest.raises(InvalidInput, match="at least one scope"):
        ks.keys.edit("svc", remove_scopes=["users:write"])
    with pytest.raises(InvalidInput, match="does not hold"):
        ks.keys.edit("svc", remove_scopes=["users:read"])


def test_edit_renames_and_keeps_names_unique_ignoring_case(ks: KeyStore) -> None:
    ks.keys.create("alpha", ["users:read"])
    ks.keys.create("beta", ["users:read"])
    with pytest.raises(Conflict, match="already exists"):
        ks.keys.edit("beta", name="ALPHA")
    assert ks.keys.edit("alpha", name="Alpha").name == "Alpha"
    assert ks.keys.edit("alpha", name="gamma").name == "gamma"


def test_a_stale_edit_is_refused_not_overwritten(ks: KeyStore) -> None:
    info = ks.keys.create("svc", ["users:read"]).info
    ks.keys.edit("svc", name="renamed elsewhere")
    with pytest.raises(StaleEdit):
        ks.keys.edit(info.public_id, name="my rename", expected_version=info.version)
    assert ks.keys.get(info.public_id).name == "renamed elsewhere"


def test_list_searches_names_ids_and_scopes_and_filters_status(ks: KeyStore) -> None:
    a = ks.keys.create("checkout prod", ["users:read"])
    ks.keys.create("search cron", ["billing:read"], active=False)
    assert [k.name for k in ks.keys.list(KeyQuery(search="CHECK"))] == ["checkout prod"]
    assert [k.name for k in ks.keys.list(KeyQuery(search="billing"))] == ["search cron"]
    assert [k.name for k in ks.keys.list(KeyQuery(search=a.info.public_id[3:9]))] == ["checkout prod"]
    assert [k.name for k in ks.keys.list(KeyQuery(status="inactive"))] == ["search cron"]
    assert ks.keys.count(KeyQuery(status="active")) == 1
    assert ks.keys.list(KeyQuery(search="100%")) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "required"),
        ("   ", "required"),
        ("x" * 101, "at most 100"),
        ("bell\x07", "control character"),
        ("esc\x1b[31m", "control character"),
        ("tab\there", "control character"),
        ("rtl\u202eevil", "right-to-left override"),
        ("kc_AAAAAAAAAAAA", "look like a key id"),
    ],
)
def test_bad_names_are_refused_and_nothing_is_written(ks: KeyStore, name: str, message: str) -> None:
    before = _audit_count(ks)
    with pytest.raises(InvalidInput, match=message):
        ks.keys.create(name, ["users:read"])
    assert ks.keys.count() == 0
    assert _audit_count(ks) == before


def test_names_keep_brackets_literally_and_are_trimmed(ks: KeyStore) -> None:
    issued = ks.keys.create("  [bold]x[/bold] [@click=app.quit]  ", ["users:read"])
    assert issued.info.name == "[bold]x[/bold] [@click=app.quit]"


@pytest.mark.parametrize(
    ("scopes", "error", "message"),
    [
        ([], InvalidInput, "at least one scope"),
        (["nope"], InvalidInput, "unknown scope 'nope'"),
        (["users:read", "nope"], InvalidInput, "unknown scope"),
    ],
)
def test_bad_scope_sets_are_refused(ks: KeyStore, scopes: list[str], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ks.keys.create("svc", scopes)
    assert ks.keys.count() == 0


def test_a_past_expiry_and_a_duplicate_name_are_refused(ks: KeyStore) -> None:
    with pytest.raises(InvalidInput, match="past"):
        ks.keys.create("svc", ["users:read"], expires_at=datetime.now(UTC) - timedelta(seconds=1))
    ks.keys.create("svc", ["users:read"])
    with pytest.raises(Conflict, match="already exists"):
        ks.keys.create("SVC", ["users:read"])
    assert ks.keys.count() == 1


def test_unknown_keys_are_not_found(ks: KeyStore) -> None:
    for call in (lambda: ks.keys.get("ghost"), lambda: ks.keys.set_active("ghost", False), lambda: ks.keys.rotate("ghost")):
        with pytest.raises(NotFound, match="ghost"):
            call()


def test_removing_a_scope_held_by_keys_is_refused_unless_forced(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read", "users:write"])
    with pytest.raises(Conflict, match="1 key"):
        ks.scopes.remove("users:write")
    ks.scopes.remove("users:write", force=True)
    assert ks.keys.get("svc").scopes == ("users:read",)
    assert not ks.verify(issued.key, scope="users:write")
    with pytest.raises(Conflict, match="left with none"):
        ks.scopes.remove("users:read", force=True)
    ks.scopes.remove("billing:read")
    assert [s.name for s in ks.scopes.list()] == ["users:read"]


def test_scopes_list_counts_holders_and_refuses_bad_names(ks: KeyStore) -> None:
    ks.keys.create("a", ["users:read"])
    ks.keys.create("b", ["users:read", "billing:read"])
    counts = {s.name: s.key_count for s in ks.scopes.list()}
    assert counts == {"billing:read": 1, "users:read": 2, "users:write": 0}
    for bad in ("Users", "has space", "", "x" * 65):
        with pytest.raises(InvalidInput):
            ks.scopes.add(bad)
    with pytest.raises(Conflict):
        ks.scopes.add("users:read")


def test_every_change_lands_in_the_audit_log_newest_first(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    ks.keys.edit("svc", add_scopes=["users:write"])
    ks.keys.set_active("svc", False)
    ks.keys.rotate("svc")
    actions = [e.action for e in ks.audit.query(key_public_id=issued.info.public_id)]
    assert actions == ["key.rotate", "key.deactivate", "key.edit", "key.create"]
    assert all(e.actor == "tester" for e in ks.audit.query())
    assert ks.audit.verify_chain().intact


def test_an_edit_that_changes_nothing_writes_no_audit_event(ks: KeyStore) -> None:
    ks.keys.create("svc", ["users:read"])
    before = _audit_count(ks)
    ks.keys.edit("svc", name="svc", scopes=["users:read"])
    assert _audit_count(ks) == before


def test_last_used_is_recorded_on_a_successful_verify(ks: KeyStore) -> None:
    issued = ks.keys.create("svc", ["users:read"])
    assert ks.keys.get("svc").last_used_at is None
    assert ks.verify(issued.key)
    assert ks.keys.get("svc").last_used_at is not None


def test_a_flood_of_wrong_secrets_is_bounded_and_the_real_key_keeps_working(ks: KeyStore) -> None:
    from keyconsole import tokens
    from keyconsole.service.hash_cache import FAILURE_BUDGET

    issued = ks.keys.create("svc", ["users:read"])
    assert ks.verify(issued.key)
    reasons = [
        ks.verify(tokens.assemble(issued.info.public_id, tokens.new_secret())).reason
        for _ in range(FAILURE_BUDGET + 5)
    ]
    assert reasons[:FAILURE_BUDGET] == ["invalid"] * FAILURE_BUDGET
    assert set(reasons[FAILURE_BUDGET:]) == {"throttled"}
    assert ks.verify(issued.key), "a secret already judged right is not locked out by the flood"


def test_names_that_only_look_different_are_the_same_name(ks: KeyStore) -> None:
    ks.keys.create("api", ["users:read"])
    for look_alike in ("ＡＰＩ", "ａｐｉ", "API"):
        with pytest.raises(Conflict):
            ks.keys.create(look_alike, ["users:read"])
    ks.keys.create("ﬁle", ["users:read"])  # a ligature
    assert ks.keys.get("file").name == "ﬁle"


def test_list_finds_keys_expiring_soon_and_keys_unused_for_long(store_url: str) -> None:
    start = datetime(2027, 1, 1, tzinfo=UTC)
    now = [start]
    ks = KeyStore(store_url, actor="t", clock=lambda: now[0])
    ks.scopes.add("users:read")
    ks.keys.create("never used", ["users:read"])
    used = ks.keys.create("used lately", ["users:read"], expires_at=start + timedelta(days=200))
    ks.keys.create("ends soon", ["users:read"], expires_at=start + timedelta(days=125))
    ks.keys.create("ended", ["users:read"], expires_at=start + timedelta(days=110))
    now[0] = start + timedelta(days=95)
    ks.keys.create("new", ["users:read"])
    now[0] = start + timedelta(days=100)
    assert ks.verify(used.key)
    now[0] = start + timedelta(days=120)

    def names(**query: timedelta) -> list[str]:
        return [key.name for key in ks.keys.list(KeyQuery(**query))]  # type: ignore[arg-type]

    assert names(unused_for=timedelta(days=90)) == ["ended", "ends soon", "never used"]
    assert names(unused_for=timedelta(days=10)) == ["ended", "ends soon", "never used", "new", "used lately"]
    assert names(expiring_within=timedelta(days=14)) == ["ends soon"]
    assert names(expiring_within=timedelta(days=100)) == ["ends soon", "used lately"]
    # Durations past the calendar's end are held there instead of failing.
    assert names(unused_for=timedelta(days=999_999_999)) == []
    assert names(expiring_within=timedelta(days=999_999_999)) == ["ends soon", "used lately"]
    assert ks.keys.count(KeyQuery(status="active", unused_for=timedelta(days=90))) == 2
    ks.close()
