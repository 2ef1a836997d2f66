"""A trigram index of key names (SQLite FTS5), so a filter finds a rare part of a name among
a million keys without reading every name.

A LIKE '%text%' filter has to read the whole name index: about 75 ms for a million keys
here, and more once the key id is matched too. FTS5's trigram tokenizer answers "which names
contain this text" from an index (0.1-1.3 ms measured on a million keys) for any text that
holds three characters in a row other than LIKE's wildcards. It is an external-content table over ``api_keys`` kept current by
triggers. PostgreSQL stores have no such index and keep the scan; so do SQLite builds
without FTS5.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, TextClause, column, text
from sqlalchemy.exc import OperationalError
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
# FTS5 answers LIKE on a trigram table from the index (detail='none' and columnsize=0 keep
# the index small and quick to build; LIKE then checks each candidate). It takes no ESCAPE clause, so a text
# holding LIKE's own characters is left to the scan.
_MATCH = f"SELECT rowid FROM {TABLE} WHERE name_folded LIKE :pattern"
_COUNT_UP_TO = f"SELECT count(*) FROM (SELECT 1 FROM {TABLE} WHERE name_folded LIKE :pattern LIMIT :most)"


def create(connection: Connection) -> bool:
    """Create and fill the index; False where this SQLite has no FTS5 trigram tokenizer."""
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(_CREATE)
    except OperationalError:
        return False
    for trigger in _TRIGGERS:
        connection.exec_driver_sql(trigger)
    _rebuild(connection)
    return True


def exists(connection: Connection) -> bool:
    if connection.dialect.name != "sqlite":
        return False
    found = connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = ?", (TABLE,)).first()
    return found is not None


@contextmanager
def suspended(connection: Connection) -> Iterator[None]:
    """Stop maintaining the index row by row during a bulk load, and rebuild it once after
    (on a million keys, 12 s instead of most of the load's time)."""
    if not exists(connection):
        yield
        return
    for name in _TRIGGER_NAMES:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    yield
    _rebuild(connection)
    for trigger in _TRIGGERS:
        connection.exec_driver_sql(trigger)


def usable_for(folded: str) -> bool:
    """Whether the index can look ``folded`` up: it needs a trigram free of wildcards."""
    return _TRIGRAM.search(folded) is not None


def candidate_ids(folded: str) -> TextualSelect:
    """The ids of keys whose folded name contains ``folded``, and maybe a few more when it
    holds `%` or `_` (see usable_for)."""
    return text(_MATCH).bindparams(pattern=f"%{folded}%").columns(column("rowid"))


def count_up_to(folded: str, most: int) -> TextClause:
    """How many names contain ``folded``, counting no further than ``most``."""
    return text(_COUNT_UP_TO).bindparams(pattern=f"%{folded}%", most=most)


def _rebuild(connection: Connection) -> None:
    connection.exec_driver_sql(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")
