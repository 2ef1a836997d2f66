"""The name index on PostgreSQL (pg_trgm): used for a rare text, left alone otherwise, and
never required for a store to open. (SQLite's is tested in test_search.py and test_migrations.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import event, text

from keyconsole import KeyStore
from keyconsole.service.key_query import KeyQuery
from keyconsole.store.migrations import HEAD, VERSION_TABLE
from keyconsole.store.orm import name_index
from tests.pg_server import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    return pg_server.new_database()


def statements(ks: KeyStore, search: str) -> list[tuple[str, object]]:
    """What reading the first page of keys matching ``search`` sends, in order."""
    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(ks.database.engine, "before_cursor_execute", capture)
    try:
        ks.keys.list(KeyQuery(search=search), limit=200)
    finally:
        event.remove(ks.database.engine, "before_cursor_execute", capture)
    return seen


def listing_plan(ks: KeyStore, search: str) -> str:
    """PostgreSQL's plan for the first page of keys matching ``search``."""
    statement, parameters = next(
        (statement, parameters) for statement, parameters in statements(ks, search)
        if statement.startswith("SELECT api_keys.public_id") and "LIMIT" in statement
    )
    with ks.database.engine.connect() as conn:
        return "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters))


def test_a_rare_text_is_found_through_the_trigram_index_and_a_common_one_in_name_order(pg_url: str) -> None:
    with KeyStore(pg_url, actor="t") as ks:
        ks.seed_demo(20_000)  # refreshes the planner's statistics, as any bulk load should
        assert name_index.POSTGRES_INDEX in listing_plan(ks, "zzq")
        common = listing_plan(ks, "backend")
        # Names read in order from a btree on name_folded, until a page is full.
        assert name_index.POSTGRES_INDEX not in common and "Index Scan using" in common
        # No three letters or digits in a row: no trigram to look up. For such a text
        # PostgreSQL read the whole trigram index (614 ms for "zq" in a million keys, where a
        # parallel scan takes 168 ms), so its transaction does without bitmap scans.
        bitmaps_off = "SET LOCAL enable_bitmapscan = off"
        for short in ("zq", "-7", "a_b"):
            assert bitmaps_off in [statement for statement, _ in statements(ks, short)]
        assert bitmaps_off not in [statement for statement, _ in statements(ks, "zzq")]
        names = [key.name for key in ks.keys.list(KeyQuery(search="backend-1"), limit=5)]
        assert names and all("backend-1" in name for name in names)


def test_0005_indexes_the_names_already_in_a_postgres_store(pg_url: str) -> None:
    with KeyStore(pg_url, actor="t") as ks:
        ks.scopes.add("users:read")
        ks.keys.create("billing exporter", ["users:read"])
        with ks.database.engine.begin() as conn:
            conn.execute(text(f"DROP INDEX {name_index.POSTGRES_INDEX}"))
            conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0004'"))
            assert not name_index.exists(conn)
    with KeyStore(pg_url, actor="t") as ks:
        with ks.database.engine.connect() as conn:
            assert name_index.exists(conn)
        assert [key.name for key in ks.keys.list(KeyQuery(search="exporter"))] == ["billing exporter"]


@pytest.fixture
def unprivileged_url(pg_server: PostgresServer) -> Iterator[str]:
    """A database whose role may create tables but not extensions (no CREATE on the database)."""
    admin_url = pg_server.new_database()
    database = admin_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE ROLE kc_plain LOGIN")
        conn.execute("GRANT USAGE, CREATE ON SCHEMA public TO kc_plain")
    yield admin_url.replace("postgres@", "kc_plain@")
    with psycopg.connect(pg_server.url().replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
        conn.execute("DROP ROLE kc_plain")


def test_a_role_that_may_not_create_pg_trgm_still_gets_a_working_store(unprivileged_url: str) -> None:
    with KeyStore(unprivileged_url, actor="t") as ks:
        with ks.database.engine.connect() as conn:
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == HEAD
            assert not name_index.exists(conn)
        ks.scopes.add("users:read")
        ks.keys.create("billing exporter", ["users:read"])
        assert [key.name for key in ks.keys.list(KeyQuery(search="exporter"))] == ["billing exporter"]
        assert [key.name for key in ks.keys.list(KeyQuery(search="ex"))] == ["billing exporter"]
