"""Adding usage counts to the store (migration 0012), below SQLAlchemy: the verifying
process writes them on a connection of its verify pool, in one transaction per flush.

Counts are added, never set: every process adds its own, and an hour's row is the sum of
them all. Rows are written in key order, so two processes adding to the same keys take their
row locks in the same order on PostgreSQL and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from keyconsole.store.direct.dialects import Dialect
from keyconsole.store.direct.key_columns import USAGE_COUNTS

# (table, its period column)
HOURS = ("key_usage_hours", "hour")
DAYS = ("key_usage_days", "day")


def _add_sql(table: str, period: str, param: str) -> str:
    columns = ", ".join(USAGE_COUNTS)
    params = ", ".join([param] * (2 + len(USAGE_COUNTS)))
    added = ", ".join(f"{count} = {table}.{count} + excluded.{count}" for count in USAGE_COUNTS)
    return (
        f"INSERT INTO {table} (key_id, {period}, {columns}) VALUES ({params})"
        f" ON CONFLICT (key_id, {period}) DO UPDATE SET {added}"
    )


def add_usage(
    connection: Any,
    dialect: Dialect,
    periods: Mapping[tuple[str, str], datetime],
    counts: Mapping[int, tuple[int, ...]],
    prune_before: Mapping[tuple[str, str], datetime] | None = None,
) -> None:
    """Add ``counts`` (key id -> one count per outcome) to the row of each period given
    (``HOURS`` and ``DAYS`` -> the period's start), and delete rows older than
    ``prune_before``, in one transaction on ``connection`` (autocommit)."""
    cursor = connection.cursor()
    # SQLite: take the write lock up front, as every writer of the store does.
    cursor.execute("BEGIN IMMEDIATE" if dialect.embedded else "BEGIN")
    try:
        ordered = sorted(counts.items())
        for (table, period), start in periods.items():
            moment = dialect.moment(start)
            cursor.executemany(
                _add_sql(table, period, dialect.param), [(key_id, moment, *added) for key_id, added in ordered]
            )
        for (table, period), before in (prune_before or {}).items():
            cursor.execute(f"DELETE FROM {table} WHERE {period} < {dialect.param}", (dialect.moment(before),))
    except BaseException:
        try:
            cursor.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - a broken connection: the first error is the one to tell
            pass
        raise
    cursor.execute("COMMIT")
