"""Pages read without SQLAlchemy (the console's first screen) are the pages the store itself lists."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from keyconsole import KeyStore
from keyconsole.console_model.direct_pages import DirectKeyPages
from keyconsole.service.clock import Clock, utc_now
from keyconsole.service.key_query import SORTS, KeyQuery
from keyconsole.store.migrations import VERSION_TABLE

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _varied_keys(store_url: str) -> tuple[KeyStore, list[datetime]]:
    now = [START]
    ks = KeyStore(store_url, actor="tester", clock=lambda: now[0])
    for scope in ("users:read", "users.write", "users-admin", "billing:read", "a_b"):
        ks.scopes.add(scope)
    zeta = ks.keys.create("Zeta service", ["users:read", "users.write", "users-admin", "a_b"]).key
    ks.keys.create("alpha", ["billing:read"], expires_at=START + timedelta(days=1))
    inactive = ks.keys.create("Ärger", ["users:read"], active=False).key
    sync = ks.keys.create("ﬁle sync", ["users:read", "billing:read"]).key  # folds to "file sync"
    markup = ks.keys.create("[bold]markup[/bold]", ["a_b"]).key
    ks.keys.create("rotated in grace", ["users:read"])
    ks.keys.create("rotated outright", ["users:read"])
    now[0] = START + timedelta(days=2)  # "alpha" has expired since
    ks.keys.rotate("rotated in grace", grace=timedelta(hours=1))
    ks.keys.rotate("rotated outright")
    # Usage to sort by, refusals and a tie included.
    for key, calls in ((zeta, 3), (sync, 3), (markup, 1), (inactive, 2)):
        for _ in range(calls):
            ks.verify(key)
    assert ks._verifier.flush_usage()  # noqa: SLF001 - now rather than in 10 s
    return ks, now


def _pages(db: str, clock: Clock = utc_now) -> DirectKeyPages:
    pages = DirectKeyPages.open(db, clock)
    assert pages is not None
    return pages


def test_the_first_page_is_what_the_store_lists(store_url: str) -> None:
    ks, now = _varied_keys(store_url)
    pages = _pages(store_url, lambda: now[0])
    try:
        listed = ks.keys.list(KeyQuery(), limit=200)
        first = pages.list(KeyQuery(), limit=200)
        assert first == listed
        assert pages.display_name == ks.display_name
        assert pages.any_scope()
        statuses = {info.name: info.status.value for info in first}
        assert statuses["alpha"] == "EXPIRED" and statuses["Ärger"] == "INACTIVE"
        grace = {info.name: info.rotation_grace_until for info in first}
        assert grace["rotated in grace"] is not None and grace["rotated outright"] is None
        ids = [info.public_id for info in first]
        usage = pages.last_day_usage(ids)
        assert usage == ks.keys.last_day_usage(ids)
        calls = {info.name: sum(usage[info.public_id]) for info in first if info.public_id in usage}
        assert calls == {"Zeta service": 3, "ﬁle sync": 3, "[bold]markup[/bold]": 1, "Ärger": 2}
        assert all(series[:-1] == (0,) * 23 for series in usage.values()), "all in the current hour"
    finally:
        pages.close()
        ks.close()


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_and_page_is_what_the_store_lists(store_url: str, sort: str) -> None:
    """One definition of the order (KeyQuery.order) serves both readers, ties included."""
    ks, now = _varied_keys(store_url)
    pages = _pages(store_url, lambda: now[0])
    try:
        for descending in (False, True):
            query = KeyQuery(sort=sort, descending=descending)
            assert pages.count(query) == ks.keys.count(query) == 7
            for offset in (0, 2, 5):
                assert pages.list(query, limit=3, offset=offset) == ks.keys.list(query, limit=3, offset=offset)
    finally:
        pages.close()
        ks.close()


def test_a_filtered_query_is_not_answered_directly(sqlite_url: str) -> None:
    KeyStore(sqlite_url).close()
    pages = _pages(sqlite_url)
    try:
        with pytest.raises(ValueError, match="filters"):
            pages.list(KeyQuery(search="svc"), limit=10)
    finally:
        pages.close()


def test_the_first_page_is_cut_at_the_limit_in_name_order(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        for n in range(30):
            ks.keys.create(f"key {n:02}", ["users:read"])
        pages = _pages(store_url)
        assert [info.name for info in pages.list(KeyQuery(), limit=7)] == [f"key {n:02}" for n in range(7)]
        pages.close()


def test_an_empty_store_says_whether_it_has_scopes(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        empty = _pages(store_url)
        assert empty.list(KeyQuery(), limit=200) == [] and not empty.any_scope() and not ks.keys.any_scope()
        empty.close()
        ks.scopes.add("users:read")
        scoped = _pages(store_url)
        assert scoped.any_scope() and ks.keys.any_scope()
        scoped.close()


def test_a_store_not_plainly_ready_gets_no_direct_pages(tmp_path: Path) -> None:
    assert DirectKeyPages.open(str(tmp_path / "missing.db")) is None
    (tmp_path / "foreign.db").write_text("not a database")
    assert DirectKeyPages.open(str(tmp_path / "foreign.db")) is None
    older = tmp_path / "older.db"
    KeyStore(str(older)).close()
    with sqlite3.connect(older) as connection:
        connection.execute(f"UPDATE {VERSION_TABLE} SET version_num = '0003'")
    assert DirectKeyPages.open(str(older)) is None, "a store to migrate opens the normal way"


def test_direct_pages_import_no_sqlalchemy(sqlite_url: str) -> None:
    with KeyStore(sqlite_url) as ks:
        ks.scopes.add("users:read")
        ks.keys.create("svc", ["users:read"])
    probe = (
        "import sys\n"
        "from keyconsole.console_model.direct_pages import DirectKeyPages\n"
        "from keyconsole.service.key_query import KeyQuery\n"
        f"pages = DirectKeyPages.open({sqlite_url!r})\n"
        "print(pages.list(KeyQuery(), limit=200)[0].name, 'sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["svc", "False"]
