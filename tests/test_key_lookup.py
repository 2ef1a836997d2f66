"""The verify hot path's raw query reads the current row on every call, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from keyconsole import KeyStore
from keyconsole.store.key_lookup import KeyLookup


def test_the_lookup_returns_the_rows_current_state(ks: KeyStore) -> None:
    lookup = KeyLookup(ks.store)
    expires = datetime(2099, 1, 1, tzinfo=UTC)
    info = ks.keys.create("svc", ["users:read", "billing:read"], expires_at=expires).info
    state = lookup.find(info.public_id)
    assert state is not None
    assert state.active and state.expires_at == expires
    assert state.scopes == {"users:read", "billing:read"}
    assert state.secret_hash.startswith("$argon2id$")
    assert state.previous_hash is None

    ks.keys.set_active("svc", False)
    ks.keys.edit("svc", remove_scopes=["billing:read"])
    ks.keys.rotate("svc", grace=timedelta(hours=1))
    state = lookup.find(info.public_id)
    assert state is not None
    assert not state.active and state.scopes == {"users:read"}
    assert state.previous_hash is not None and state.previous_hash_until is not None
    assert state.previous_hash_until.tzinfo is UTC


def test_an_unknown_public_id_is_none(ks: KeyStore) -> None:
    assert KeyLookup(ks.store).find("kc_AAAAAAAAAAAA") is None


def test_a_demo_key_can_never_verify(ks: KeyStore) -> None:
    from keyconsole import tokens

    ks.seed_demo(5)
    demo_id = ks.keys.list()[0].public_id
    for _ in range(3):
        assert ks.verify(tokens.assemble(demo_id, tokens.new_secret())).reason == "invalid"
