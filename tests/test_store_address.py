"""One reading of --db for every path that opens a store, and one way to hide its password."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from keyconsole.errors import InvalidStoreURL
from keyconsole.settings import STORE_URL as ENV_VAR
from keyconsole.store.direct.address import store_address, without_password
from keyconsole.store.direct.driver import find_driver
from keyconsole.store.orm.location import resolve
from tests.pg_server import PostgresServer


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


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://kc@db/keys?password=s3cret&sslmode=require",
        "postgresql://kc@db/keys?sslmode=require&sslpassword=s3cret",
        "postgresql://kc:s3cret@db/keys?PASSWORD=s3cret",
        "host=db dbname=keys password=s3cret",
        "host=db dbname=keys password='s3cret with spaces'",
    ],
)
def test_a_password_is_hidden_wherever_the_url_holds_it(url: str) -> None:
    shown = store_address(url).display
    assert "s3cret" not in shown and "***" in shown


def test_a_libpq_keyword_value_string_names_a_postgresql_store_never_a_file() -> None:
    address = store_address("host=/run/postgresql dbname=keys user=kc password=pw")
    assert address.dialect == "postgresql" and address.sqlite_path is None
    assert address.display == "postgresql+psycopg://?dbname=keys&host=%2Frun%2Fpostgresql&password=***&user=kc"
    with pytest.raises(InvalidStoreURL, match="libpq") as refused:
        store_address("hots=db dbname=keys password=pw")
    assert "pw" not in str(refused.value)


@pytest.mark.postgres
def test_the_cli_reaches_postgresql_through_a_keyword_value_string_and_never_prints_its_password(
    pg_server: PostgresServer, tmp_path: Path
) -> None:
    url = pg_server.new_database()
    database = url.rsplit("/", 1)[1]
    conninfo = f"host=127.0.0.1 port={pg_server.port} user=postgres dbname={database} password=s3cret"
    done = subprocess.run([sys.executable, "-m", "keyconsole", "--db", conninfo, "scopes", "add", "a"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == [], "no SQLite file named after the string"
    wrong = f"host=127.0.0.1 port=1 user=postgres dbname={database} password=s3cret connect_timeout=2"
    failed = subprocess.run([sys.executable, "-m", "keyconsole", "--db", wrong, "keys", "list"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert failed.returncode == 1 and "s3cret" not in failed.stderr + failed.stdout
    assert failed.stderr.count("\n") == 1
    query = subprocess.run([sys.executable, "-m", "keyconsole", "--db",
                            f"postgresql://postgres@127.0.0.1:1/{database}?password=s3cret&connect_timeout=2",
                            "keys", "list"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert query.returncode == 1 and "s3cret" not in query.stderr and "***" in query.stderr


def test_a_prepared_statement_clash_behind_a_pooler_names_the_url_option_that_fixes_it() -> None:
    """Issue 23.11: psycopg's words alone leave the admin guessing."""
    from keyconsole.store.direct.connectors import error_line

    for text in ('prepared statement "_pg3_0" already exists', 'prepared statement "_pg3_3" does not exist'):
        line = error_line(Exception(text + "\nDETAIL: more"))
        assert line.startswith(text) and "?prepare_threshold=none" in line and "\n" not in line
    assert error_line(Exception('relation "x" does not exist')) == 'relation "x" does not exist'
