"""Bulk inserts that hand rows straight to the driver: executemany, or COPY on PostgreSQL.

SQLAlchemy's Core executemany runs every value through its type's bind processing on the
way in (for keyconsole's UTC datetimes, a TypeDecorator and then SQLite's string format);
profiling `demo seed` showed that step costing more than SQLite's own inserting. Here each
column's processor runs once per distinct value (bulk rows repeat values heavily), and the
driver gets plain tuples or dicts. PostgreSQL takes the rows through COPY, its own bulk
path: an executemany there still sends every row as a statement of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

# Bounds the memory of the memo when values do not repeat after all.
MEMO_LIMIT = 100_000


class BulkInsert:
    """A prepared INSERT of ``columns`` into ``table`` for one session's dialect."""

    def __init__(self, session: Session, table: Table, columns: Sequence[str]) -> None:
        dialect = session.get_bind().dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        self._sql = str(compiled)
        self._columns = list(columns)
        order = list(compiled.positiontup or ()) if compiled.positional else []
        # A positional paramstyle (SQLite's qmark) wants tuples in the compiled order.
        self._positions = [self._columns.index(name) for name in order] if order != self._columns else None
        self._named = not compiled.positional
        quote = dialect.identifier_preparer.quote
        self._copy_sql = (
            f"COPY {quote(table.name)} ({', '.join(quote(name) for name in self._columns)}) FROM STDIN"
            if dialect.name == "postgresql"
            else None
        )
        self._converters = [
            (index, _memoized(process))
            for index, name in enumerate(self._columns)
            if (process := table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        self._session = session

    def run(self, rows: Sequence[Sequence[Any]]) -> None:
        """Insert ``rows``, each a sequence of Python values in the order of ``columns``."""
        params: list[Any] = [self._convert(row) for row in rows] if self._converters else [tuple(row) for row in rows]
        if self._copy_sql is not None:
            self._copy(params)
            return
        if self._named:
            params = [dict(zip(self._columns, row, strict=True)) for row in params]
        elif self._positions is not None:
            params = [tuple(row[i] for i in self._positions) for row in params]
        self._session.connection().exec_driver_sql(self._sql, params)

    def _copy(self, rows: list[tuple[Any, ...]]) -> None:
        driver = self._session.connection().connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(self._copy_sql) as copy:
            for row in rows:
                copy.write_row(row)

    def _convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for index, convert in self._converters:
            values[index] = convert(values[index])
        return tuple(values)


def _memoized(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Hashable, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            if len(seen) >= MEMO_LIMIT:
                seen.clear()
            seen[value] = result = process(value)
            return result

    return convert


@contextmanager
def indexes_deferred(session: Session, table: Table) -> Iterator[None]:
    """Drop ``table``'s non-unique indexes for a bulk load and build them again after it.

    Building an index once over sorted rows is far cheaper than updating it row by row
    (on SQLite, `demo seed` went from 21,000 to 30,000 keys a second). Unique indexes stay:
    they guard the data. Inside the caller's transaction, so a failed load restores them.
    """
    connection = session.connection()
    deferred = [index for index in table.indexes if not index.unique]
    for index in deferred:
        index.drop(connection)
    yield
    for index in deferred:
        index.create(connection)


@contextmanager
def foreign_keys_deferred(session: Session, table: Table) -> Iterator[None]:
    """On PostgreSQL, drop ``table``'s foreign keys for a bulk load and add them back after.

    PostgreSQL checks every loaded row against the tables it refers to, one lookup at a time
    (three quarters of `demo seed`'s time went to checking its key-scope links); added back,
    a constraint is checked once over the whole table. Inside the caller's transaction, so
    the rows are checked before anything commits. SQLite's checks are cheap: left alone.
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        yield
        return
    found = connection.exec_driver_sql(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %(table)s::regclass AND contype = 'f'",
        {"table": table.name},
    ).all()
    quote = connection.dialect.identifier_preparer.quote
    for name, _definition in found:
        connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} DROP CONSTRAINT {quote(name)}")
    yield
    for name, definition in found:
        connection.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD CONSTRAINT {quote(name)} {definition}")
