"""The verify hot path's raw query reads the current row on every call, on both stores."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from keyconsole import KeyStore
from keyconsole.store.direct.driver import open_lookup
from keyconsole.store.direct.key_lookup import KeyLookup


def _pooled(ks: KeyStore, _url: str) -> KeyLookup:
    return ks.database.key_lookup()


def _direct(_ks: KeyStore, url: str) -> KeyLookup:
    lookup = open_lookup(url)
    assert lookup is not None
    return lookup


OPENERS = [pytest.param(_pooled, id="pooled"), pytest.param(_direct, id="direct")]


@pytest.mark.parametrize("opener", OPENERS)
def test_the_lookup_returns_the_rows_current_state(
    ks: KeyStore, store_url: str, opener: Callable[[KeyStore, str], KeyLookup]
) -> None:
    lookup = opener(ks, store_url)
    expires = datetime(2099, 1, 1, tzinfo=UTC)
    info = ks.keys.create("svc", ["users:read", "billing:read"], expires_at=expires).info
    state = lookup.find(info.public_id)
    assert state is not None
    assert state.active and state.expires_at == expires
    assert state.scopes == ("billing:read", "users:read")
    assert state.secret_hash.startswith("$argon2id$")
    assert state.previous_hash is None

    ks.keys.set_active("svc", False)
    ks.keys.edit("svc", remove_scopes=["billing:read"])
    ks.keys.rotate("svc", grace=timedelta(hours=1))
    state = lookup.find(info.public_id)
    assert state is not None
    assert not state.active and state.scopes == ("users:read",)
    assert state.previous_hash is not None and state.previous_hash_until is not None
    assert state.previous_hash_until.tzinfo is UTC


@pytest.mark.parametrize("opener", OPENERS)
def test_an_unknown_public_id_is_none(ks: KeyStore, store_url: str, opener: Callable[[KeyStore, str], KeyLookup]) -> None:
    assert opener(ks, store_url).find("kc_AAAAAAAAAAAA") is None


@pytest.mark.parametrize("opener", OPENERS)
def test_touch_records_last_used(ks: KeyStore, store_url: str, opener: Callable[[KeyStore, str], KeyLookup]) -> None:
    info = ks.keys.create("svc", ["users:read"]).info
    state = ks.database.key_lookup().find(info.public_id)
    assert state is not None
    moment = datetime(2030, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    assert opener(ks, store_url).touch(state.key_id, moment)
    assert ks.keys.get("svc").last_used_at == moment


def test_touch_gives_way_to_a_long_sqlite_writer(sqlite_url: str) -> None:
    with KeyStore(sqlite_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        issued = ks.keys.create("svc", ["users:read"])
        lookup = ks.database.key_lookup()
        state = lookup.find(issued.info.public_id)
        assert state is not None
        writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        try:
            started = time.monotonic()
            assert not lookup.touch(state.key_id, datetime.now(UTC))
            assert time.monotonic() - started < 5
            # Reading goes on while the writer holds the lock (WAL).
            assert ks.verify(issued.key)
        finally:
            writer.rollback()
            writer.close()


def test_a_demo_key_can_never_verify(ks: KeyStore) -> None:
    from keyconsole import tokens

    ks.seed_demo(5)
    demo_id = ks.keys.list()[0].public_id
    for _ in range(3):
        assert ks.verify(tokens.assemble(demo_id, tokens.new_secret())).reason == "invalid"
