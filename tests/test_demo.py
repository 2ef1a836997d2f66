"""`demo seed`: realistic keys through the driver-level bulk insert, on both stores."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from keyconsole import KeyStore, tokens
from keyconsole.errors import Conflict, InvalidInput
from keyconsole.models import ApiKey, KeyUsageDay, KeyUsageHour
from keyconsole.service.demo import BATCH, DEMO_SCOPES, MAX_USAGE_HOURS
from keyconsole.service.key_query import KeyQuery
from keyconsole.store.orm import name_index


def test_seeded_keys_look_real_and_read_back_like_any_key(store_url: str) -> None:
    count = BATCH + 700  # more than one batch
    with KeyStore(store_url, actor="tester") as store:
        done: list[int] = []
        assert store.seed_demo(count, progress=done.append) == count
        assert done[-1] == count and len(done) == 2

        keys = store.keys.list()
        assert len(keys) == count
        assert len({key.name.casefold() for key in keys}) == count
        assert all(tokens.is_public_id(key.public_id) for key in keys)
        assert all(1 <= len(key.scopes) <= 3 and set(key.scopes) <= set(DEMO_SCOPES) for key in keys)
        statuses = Counter(key.status.value for key in keys)
        assert statuses.keys() == {"ACTIVE", "INACTIVE", "EXPIRED"}
        for key in keys:
            assert key.created_at.tzinfo is not None and key.created_at == key.updated_at
            assert key.expires_at is None or key.expires_at > key.created_at
            assert key.last_used_at is None or key.last_used_at >= key.created_at

        # The stored dates filter and sort in the store like those written by the ORM.
        expired = store.keys.list(KeyQuery(status="expired"))
        assert len(expired) == statuses["EXPIRED"]
        newest = store.keys.list(KeyQuery(sort="created", descending=True), limit=50)
        assert [key.created_at for key in newest] == sorted((key.created_at for key in keys), reverse=True)[:50]

        # The listing indexes, dropped for the load, are back.
        with store.database.engine.connect() as conn:
            indexes = {index["name"] for index in inspect(conn).get_indexes("api_keys")}
        assert {index.name for index in ApiKey.__table__.indexes} <= indexes
        with store.database.engine.connect() as conn:
            assert name_index.exists(conn), "the name index, suspended for the load, is back"
            links = {tuple(fk["constrained_columns"]) for fk in inspect(conn).get_foreign_keys("key_scopes")}
            assert links == {("key_id",), ("scope_id",)}, "the links' foreign keys, deferred for the load, are back"

        # A second seed keeps names unique; the audit has one event per seed.
        store.seed_demo(10)
        assert store.keys.count() == count + 10
        assert [event.action for event in store.audit.query()].count("demo.seed") == 2


def test_seed_refuses_a_store_with_real_keys_and_writes_nothing(ks: KeyStore) -> None:
    ks.keys.create("real", ["users:read"])
    with pytest.raises(Conflict):
        ks.seed_demo(50)
    assert ks.keys.count() == 1


def test_seeded_usage_fills_each_hour_and_spikes_one_key_in_200(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as store:
        store.seed_demo(400, usage_hours=48)
        keys = store.keys.list()
        day = store.usage.of_keys([key.public_id for key in keys], since=timedelta(hours=47), by="hour")
        assert all(len(usage.periods) == 48 for usage in day), "every key, every hour"
        works = {key.public_id: key.status.value == "ACTIVE" for key in keys}
        for usage in day:
            accepted, inactive = usage.totals[0], usage.totals[1]
            assert (accepted > 0 and inactive == 0) if works[usage.public_id] else (accepted == 0 and inactive > 0)
        recent = {key.public_id: key.last_used_at for key in keys if works[key.public_id]}
        assert all(used is not None and used > datetime.now(UTC) - timedelta(minutes=11) for used in recent.values())
        assert store.usage.spiking() == 2
        # The days hold what their hours hold, as the flush writes them: the console's 30-day plot.
        days = store.usage.of_keys([key.public_id for key in keys], since=timedelta(days=3), by="day")
        assert [usage.totals for usage in days] == [usage.totals for usage in day]
        assert all(len(usage.periods) in (2, 3) for usage in days)
        with store.database.engine.connect() as conn:
            for table in (KeyUsageHour.__table__, KeyUsageDay.__table__):
                indexes = {index["name"] for index in inspect(conn).get_indexes(table.name)}
                assert {index.name for index in table.indexes} <= indexes


def test_seeded_usage_hours_are_bounded(ks: KeyStore) -> None:
    with pytest.raises(InvalidInput, match="--usage-hours"):
        ks.seed_demo(10, usage_hours=MAX_USAGE_HOURS + 1)
    assert ks.keys.count() == 0
