"""What differs between SQLite and PostgreSQL in the SQL keyconsole writes by hand (the
verify path and the listing's first pages, below SQLAlchemy): one object per dialect, so
those reads ask it instead of branching on the dialect's name. Imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keyconsole import moments


@dataclass(frozen=True)
class Dialect:
    name: str
    # The DB-API placeholder of a query parameter.
    param: str
    # A key's scope names joined by spaces, for a query on api_keys.
    scope_names_sql: str
    # What LIMIT takes for "no limit".
    no_limit: str
    # Whether the scope names come back unsorted (sorted in Python then, as the ORM loads them).
    sorts_scope_names_in_python: bool
    # How a moment is written into a column, as models.UTCDateTime stores it.
    store_moment_as_text: bool

    def scope_names(self, aggregated: str | None) -> tuple[str, ...]:
        """The names in ``scope_names_sql``'s column, in name order."""
        names = aggregated.split(" ") if aggregated else []
        return tuple(sorted(names) if self.sorts_scope_names_in_python else names)

    def moment(self, moment: datetime) -> Any:
        naive = moments.to_column(moment)
        return naive.strftime(moments.SQLITE_TEXT) if self.store_moment_as_text else naive


# SQLite's group_concat has no order of its own; its binary order is Python's, so the names
# are sorted after the split. PostgreSQL orders inside the aggregate, under its collation.
SQLITE = Dialect(
    name="sqlite",
    param="?",
    scope_names_sql=(
        "(SELECT group_concat(s.name, ' ') FROM key_scopes ks JOIN scopes s ON s.id = ks.scope_id"
        " WHERE ks.key_id = api_keys.id)"
    ),
    no_limit="-1",
    sorts_scope_names_in_python=True,
    store_moment_as_text=True,
)
POSTGRESQL = Dialect(
    name="postgresql",
    param="%s",
    scope_names_sql=(
        "(SELECT string_agg(s.name, ' ' ORDER BY s.name) FROM key_scopes ks"
        " JOIN scopes s ON s.id = ks.scope_id WHERE ks.key_id = api_keys.id)"
    ),
    no_limit="ALL",
    sorts_scope_names_in_python=False,
    store_moment_as_text=False,
)
DIALECTS = {dialect.name: dialect for dialect in (SQLITE, POSTGRESQL)}
