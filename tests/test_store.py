"""Opening stores: private files, WAL, clear refusals, and files left untouched."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from keyconsole import KeyStore
from keyconsole.errors import InvalidStoreURL, StoreUnavailable
from keyconsole.store.orm import Database


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_new_default_store_is_private(tmp_path: Path) -> None:
    database = Database()
    path = database.location.sqlite_path
    assert path is not None and path.is_relative_to(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    database.dispose()


def test_a_sqlite_store_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    database.dispose()


def test_a_missing_folder_is_reported_not_created(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="does not exist"):
        Database(str(tmp_path / "nowhere" / "keys.db"))
    assert not (tmp_path / "nowhere").exists()


def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my precious notes\n" * 100)
    before = _digest(path)
    with pytest.raises(StoreUnavailable, match="not a keyconsole store"):
        Database(str(path))
    assert _digest(path) == before


def test_another_programs_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    before = _digest(path)
    with pytest.raises(StoreUnavailable, match="holds other tables: invoices"):
        Database(str(path))
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists()


def test_a_store_from_a_newer_keyconsole_is_refused(sqlite_url: str) -> None:
    Database(sqlite_url).dispose()
    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE keyconsole_alembic_version SET version_num = '9999'")
    with pytest.raises(StoreUnavailable, match="newer keyconsole"):
        Database(sqlite_url)


@pytest.mark.parametrize("url", ["", "mysql://h/db", "postgresql+asyncpg://h/db", "sqlite+aiosqlite:///x.db", "postgresql+psycopg://u@h:notaport/db", "://x"])
def test_urls_keyconsole_cannot_use_are_refused_as_bad_usage(url: str) -> None:
    with pytest.raises(InvalidStoreURL):
        Database(url)


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        Database("postgresql+psycopg://admin:s3cret@127.0.0.1:1/keys")
    assert "cannot use the store" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_opening_an_existing_store_keeps_its_keys(store_url: str) -> None:
    with KeyStore(store_url, actor="a") as first:
        first.scopes.add("users:read")
        key = first.keys.create("svc", ["users:read"]).key
    with KeyStore(store_url, actor="b") as second:
        assert second.verify(key)


def test_no_part_of_a_secret_is_in_the_sqlite_files(sqlite_url: str, tmp_path: Path) -> None:
    ks = KeyStore(sqlite_url, actor="t")
    ks.scopes.add("users:read")
    issued = [ks.keys.create(f"svc {i}", ["users:read"]) for i in range(5)]
    rotated = ks.keys.rotate("svc 0", grace=__import__("datetime").timedelta(hours=1))
    for item in [*issued, rotated]:
        assert ks.verify(item.key)
    secrets = [k.key.split("_")[2] for k in [*issued, rotated]]
    blob = b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))
    ks.close()
    blob += b"".join(p.read_bytes() for p in tmp_path.glob("keys.db*"))
    for secret in secrets:
        # Any 12-character run of the secret would be a leak, not only the whole of it.
        for start in range(0, len(secret) - 12 + 1):
            assert secret[start : start + 12].encode() not in blob
    for item in issued:
        assert item.info.public_id.encode() in blob
