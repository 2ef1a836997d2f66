"""A trigram index of key names, so a filter finds a rare part of a name among a million
keys without reading every name.

A LIKE '%text%' filter has to read the whole name index: about 75 ms for a million keys
here (110 ms on PostgreSQL), and more once the key id is matched too.

On SQLite, FTS5's trigram tokenizer answers "which names contain this text" from an index
(0.1-1.3 ms measured on a million keys) for any text that holds three characters in a row
other than LIKE's wildcards. It is an external-content table over ``api_keys`` kept current
by triggers. SQLite builds without FTS5 keep the scan.

On PostgreSQL, pg_trgm's GIN index serves LIKE itself, and the planner chooses between it
(a rare text: 3 ms instead of 114 on a million keys) and reading names in order (a common
one) from its statistics. pg_trgm is a trusted extension (PostgreSQL 13+), so a database
owner may create it; where it cannot be created, filters keep the scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, TextClause, column, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.sql.selectable import TextualSelect

TABLE = "key_names"
_TRIGRAM = re.compile(r"[^%_]{3}")
_CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "name_folded, content='api_keys', content_rowid='id', tokenize='trigram', detail='none', columnsize=0)"
)
_TRIGGERS = [
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON api_keys BEGIN"
    f" INSERT INTO {TABLE}(rowid, name_folded) VALUES (new.id, new.name_folded); END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON api_keys BEGIN"
    f" INSERT INTO {TABLE}({TABLE}, rowid, name_folded) VALUES ('delete', old.id, old.name_folded); END",
    f"CREATE TRIGGER {TABLE}_rename AFTER UPDATE OF name_folded ON api_keys BEGIN"
    f" INSERT INTO {TABLE}({TABLE}, rowid, name_folded) VALUES ('delete', old.id, old.name_folded);"
    f" INSERT INTO {TABLE}(rowid, name_folded) VALUES (new.id, new.name_folded); END",
]
_TRIGGER_NAMES = [f"{TABLE}_insert", f"{TABLE}_delete", f"{TABLE}_rename"]
POSTGRES_INDEX = "ix_api_keys_name_trgm"
_POSTGRES_CREATE = f"CREATE INDEX {POSTGRES_INDEX} ON api_keys USING gin (name_folded gin_trgm_ops)"
# pg_trgm takes its trigrams from the letters and digits of a LIKE pattern's words; a text
# with no three in a row gives none, and the index would be read whole (seconds at a million).
_POSTGRES_TRIGRAM = re.compile(r"[^\W_]{3}")
# FTS5 answers LIKE on a trigram table from the index (detail='none' and columnsize=0 keep
# the index small and quick to build; LIKE then checks each candidate). It takes no ESCAPE
# clause, so a `_` in the text matches any character there: a superset, which the exact LIKE
# beside it in the query (service/keys.py) narrows.
_MATCH = f"SELECT rowid FROM {TABLE} WHERE name_folded LIKE :pattern"
_COUNT_UP_TO = f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE name_folded LIKE :pattern LIMIT :most)"


def create(connection: Connection) -> bool:
    """Create and fill the index; False where the store cannot have one (a SQLite without
    FTS5's trigram tokenizer, a PostgreSQL role that may not create pg_trgm)."""
    if connection.dialect.name == "postgresql":
        return _create_postgres(connection)
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(_CREATE)
    except OperationalError:
        return False
    for trigger in _TRIGGERS:
        connection.exec_driver_sql(trigger)
    _rebuild(connection)
    return True


def _create_postgres(connection: Connection) -> bool:
    try:
        with connection.begin_nested():
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            connection.exec_driver_sql(_POSTGRES_CREATE)
    except DBAPIError:
        return False
    return True


def exists(connection: Connection) -> bool:
    if connection.dialect.name == "postgresql":
        query = "SELECT 1 FROM pg_indexes WHERE tablename = 'api_keys' AND indexname = %(name)s"
        return connection.exec_driver_sql(query, {"name": POSTGRES_INDEX}).first() is not None
    found = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).first()
    return found is not None


@contextmanager
def suspended(connection: Connection) -> Iterator[None]:
    """Stop maintaining the index row by row during a bulk load, and rebuild it once after
    (on a million keys, 12 s instead of most of the load's time)."""
    if not exists(connection):
        yield
        return
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX {POSTGRES_INDEX}")
        yield
        connection.exec_driver_sql(_POSTGRES_CREATE)
        return
    for name in _TRIGGER_NAMES:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    _rebuild(connection)
    for trigger in _TRIGGERS:
        connection.exec_driver_sql(trigger)


def usable_for(folded: str, dialect: str) -> bool:
    """Whether the index can look ``folded`` up: on SQLite it needs three characters in a
    row free of LIKE's wildcards, on PostgreSQL three letters or digits."""
    if dialect == "postgresql":
        return _POSTGRES_TRIGRAM.search(folded) is not None
    # SQLite 3.40's FTS5 can crash the process on a LIKE pattern with a % inside and
    # multi-byte characters around it ('%😀%äú¡u%', found by tests/test_search.py): such a
    # text is left to the scan. Random patterns without one did not crash it (720,000 tried).
    return "%" not in folded and _TRIGRAM.search(folded) is not None


def candidate_ids(folded: str) -> TextualSelect:
    """SQLite: the ids of keys whose folded name contains ``folded``, and maybe a few more when
    it holds `_` (see _MATCH)."""
    return text(_MATCH).bindparams(pattern=f"%{folded}%").columns(column("rowid"))


def count_up_to(folded: str, most: int) -> TextClause:
    """SQLite: how many names contain ``folded``, counting no further than ``most``."""
    return text(_COUNT_UP_TO).bindparams(pattern=f"%{folded}%", most=most)


def _rebuild(connection: Connection) -> None:
    connection.exec_driver_sql(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
