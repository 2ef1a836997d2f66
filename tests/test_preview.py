"""The console's first page, read without SQLAlchemy, is the page the store itself lists."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from keyconsole import KeyStore
from keyconsole.service.key_query import KeyQuery
from keyconsole.service.preview import preview_keys
from keyconsole.store.migrations import VERSION_TABLE

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _varied_keys(store_url: str) -> tuple[KeyStore, list[datetime]]:
    now = [START]
    ks = KeyStore(store_url, actor="tester", clock=lambda: now[0])
    for scope in ("users:read", "users.write", "users-admin", "billing:read", "a_b"):
        ks.scopes.add(scope)
    ks.keys.create("Zeta service", ["users:read", "users.write", "users-admin", "a_b"])
    ks.keys.create("alpha", ["billing:read"], expires_at=START + timedelta(days=1))
    ks.keys.create("Ärger", ["users:read"], active=False)
    ks.keys.create("ﬁle sync", ["users:read", "billing:read"])  # folds to "file sync"
    ks.keys.create("[bold]markup[/bold]", ["a_b"])
    ks.keys.create("rotated in grace", ["users:read"])
    ks.keys.create("rotated outright", ["users:read"])
    now[0] = START + timedelta(days=2)  # "alpha" has expired since
    ks.keys.rotate("rotated in grace", grace=timedelta(hours=1))
    ks.keys.rotate("rotated outright")
    return ks, now


def test_the_first_page_is_what_the_store_lists(store_url: str) -> None:
    ks, now = _varied_keys(store_url)
    try:
        listed = ks.keys.list(KeyQuery(), limit=200)
        preview = preview_keys(store_url, 200, clock=lambda: now[0])
        assert preview is not None
        assert preview.first_page == listed
        assert preview.display_name == ks.display_name
        assert preview.has_scopes
        statuses = {info.name: info.status.value for info in preview.first_page}
        assert statuses["alpha"] == "EXPIRED" and statuses["Ärger"] == "INACTIVE"
        grace = {info.name: info.rotation_grace_until for info in preview.first_page}
        assert grace["rotated in grace"] is not None and grace["rotated outright"] is None
    finally:
        ks.close()


def test_the_first_page_is_cut_at_the_limit_in_name_order(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        ks.scopes.add("users:read")
        for n in range(30):
            ks.keys.create(f"key {n:02}", ["users:read"])
        preview = preview_keys(store_url, 7)
        assert preview is not None
        assert [info.name for info in preview.first_page] == [f"key {n:02}" for n in range(7)]


def test_an_empty_store_says_whether_it_has_scopes(store_url: str) -> None:
    with KeyStore(store_url, actor="tester") as ks:
        empty = preview_keys(store_url, 200)
        assert empty is not None and empty.first_page == [] and not empty.has_scopes
        ks.scopes.add("users:read")
        scoped = preview_keys(store_url, 200)
        assert scoped is not None and scoped.first_page == [] and scoped.has_scopes


def test_a_store_not_plainly_ready_gets_no_preview(tmp_path: Path) -> None:
    assert preview_keys(str(tmp_path / "missing.db"), 200) is None
    (tmp_path / "foreign.db").write_text("not a database")
    assert preview_keys(str(tmp_path / "foreign.db"), 200) is None
    older = tmp_path / "older.db"
    KeyStore(str(older)).close()
    with sqlite3.connect(older) as connection:
        connection.execute(f"UPDATE {VERSION_TABLE} SET version_num = '0003'")
    assert preview_keys(str(older), 200) is None, "a store to migrate opens the normal way"


def test_the_preview_imports_no_sqlalchemy(sqlite_url: str) -> None:
    with KeyStore(sqlite_url) as ks:
        ks.scopes.add("users:read")
        ks.keys.create("svc", ["users:read"])
    probe = (
        "import sys\n"
        "from keyconsole.service.preview import preview_keys\n"
        f"preview = preview_keys({sqlite_url!r}, 200)\n"
        "print(preview.first_page[0].name, 'sqlalchemy' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.split() == ["svc", "False"]
