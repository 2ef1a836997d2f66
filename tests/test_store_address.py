"""One reading of --db for every path that opens a store, and one way to hide its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyconsole.errors import InvalidStoreURL
from keyconsole.store.address import store_address, without_password
from keyconsole.store.direct import find_driver
from keyconsole.store.location import resolve
from keyconsole.store.paths import ENV_VAR


def test_sqlite_addresses_read_as_sqlalchemy_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert store_address(None).is_default
    assert store_address("keys.db").sqlite_path == Path("keys.db")
    assert store_address("sqlite:///keys.db").sqlite_path == Path("keys.db")
    assert store_address("sqlite:////tmp/keys.db").sqlite_path == Path("/tmp/keys.db")
    assert store_address("sqlite://").sqlite_path is None
    assert store_address("~/keys.db").sqlite_path == Path.home() / "keys.db"
    monkeypatch.setenv(ENV_VAR, "/srv/keys.db")
    assert store_address(None).sqlite_path == Path("/srv/keys.db") and not store_address(None).is_default


def test_postgres_addresses_keep_keyconsoles_option_apart() -> None:
    address = store_address("postgres+psycopg://kc:pw@db:6432/keys?sslmode=require&prepare_threshold=none")
    assert address.conninfo == "postgresql://kc:pw@db:6432/keys?sslmode=require"
    assert address.prepare_threshold is None
    assert store_address("postgresql://kc@db/keys").prepare_threshold == 5


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("mysql://x@localhost/db", "unsupported store"),
        ("postgresql+psycopg2://x@localhost/db", "psycopg driver"),
        ("sqlite+aiosqlite:///keys.db", "unsupported SQLite driver"),
        ("sqlite:///keys.db?mode=ro", "takes no options"),
        ("postgresql://kc@db/keys?prepare_threshold=often", "prepare_threshold"),
    ],
)
def test_text_that_cannot_name_a_store_is_refused_in_one_line(text: str, says: str) -> None:
    with pytest.raises(InvalidStoreURL, match=says):
        store_address(text)


def test_the_password_is_hidden_the_same_way_on_every_path() -> None:
    url = "postgresql://kc:s3cr:et@db.example:5432/keys?sslmode=require"
    shown = "postgresql+psycopg://kc:***@db.example:5432/keys?sslmode=require"
    assert store_address(url).display == shown
    assert resolve(url).display() == shown, "the engine's path"
    driver = find_driver(url)
    assert driver is not None and driver.display_name == shown, "the direct path (verify, console, serve)"
    assert without_password("postgresql://kc@db/keys") == "postgresql://kc@db/keys"
    assert without_password("not a url") == "not a url"


def test_sqlite_is_shown_the_same_way_on_every_path(tmp_path: Path) -> None:
    path = tmp_path / "keys.db"
    driver = find_driver(str(path))
    assert driver is not None
    assert driver.display_name == resolve(str(path)).display() == f"sqlite:///{path}"
    assert resolve(str(path)).url.render_as_string() == f"sqlite:///{path}"
